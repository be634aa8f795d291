"""Turns a dataset into the policy's states, with the same StateBuilder inference uses.

States of all conversations are stored flat, one row per turn, with `starts[c]` the first row of
conversation c, so a batch over "turn t of every conversation" is one fancy-indexing operation.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from salesrl.agent.dataset import Conversation
from salesrl.agent.features import PRIOR, StateBuilder, feature_schema
from salesrl.agent.lexical import LexicalModel
from salesrl.agent.sequence import SequenceModel
from salesrl.agent.moves import MOVES
from salesrl.agent.training.workers import can_fork, cores, fork_map, shared_zeros

log = logging.getLogger(__name__)


TARGETS = ("expected", "outcome")


def call_targets(outcomes: np.ndarray, final_p: np.ndarray, kind: str) -> np.ndarray:
    """Per conversation, what a prediction of its outcome is scored against in training.
    "outcome": won (1) or lost (0). "expected": the probability the outcome was drawn from where the data
    records it (`final_p`, the last turn's `p_true` of a synthetic call; nan elsewhere), else the outcome.
    The two have the same expectation given the call, so a proper scoring rule is best at the same
    calibrated probability against either; the expected one drops the coin flip that decided the outcome,
    which is most of the target's noise."""
    if kind == "outcome":
        return np.asarray(outcomes, dtype=np.float32)
    if kind == "expected":
        return np.where(np.isnan(final_p), outcomes, final_p).astype(np.float32)
    raise ValueError(f"unknown target {kind!r}: {' or '.join(TARGETS)}")


def conversation_targets(convs: Sequence[Conversation], kind: str) -> np.ndarray:
    """`call_targets` of conversations: each one's outcome, and its last turn's `p_true` where recorded."""
    final_p = np.array([c.p_true[-1] if c.p_true and c.p_true[-1] is not None else np.nan for c in convs])
    return call_targets(np.array([c.outcome for c in convs], dtype=np.float64), final_p, kind).astype(np.float64)


def soft_label_copies(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and sample weights that let a classifier taking weights fit the probabilities `p` (a soft
    target, as call_targets gives): a won copy of every row weighted p, then a lost copy weighted 1 - p. Stack
    the rows the same way: [rows; rows]."""
    p = np.asarray(p, dtype=np.float64)
    return np.r_[np.ones(len(p)), np.zeros(len(p))], np.r_[p, 1.0 - p]


@dataclass
class StateTable:
    states: np.ndarray  # (rows, state_dim) float32
    starts: np.ndarray  # (conversations,) first row of each conversation
    lengths: np.ndarray  # (conversations,)
    outcomes: np.ndarray  # (conversations,) 0/1
    next_action: np.ndarray  # (rows,) move index of the next turn when it is a labelled rep turn, else -1
    p_true: np.ndarray  # (rows,) latent probability where the data has it, else nan
    past_slice: slice
    position_col: int  # the log turn index
    skip_col: int  # the lexical score, then the sequence score: the policy's skip block

    @property
    def conv_of_row(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.starts)), self.lengths)

    @property
    def turn_of_row(self) -> np.ndarray:
        return np.concatenate([np.arange(n) for n in self.lengths])

    def targets(self, kind: str) -> np.ndarray:
        """Per conversation, what its last state is scored against (see `call_targets`)."""
        return call_targets(self.outcomes, self.p_true[self.starts + self.lengths - 1], kind)

    def rows_at_turn(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(conversation indices, row indices) of the conversations that have a turn t."""
        convs = np.nonzero(self.lengths > t)[0]
        return convs, self.starts[convs] + t

    def refresh_past(self, predict: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
        """Fill the `past` block of every state with the probabilities `predict(states, rows)` gives,
        turn by turn, exactly as a live session would (see agent.features.past_features); returns
        them per row."""
        probs = np.zeros(len(self.states), dtype=np.float32)
        k = self.past_slice.stop - self.past_slice.start
        recent = np.full((len(self.starts), k), PRIOR, dtype=np.float32)  # most recent first
        for t in range(int(self.lengths.max())):
            convs, rows = self.rows_at_turn(t)
            self.states[rows, self.past_slice] = recent[convs]
            probs[rows] = predict(self.states[rows], rows)
            recent[convs, 1:] = recent[convs, :-1]
            recent[convs, 0] = probs[rows]
        return probs


class EmbeddingCache:
    """Turn embeddings kept on disk per text, so a new dataset only embeds the texts it adds.

    Two files per embedder (`key` names it): the sha256 prefixes of the texts and their vectors, in
    the same order. Written whole to a temporary file and renamed, so a killed run leaves the
    previous cache intact."""

    def __init__(self, directory: Path, key: str) -> None:
        name = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.keys_path = directory / f"emb-{name}.keys.npy"
        self.vectors_path = directory / f"emb-{name}.vectors.npy"
        self.keys = np.zeros(0, dtype="S16")
        self.vectors: np.ndarray | None = None
        if self.keys_path.is_file() and self.vectors_path.is_file():
            keys, vectors = np.load(self.keys_path), np.load(self.vectors_path)
            if len(keys) == len(vectors):
                self.keys, self.vectors = keys, vectors
            else:
                log.warning("embedding cache %s is inconsistent; starting afresh", self.keys_path)
        self.index = {k: i for i, k in enumerate(self.keys.tolist())}

    @staticmethod
    def text_key(text: str) -> bytes:
        return hashlib.sha256(text.encode()).digest()[:16]

    def get(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        if self.vectors is None:  # nothing cached yet
            return {}
        found = {}
        for t in texts:
            i = self.index.get(self.text_key(t))
            if i is not None:
                found[t] = self.vectors[i]
        return found

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        if not len(texts):
            return
        keys = np.array([self.text_key(t) for t in texts], dtype="S16")
        self.keys = np.concatenate([self.keys, keys])
        vectors = vectors.astype(np.float32)
        self.vectors = vectors if self.vectors is None else np.concatenate([self.vectors, vectors])
        self.index = {k: i for i, k in enumerate(self.keys.tolist())}
        self.keys_path.parent.mkdir(parents=True, exist_ok=True)
        for path, array in ((self.keys_path, self.keys), (self.vectors_path, self.vectors)):
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, array)
            tmp.replace(path)


def embed_unique(texts: Sequence[str], embed: Callable[[list[str]], np.ndarray], cache: Path | None,
                 key: str, progress: Callable[[int], None] | None = None, batch: int = 4096) -> np.ndarray:
    """Embeds each distinct text once, one row per text in `texts`; with `cache`, only texts no
    earlier run has embedded with the same embedder (`key`). Texts go to the embedder `batch` at a
    time, shortest first across the whole data set: each call then holds texts of nearly one length,
    which the embedder packs into full batches with almost no padding (BENCHMARKS.md, "The embedder's floor")."""
    unique = sorted(set(texts))
    store = EmbeddingCache(cache, key) if cache else None
    known = store.get(unique) if store else {}
    missing = sorted((t for t in unique if t not in known), key=len)  # stable: ties stay in text order
    if progress and known:
        progress(len(known))
    parts = []
    for i in range(0, len(missing), batch):
        parts.append(np.asarray(embed(missing[i:i + batch]), dtype=np.float32))
        if progress:
            progress(len(missing[i:i + batch]))
    if missing:
        fresh = np.concatenate(parts)
        known.update(zip(missing, fresh))
        if store:
            store.add(missing, fresh)
    return np.stack([known[t] for t in texts])  # float32 already: no second copy of every row


PARALLEL_FROM = 200  # conversations; fewer are built in this process, quicker than starting workers


def build_state_table(convs: Sequence[Conversation], embeddings: np.ndarray, dim: int,
                      lexical: Sequence[LexicalModel], sequence: Sequence[SequenceModel],
                      workers: int | None = None) -> StateTable:
    """`embeddings` holds one row per turn, conversations in order; `lexical` and `sequence` the lexical and
    sequence models that score each conversation (agent.training.lexical_fit, agent.training.sequence_fit).

    Conversations are independent, so `workers` processes (agent.training.workers; default one a core) each
    build a share of them, writing their rows straight into one array they all share."""
    lengths = np.array([len(c.turns) for c in convs])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    rows = int(lengths.sum())
    schema = feature_schema(dim)
    workers = (workers or cores()) if len(convs) >= PARALLEL_FROM and can_fork() else 1
    states = (shared_zeros if workers > 1 else np.zeros)((rows, schema["past"][1]), dtype=np.float32)

    def fill(part: np.ndarray) -> None:
        """The states of the conversations `part`, turn by turn with the StateBuilder inference uses."""
        for c in part:
            builder = StateBuilder(dim, lexical[c], sequence[c])
            for i, turn in enumerate(convs[c].turns):
                states[starts[c] + i] = builder.push(turn, embeddings[starts[c] + i])
                builder.record(0.5)  # replaced by refresh_past once a model exists

    fork_map(fill, [p for p in np.array_split(np.arange(len(convs)), workers * 4) if len(p)], workers)
    next_action = np.full(rows, -1, dtype=np.int64)
    p_true = np.full(rows, np.nan, dtype=np.float32)
    for c, start in zip(convs, starts):
        for i in range(len(c.turns)):
            if c.p_true and c.p_true[i] is not None:
                p_true[start + i] = c.p_true[i]
            if i + 1 < len(c.turns) and c.actions and c.actions[i + 1] and c.turns[i + 1].role == "rep":
                next_action[start + i] = MOVES.index(c.actions[i + 1])
    outcomes = np.array([c.outcome if c.outcome is not None else -1 for c in convs], dtype=np.float32)
    return StateTable(states, starts, lengths, outcomes, next_action, p_true,
                      slice(schema["past"][0], schema["past"][1]), schema["position"][0], schema["lexical"][0])
