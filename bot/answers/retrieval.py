"""Finding the stored turns a question is about: embedding similarity plus keyword boosts.

The question is embedded with the agent's own embedder and compared (cosine) with every kept turn
of the deal. Turn embeddings are computed when a deal is first asked about and cached per call in
the process (stored text never changes; a purged call simply has no turns left), so later questions
cost one embedding. On top of the similarity:

- a turn showing a signal the question is about (price and budget for pricing questions, decision
  maker and authority for "who decides", ...) gets `SIGNAL_BOOST`;
- a turn sharing content words with the question gets up to `WORD_BOOST`;
- a prospect turn gets `PROSPECT_BOOST` when the question asks what "they" said or who decides;
- a rep's question loses `REP_QUESTION_PENALTY`: asking about budget answers nothing about it.

A turn showing a wanted signal is kept even below `MIN_SCORE`, as long as it is not dissimilar.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from salesrl.agent.embedder import Embedder
from salesrl.agent.signals import detect
from salesrl.bot.answers.history import DealHistory, HistoryTurn
from salesrl.bot.answers.intent import Question

SIGNAL_BOOST = 0.2
WORD_BOOST = 0.15
PROSPECT_BOOST = 0.05
REP_QUESTION_PENALTY = 0.3
MIN_SCORE = 0.3  # below this a turn is not about the question
MAX_CACHED_CALLS = 2048

# question words -> the signals (agent.signals) of turns that answer them
_TOPIC_SIGNALS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"pric|cost|budget|expens|afford|discount|money|spend|fee|contract value|\$", re.I), ("price", "budget")),
    (re.compile(r"decid|decision|sign|approv|authority|boss|vp|cfo|ceo|board|procurement|buyer", re.I),
     ("decision_maker", "authority")),
    (re.compile(r"next step|pilot|trial|follow|meeting|demo|schedule|proof of concept", re.I), ("next_step",)),
    (re.compile(r"timeline|when|date|deadline|go[- ]live|quarter|launch|timing", re.I), ("timeline", "timing")),
    (re.compile(r"compet|alternative|vendor|salesforce|hubspot|incumbent", re.I), ("competitor",)),
    (re.compile(r"need|priority|problem|pain|fit", re.I), ("need",)),
)
# said to the embedder along with questions whose words alone are too short to find their answers
_EXPANSIONS = {
    "who_decides": "who signs off and approves the purchase: the decision maker, our VP, CFO or boss",
    "next_step": "the next step we agreed: a pilot, a meeting, a follow-up",
}
_THEY = re.compile(r"\b(?:they|them|the prospect|the buyer|the customer|he|she)\b", re.I)
_WORD = re.compile(r"[a-z0-9$€£]+(?:'[a-z]+)?")
_STOPWORDS = frozenset("""
    a an the and or but if of to in on at for with about by from as is are was were be been being do does did
    have has had what who whom which when where why how this that these those it its they them their he she
    his her we our us you your i me my say said says tell told mention mentioned any anything something
    deal call calls there here so than then just should would could can will shall may might must not no yes
""".split())


def wanted_signals(question: Question) -> frozenset[str]:
    text = " ".join(filter(None, (question.text, question.topic)))
    if question.intent == "who_decides":
        return frozenset(("decision_maker", "authority"))
    return frozenset(s for rx, signals in _TOPIC_SIGNALS if rx.search(text) for s in signals)


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in _STOPWORDS and len(w) > 2}


@dataclass(frozen=True)
class Hit:
    turn: HistoryTurn
    score: float
    similarity: float


class TurnEmbeddings:
    """Embeddings of stored turns, per call, computed on first use and kept in memory."""

    def __init__(self, embedder: Embedder, max_calls: int = MAX_CACHED_CALLS) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_calls
        self.embedded_turns = 0  # turns embedded so far (the cost of first questions)

    def for_turns(self, turns: Sequence[HistoryTurn]) -> np.ndarray:
        """Embeddings of `turns` (rows in the same order); cached per call and turn count."""
        by_call: dict[int, list[HistoryTurn]] = {}
        for t in turns:
            by_call.setdefault(t.call_id, []).append(t)
        rows: dict[tuple[int, int], np.ndarray] = {}
        for call_id, call_turns in by_call.items():
            key = (call_id, len(call_turns))
            with self._lock:
                cached = self._cache.get(key)
                if cached is not None:
                    self._cache.move_to_end(key)
            if cached is None:
                cached = self.embedder.embed([t.text for t in call_turns])
                self.embedded_turns += len(call_turns)
                with self._lock:
                    self._cache[key] = cached
                    while len(self._cache) > self._max:
                        self._cache.popitem(last=False)
            for t, row in zip(call_turns, cached):
                rows[(t.call_id, t.index)] = row
        if not turns:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([rows[(t.call_id, t.index)] for t in turns])


def retrieve(question: Question, history: DealHistory, embeddings: TurnEmbeddings, *, k: int = 3,
             signals: frozenset[str] | None = None, min_score: float = MIN_SCORE) -> list[Hit]:
    """The k turns that best answer the question, best first (only those scoring `min_score` or more)."""
    turns = history.turns
    if not turns:
        return []
    query = " ".join(filter(None, (question.topic, question.text, _EXPANSIONS.get(question.intent))))
    q = embeddings.embedder.embed([query])[0]
    similarity = embeddings.for_turns(turns) @ q  # both unit length: cosine
    wanted = wanted_signals(question) if signals is None else signals
    words = content_words(question.topic or question.text)
    about_them = bool(_THEY.search(question.text))
    hits = []
    for turn, sim in zip(turns, similarity):
        score = float(sim)
        signalled = bool(wanted and wanted & detect(turn.text))
        if signalled:
            score += SIGNAL_BOOST
        if words:
            score += WORD_BOOST * len(words & content_words(turn.text)) / len(words)
        if turn.role == "prospect" and (about_them or question.intent == "who_decides"):
            score += PROSPECT_BOOST
        if turn.role == "rep" and turn.text.rstrip().endswith("?"):
            score -= REP_QUESTION_PENALTY  # the rep asking about it says less than anyone answering
        if score >= min_score or (signalled and sim > 0):
            hits.append(Hit(turn, score, float(sim)))
    hits.sort(key=lambda h: h.score, reverse=True)
    return hits[:k]
