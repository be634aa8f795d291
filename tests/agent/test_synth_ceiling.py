"""The words-only perfect reader of benchmarks/synth_ceiling.py is told a prospect turn's engagement level
only where the template writer put it into words: always for an acknowledgement, never for a rep turn or
for an intent whose phrases do not depend on it, and for the others as the writer chose."""

from __future__ import annotations

from agent.synth.generator import iter_plans
from agent.synth.template_writer import TemplateWriter
from benchmarks.synth_ceiling import worded_engagement

NEVER_WORDED = {"hello", "greeting", "small_talk", "backchannel", "deflect", "resolved", "unconvinced",
                "agree_next_step", "tentative", "accept_close", "defer_close", "reject_close", "end_call", "goodbye"}
SOMETIMES = {"pain", "objection", "signal", "question"}


def test_engagement_is_known_exactly_where_the_words_show_it():
    writer = TemplateWriter()
    seen = {True: set(), False: set()}
    for plan in iter_plans(60, seed=9):
        for turn, worded in zip(plan.turns, worded_engagement(plan, writer)):
            if turn.role == "rep" or turn.intent in NEVER_WORDED:
                assert not worded, turn
            elif turn.intent == "ack":
                assert worded, turn
            seen[worded].add(turn.intent)
    assert SOMETIMES <= seen[True] and SOMETIMES <= seen[False]  # an opener is added to some of these only
