"""What a question about a deal asks for, by simple rules a reader can check.

    why_flagged   "why is this flagged?", "what's wrong with Acme?", "why did it drop?"
    movement      "how has it moved since last week?", "what's the trend?"
    who_decides   "who decides?", "who signs off?", "who is the decision maker?", "who makes the call?"
    likelihood    "how likely is it?", "what are our chances?", "where does it stand?"
    next_step     "what should I do next?", "any advice?"
    said_about    "what did they say about pricing?", "did they mention a competitor?"
    general       anything else: the turns closest to the question

The first rule that matches wins, in the order above. A question no rule reads as one of the first five
(general, said_about) is compared by the sentence embedder with example questions of each (`EXAMPLES`,
`IntentReader`): people ask "who's writing the check?" in more ways than rules list. It takes that intent
only when its closest example is close (`MIN_SIMILARITY`) and clearly closer than any example of a question
about what was said (`MARGIN`): a wrong reading answers another question, a missed one still quotes turns.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal, cast

import numpy as np

from salesrl.agent.embedder import Embedder

Intent = Literal["why_flagged", "movement", "who_decides", "likelihood", "next_step", "said_about", "general"]

_WHY_FLAGGED = re.compile(
    r"\bwhy\b.*\b(?:flag(?:ged)?|at risk|red|low|drop(?:ped)?|fall(?:en)?|fell|worried|concern(?:ed)?)\b"
    r"|\bwhat(?:'s| is)? (?:wrong|the (?:problem|issue|risk))\b|\bwhy (?:this|it) (?:deal )?(?:is )?(?:here|flagged)\b",
    re.I)
_MOVEMENT = re.compile(
    r"\bhow (?:has|did|is) (?:it|the deal|this|the probability|\w+) "
    r"(?:moved?|changed?|chang(?:ing)|trend(?:ing)?|doing|going|progress(?:ed|ing)?)"
    r"|\b(?:moved?|changed?|trend|progress(?:ed)?|over time|since (?:last|the last|yesterday|monday|\d))\b",
    re.I)
_WHO_DECIDES = re.compile(
    r"\bwho(?:'?s)?\b.*\b(?:decid\w*|signs?|signing|sign(?:s|ing)? off|approv\w*|buyer|budget holder|in charge|call the shots|"
    r"final say)\b"
    r"|\bwho(?:'?s)?\b.*\b(?:makes?|has|gets|got) the (?:call|decision|(?:final|last) (?:call|say|word))\b"
    r"|\b(?:anyone|anybody|someone|who) else\b.*\b(?:at the table|in the room|involved|decid\w*|sign\w*|approv\w*)\b"
    r"|\bdecision[- ]?makers?\b|\bauthority\b|\beconomic buyer\b",
    re.I)
_LIKELIHOOD = re.compile(
    r"\bhow (?:likely|probable|good|real)\b.*\b(?:close|win|sign|buy|happen|it|this|we|they)\b|\blikelihood\b"
    r"|\b(?:chances?|odds|probability|prob|win rate)\b|\bwhere (?:does|do|is) (?:it|this|the deal|we) stand"
    r"|\b(?:will|would) (?:it|this|they|we) (?:close|sign|buy|win)\b",
    re.I)
_NEXT_STEP = re.compile(
    r"\b(?:what|how) (?:should|do|can|could|would) (?:i|we|they|you)\b.*\b(?:do|next|say|handle|respond|approach|win|save)\b"
    r"|\bnext (?:step|move|best|action)s?\b|\bwhat(?:'s| is)? next\b|\badvice\b|\brecommend\w*\b|\bsuggest\w*\b",
    re.I)
_SAID_ABOUT = re.compile(
    r"\b(?:say|said|says|mention(?:ed)?|tell|told|talk(?:ed)?|ask(?:ed)?|raise[ds]?|bring up|brought up|"
    r"think|feel|object(?:ed|ion)?)\b.*?\b(?:about|on|regarding|re)\b\s+(?P<topic>.+)"
    r"|\b(?:did|do|does|has|have) (?:they|he|she|the prospect|the buyer|anyone) "
    r"(?:mention|raise|bring up|talk about|ask about)\s+(?P<topic2>.+)",
    re.I)
_TOPIC_TRAILER = re.compile(r"[?.!\s]+$")

_SINCE = (
    (re.compile(r"\byesterday\b", re.I), timedelta(days=1)),
    (re.compile(r"\b(?:last|past|this) week\b|\bseven days\b|\b7 days\b", re.I), timedelta(days=7)),
    (re.compile(r"\b(?:last|past) (?:two|2) weeks\b|\bfortnight\b", re.I), timedelta(days=14)),
    (re.compile(r"\b(?:last|past|this) month\b|\b30 days\b", re.I), timedelta(days=30)),
    (re.compile(r"\b(?:last|past|this) quarter\b|\b90 days\b", re.I), timedelta(days=90)),
)


@dataclass(frozen=True)
class Question:
    text: str
    intent: Intent
    topic: str | None = None  # for said_about: what about ("pricing")
    since: timedelta | None = None  # for movement: the period asked about, when it names one


def classify(text: str) -> Question:
    clean = " ".join(text.split())
    if _WHY_FLAGGED.search(clean):
        return Question(clean, "why_flagged")
    if _WHO_DECIDES.search(clean):
        return Question(clean, "who_decides")
    if _LIKELIHOOD.search(clean) and not _SAID_ABOUT.search(clean):
        return Question(clean, "likelihood")
    if _MOVEMENT.search(clean) and not _SAID_ABOUT.search(clean):
        since = next((d for rx, d in _SINCE if rx.search(clean)), None)
        return Question(clean, "movement", since=since)
    if _NEXT_STEP.search(clean):
        return Question(clean, "next_step")
    m = _SAID_ABOUT.search(clean)
    if m:
        topic = _TOPIC_TRAILER.sub("", m.group("topic") or m.group("topic2") or "").strip()
        return Question(clean, "said_about", topic=topic or None)
    return Question(clean, "general")


# example questions of the intents rules read, in other words than the rules'; "content" are questions about
# what was said, which retrieval answers (they keep a question from being read as an intent it only resembles)
EXAMPLES: dict[str, tuple[str, ...]] = {
    "who_decides": ("who is going to sign the contract", "which people have to approve the purchase",
                    "who holds the purse strings", "who do we need to convince", "who has a vote on this",
                    "who's the economic buyer here", "who is on the buying committee"),
    "likelihood": ("is this going to close", "are we going to win it", "what's the forecast on this one",
                   "how confident are we in this deal", "is this deal for real"),
    "next_step": ("what would you do in my shoes", "how do we move this forward", "how do I get this unstuck",
                  "what's the plan to push it along"),
    "content": ("what did they say about the rollout", "how many locations do they have", "what are they using today",
                "when is the training session", "did they mention the contract term", "what do they need from us",
                "how much are they paying now", "what problem do they want solved", "who is their current supplier",
                "what worries them", "did anyone bring up support hours", "who else are they talking to"),
}
MIN_SIMILARITY = 0.5
MARGIN = 0.1


class IntentReader:
    """`classify`, with the embedder's reading of questions no rule reads (the module's docstring); one per
    process, its examples embedded on first use."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._labels = [intent for intent, examples in EXAMPLES.items() for _ in examples]
        self._examples: np.ndarray | None = None
        self._lock = threading.Lock()

    def examples(self) -> np.ndarray:
        with self._lock:
            if self._examples is None:
                self._examples = self.embedder.embed([q for examples in EXAMPLES.values() for q in examples])
            return self._examples

    def classify(self, text: str) -> Question:
        question = classify(text)
        if question.intent not in ("general", "said_about") or not question.text:
            return question
        similarity = self.examples() @ self.embedder.embed([question.text])[0]
        best: dict[str, float] = {}
        for label, sim in zip(self._labels, similarity):
            best[label] = max(best.get(label, -1.0), float(sim))
        intent = max(best, key=lambda k: best[k])
        runner_up = max(v for k, v in best.items() if k != intent)
        if intent == "content" or best[intent] < MIN_SIMILARITY or best[intent] - runner_up < MARGIN:
            return question
        return replace(question, intent=cast(Intent, intent), topic=None)
