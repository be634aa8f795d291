"""The state the policy sees after each turn, built incrementally from the prefix only.

One code path: training (agent.training.states) and inference (agent.sales_agent) both build states
with `StateBuilder`. Nothing at turn t depends on later turns, on the conversation's length, or on
its outcome. Adding a turn costs O(embedding dim), whatever the length of the conversation so far.

Layout of one state vector (FEATURE_SCHEMA names each block):
    rep_context       recency-weighted mean of the rep's turn embeddings
    prospect_context  recency-weighted mean of the prospect's turn embeddings
    rep_total         sum of the rep's turn embeddings so far (what has been said, not just lately)
    prospect_total    sum of the prospect's turn embeddings so far
    conversation_mean mean of all turn embeddings so far: what the conversation is about (the
                      in-distribution score is measured on this block)
    latest            the latest turn's embedding
    metrics           interaction metrics (talk share, questions, monologue, interactivity, engagement)
    signals           prospect objections and buying signals so far, and in the latest turn
    lexical           the lexical score of the prefix: a logit from its word 1-2 grams (agent.lexical)
    sequence          the sequence score: a logit from a GRU reading each turn's sales labels in order
                      (agent.sequence); right after `lexical`, the two are the policy's skip block
    position          turn index and the latest turn's role
    past              the agent's own previous K probabilities
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from salesrl.agent.lexical import LexicalModel
from salesrl.agent.sequence import SequenceModel
from salesrl.agent.signals import SIGNALS, count_questions, detect
from salesrl.agent.types import Turn

FEATURE_SCHEMA_VERSION = 6
DECAY = 0.6  # weight of the older context when a new turn of the same side arrives
PAST_K = 3  # how many of its own previous probabilities the agent sees
PRIOR = 0.5  # stands in for a previous probability before there is one

METRIC_NAMES: tuple[str, ...] = (
    "rep_talk_share", "rep_question_rate", "longest_rep_monologue", "interactivity",
    "prospect_engagement", "latest_prospect_length", "prospect_question_rate", "note_share",
)
POSITION_NAMES: tuple[str, ...] = ("log_turn_index", "turn_index_capped", "role_rep", "role_prospect", "role_other")


def feature_schema(dim: int) -> dict[str, list[int]]:
    """Block name -> [start, stop) in the state vector, for an embedder of dimension `dim`."""
    sizes = [
        ("rep_context", dim), ("prospect_context", dim), ("rep_total", dim), ("prospect_total", dim),
        ("conversation_mean", dim), ("latest", dim),
        ("metrics", len(METRIC_NAMES)), ("signals", 2 * len(SIGNALS)), ("lexical", 1), ("sequence", 1),
        ("position", len(POSITION_NAMES)), ("past", PAST_K),
    ]
    out, start = {}, 0
    for name, size in sizes:
        out[name] = [start, start + size]
        start += size
    return out


def state_dim(dim: int) -> int:
    return feature_schema(dim)["past"][1]


def _log_scale(x: float, top: float) -> float:
    return math.log1p(x) / math.log1p(top)


POSITION_TOP = 40  # the `position` block's turn index: log1p(turn) / log1p(POSITION_TOP), and min(turn, it) / it


def turn_of_position(u: np.ndarray) -> np.ndarray:
    """The turn index (1 = the first turn) from the `position` block's log turn index column."""
    return np.rint(np.expm1(np.asarray(u, dtype=np.float64) * math.log1p(POSITION_TOP)))


def past_features(history: list[float] | np.ndarray) -> np.ndarray:
    """The `past` block from the agent's probabilities so far (most recent first)."""
    recent = list(history[-PAST_K:])[::-1]
    return np.array(recent + [PRIOR] * (PAST_K - len(recent)), dtype=np.float32)


@dataclass
class _Side:
    """One side's embeddings so far: their sum, and their recency-weighted mean. O(dim) per update."""

    total: np.ndarray
    recent: np.ndarray
    weight: float = 0.0

    @classmethod
    def empty(cls, dim: int) -> "_Side":
        return cls(np.zeros(dim, dtype=np.float32), np.zeros(dim, dtype=np.float32))

    def add(self, e: np.ndarray) -> None:
        self.total += e
        self.recent *= DECAY
        self.recent += e
        self.weight = self.weight * DECAY + 1.0

    def write_mean(self, out: np.ndarray) -> None:
        """The recency-weighted mean, written into `out`."""
        if self.weight:
            np.divide(self.recent, self.weight, out=out)
        else:
            out[:] = self.recent


class StateBuilder:
    """Feed turns one at a time with their embeddings; `push` returns the state after that turn.

    The caller reports the agent's probability for each state with `record`, so the next state can
    include it. States only ever look backwards. `lexical` and `sequence` are the policy's lexical and
    sequence models.
    """

    def __init__(self, dim: int, lexical: LexicalModel, sequence: SequenceModel):
        self.dim = dim
        self._lexical = lexical.tracker()
        self._sequence = sequence.tracker()
        self.schema = feature_schema(dim)
        self._blocks = {name: slice(start, stop) for name, (start, stop) in self.schema.items()}
        self.size = state_dim(dim)
        self._rep = _Side.empty(dim)
        self._prospect = _Side.empty(dim)
        self._history: list[float] = []
        self.turns = 0
        self._words = {"rep": 0, "prospect": 0, "other": 0}
        self._turns_by_role = {"rep": 0, "prospect": 0, "other": 0}
        self._questions = {"rep": 0, "prospect": 0}
        self._rep_run_words = 0  # words of the current uninterrupted rep stretch
        self._longest_rep_run = 0
        self._switches = 0
        self._last_role: str | None = None
        self._last_prospect_words = 0
        self._notes = 0
        self._signal_counts = np.zeros(len(SIGNALS), dtype=np.float32)

    @property
    def history(self) -> list[float]:
        return list(self._history)

    def push(self, turn: Turn, embedding: np.ndarray) -> np.ndarray:
        role = turn.role
        words = len(turn.text.split())
        emb = np.asarray(embedding, dtype=np.float32)
        if role == "rep":
            self._rep.add(emb)
            self._questions["rep"] += count_questions(turn.text)
            self._rep_run_words = (self._rep_run_words if self._last_role == "rep" else 0) + words
            self._longest_rep_run = max(self._longest_rep_run, self._rep_run_words)
        else:
            # Notes are about the prospect's side of the deal: they count as prospect context.
            self._prospect.add(emb)
            if role == "prospect":
                self._questions["prospect"] += count_questions(turn.text)
                self._last_prospect_words = words
        if self._last_role is not None and role != self._last_role:
            self._switches += 1
        self._last_role = role
        self._words[role] += words
        self._turns_by_role[role] += 1
        self._notes += turn.is_note
        self.turns += 1

        found = detect(turn.text)
        latest_signals = np.array([s in found for s in SIGNALS], dtype=np.float32)
        if role != "rep":
            self._signal_counts += latest_signals

        return self._vector(emb, role, latest_signals, self._lexical.add(turn), self._sequence.add(turn))

    def record(self, probability: float) -> None:
        """The agent's probability for the state just pushed."""
        self._history.append(float(probability))

    def _vector(self, latest: np.ndarray, role: str, latest_signals: np.ndarray, lexical: float,
                sequence: float) -> np.ndarray:
        """The blocks written in place into one new vector (FEATURE_SCHEMA's order), each in float32."""
        n = self.turns
        total_words = sum(self._words.values()) or 1
        rep_turns = self._turns_by_role["rep"]
        prospect_turns = self._turns_by_role["prospect"]
        out = np.empty(self.size, dtype=np.float32)
        block = self._blocks
        self._rep.write_mean(out[block["rep_context"]])
        self._prospect.write_mean(out[block["prospect_context"]])
        out[block["rep_total"]] = self._rep.total
        out[block["prospect_total"]] = self._prospect.total
        mean = np.add(self._rep.total, self._prospect.total, out=out[block["conversation_mean"]])
        mean /= n
        out[block["latest"]] = latest
        out[block["metrics"]] = (
            self._words["rep"] / total_words,
            min(self._questions["rep"] / rep_turns, 3.0) / 3.0 if rep_turns else 0.0,
            _log_scale(self._longest_rep_run, 500),
            self._switches / max(n - 1, 1),
            _log_scale(self._words["prospect"] / prospect_turns, 100) if prospect_turns else 0.0,
            _log_scale(self._last_prospect_words, 100),
            min(self._questions["prospect"] / prospect_turns, 3.0) / 3.0 if prospect_turns else 0.0,
            self._notes / n,
        )
        signals = out[block["signals"]]
        np.log1p(self._signal_counts, out=signals[:len(SIGNALS)])
        signals[len(SIGNALS):] = latest_signals
        out[block["lexical"]] = lexical
        out[block["sequence"]] = sequence
        out[block["position"]] = (_log_scale(n, POSITION_TOP), min(n, POSITION_TOP) / POSITION_TOP, role == "rep",
                                  role == "prospect", role == "other")
        out[block["past"]] = past_features(self._history)
        return out
