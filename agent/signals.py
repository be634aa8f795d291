"""Detects sales signals in one turn's text: the prospect's objections and buying signals.

Deliberately simple, readable patterns: they feed the state (as counts) and coaching (as gaps and
open objections); the learned policy does the weighing.
"""

from __future__ import annotations

import functools

from salesrl.agent.caseless import Caseless

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

_COMPILED = {name: Caseless(p) for name, p in _PATTERNS.items()}
_QUESTION_OPENERS = Caseless(
    r"(?:^|[.!?]\s+)(?:what|how|why|who|when|where|which|could you|can you|would you|tell me|walk me)\b")


@functools.lru_cache(maxsize=4096)
def detect(text: str) -> frozenset[str]:
    """The signals present in one turn's text. The answers for recent texts are kept: the state builder, the
    coaching and the bot's live alerts (which coach the whole call after every message) each ask about the
    same turns, and matching the nine patterns is the costly part. (One pattern joining all nine, searched
    again without each signal it finds, gives the same answers but was three times slower with `re`.)"""
    return frozenset(name for name, rx in _COMPILED.items() if rx.search(text))


def count_questions(text: str) -> int:
    """Questions asked in a turn: question marks, or question openers when there are none."""
    marks = text.count("?")
    return marks if marks else len(_QUESTION_OPENERS.findall(text))
