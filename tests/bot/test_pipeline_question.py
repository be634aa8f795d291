"""Which questions are about the pipeline rather than one deal, and the period each names."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from salesrl.bot.answers.pipeline import pipeline_question

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)  # a Sunday; 10:00 in Paris


@pytest.mark.parametrize("text, kind, owner, start, period", [
    ("which deals are at risk this week?", "at_risk", None, datetime(2026, 11, 29, 23, 0), "this week"),
    ("what changed since Monday?", "changes", None, datetime(2026, 11, 29, 23, 0), "since Monday"),
    ("anything slipping since friday?", "at_risk", None, datetime(2026, 12, 3, 23, 0), "since Friday"),
    ("how is Dana's pipeline?", "owner", "Dana", NOW - timedelta(days=7), "in the last 7 days"),
    ("how's @dana’s pipeline looking", "owner", "dana", NOW - timedelta(days=7), "in the last 7 days"),
    ("how is the team's pipeline?", "overview", None, NOW - timedelta(days=7), "in the last 7 days"),
    ("deals that moved in the last 14 days", "changes", None, NOW - timedelta(days=14), "in the last 14 days"),
    ("what's new today?", "changes", None, datetime(2026, 12, 5, 23, 0), "today"),
])
def test_pipeline_questions(text, kind, owner, start, period):
    q = pipeline_question(text, NOW, "Europe/Paris")
    assert q is not None
    assert (q.kind, q.owner_name, q.since.replace(tzinfo=None), q.period) == (
        kind, owner, start.replace(tzinfo=None), period)


@pytest.mark.parametrize("text", ["who decides?", "what did they say about pricing?", "how has it moved?",
                                  "why is this flagged?", "what should I do next?"])
def test_questions_about_one_deal_are_not_about_the_pipeline(text):
    assert pipeline_question(text, NOW, "UTC") is None
