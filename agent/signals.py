"""Detects sales signals in one turn's text: the prospect's objections and buying signals.

Deliberately simple, readable patterns: they feed the state (as counts) and coaching (as gaps and
open objections); the learned policy does the weighing.
"""

from __future__ import annotations

import functools
import re

OBJECTIONS: tuple[str, ...] = ("price", "timing", "authority", "need", "competitor")
BUYING: tuple[str, ...] = ("next_step", "timeline", "budget", "decision_maker")
SIGNALS: tuple[str, ...] = OBJECTIONS + BUYING

_PATTERNS: dict[str, str] = {
    "price": r"too (?:expensive|pricey|much)|expensive|pricey|over (?:our|the) budget|can'?t afford|"
             r"cost(?:s|ly)? (?:is|are|a lot|more)|price (?:is|seems|feels)|cheaper|steep|discount",
    "timing": r"not (?:right )?now|bad time|next (?:year|quarter)|later this year|timing|not a good time|"
              r"revisit (?:this|it)|circle back|too busy|on hold|freeze",
    "authority": r"not my (?:call|decision)|check with (?:my|our|the)|run (?:it|this) by|my boss|"
                 r"(?:need|have) to (?:ask|talk to|get approval)|above my pay|sign[- ]off from|the board",
    "need": r"don'?t (?:really )?(?:need|see the need)|not a priority|works? (?:fine|well enough)|"
            r"happy with what we have|not sure (?:we|it)|no real problem|nice to have",
    "competitor": r"competitor|already (?:use|using|have)|other vendors?|looking at (?:other|a few)|"
                  r"(?:salesforce|hubspot|zendesk|workday|servicenow|oracle|sap)\b|alternatives?",
    "next_step": r"next steps?|schedule|set up (?:a|the) (?:call|meeting|demo|review)|send (?:over|me|you|the)|"
                 r"trial|pilot|follow[- ]up|calendar|invite (?:you|them|him|her)|book (?:a|the|some)|kick-?off|order form|"
                 r"proof of concept|(?:meet|talk|speak) again|(?:this|next) (?:monday|tuesday|wednesday|thursday|friday)",
    "timeline": r"by (?:the )?end of|this (?:quarter|month)|\bq[1-4]\b|go[- ]live|deadline|"
                r"by (?:january|february|march|april|may|june|july|august|september|october|november|december)|"
                r"within (?:\d+|a few|two|three) (?:weeks|months)|timeline",
    "budget": r"budget|allocated|approved spend|set aside|funding|spend(?:ing)? (?:is|was|of)",
    "decision_maker": r"final say|decision[- ]maker|sign(?:s|ing)? off|i sign|(?:our|the) (?:cfo|ceo|cio|cto|vp)|"
                      r"loop in|bring in (?:our|my)|procurement|approv(?:e|al) (?:it|this)",
}

# Lower-case patterns matched on `fold_case(text)`: the same answers as re.IGNORECASE on the text, which costs
# about five times as much (it turns off re's search for a pattern's possible first characters).
_COMPILED = {name: re.compile(p) for name, p in _PATTERNS.items()}
# The only characters that re.IGNORECASE matches to a lower-case ASCII letter and str.lower() does not turn into
# that letter (found by trying every code point: tests/agent/test_signals.py).
_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})
_QUESTION_OPENERS = re.compile(
    r"(?:^|[.!?]\s+)(?:what|how|why|who|when|where|which|could you|can you|would you|tell me|walk me)\b")


@functools.lru_cache(maxsize=4096)
def detect(text: str) -> frozenset[str]:
    """The signals present in one turn's text. The answers for recent texts are kept: the state builder, the
    coaching and the bot's live alerts (which coach the whole call after every message) each ask about the
    same turns, and matching the nine patterns is the costly part. (One pattern joining all nine, searched
    again without each signal it finds, gives the same answers but was three times slower with `re`.)"""
    folded = fold_case(text)
    return frozenset(name for name, rx in _COMPILED.items() if rx.search(folded))


def fold_case(text: str) -> str:
    """`text` lower-cased so that a lower-case pattern (no case-sensitive part, no upper-case escape such as \\W)
    matches it where the same pattern with re.IGNORECASE matches `text`."""
    return (text if text.isascii() else text.translate(_FOLDS)).lower()


def count_questions(text: str) -> int:
    """Questions asked in a turn: question marks, or question openers when there are none."""
    marks = text.count("?")
    return marks if marks else len(_QUESTION_OPENERS.findall(fold_case(text)))
