"""The messages of live sessions, flags and answers pass Slack's Block Kit limits at their largest,
and text from a call never turns into a mention or a link."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from salesrl.agent.types import ScorePoint
from salesrl.bot.answers.compose import Answer
from salesrl.bot.answers.history import Citation
from salesrl.bot.flags.thresholds import Thresholds
from salesrl.bot.live.alerts import Alert
from salesrl.bot.live.slack_thread import EARLY_TURNS, live_status
from salesrl.bot.slack.templates import Templates
from salesrl.bot.sparkline import sparkline
from salesrl.bot.store import Deal

HOSTILE = "<!channel> & <@U0CARL> <https://evil.example|click> " + "x" * 5000
NOW = datetime(2026, 11, 26, tzinfo=timezone.utc)


def body(message) -> str:
    return json.dumps(message.as_kwargs(), ensure_ascii=False)


def assert_inert(text: str) -> None:
    assert "<!channel>" not in text and "<@U0CARL>" not in text and "<https://evil" not in text


def points(n: int) -> list[ScorePoint]:
    return [ScorePoint(i, HOSTILE[:300], "prospect", HOSTILE, (i % 10) / 10, 0.05, 0.9) for i in range(n)]


def deal(name: str = "D" * 200) -> Deal:
    return Deal(1, "T1", name, "U0ANA", "C0SALES", None, None, "open", None, 40, 0.31, -0.2, NOW, NOW, NOW)


def test_live_cards_at_their_largest():
    templates = Templates()
    ps = points(2000)
    for state in ("live", "ended"):
        message = templates.message("slack/live_card.json.j2", deal_name=HOSTILE[:200], state=state, points=ps,
                                    status="at risk", spark=sparkline([p.probability for p in ps]), change=-0.2,
                                    last=ps[-1], started_by="U0ANA", saved={"call_number": 12})
        assert_inert(body(message))
        assert "after 2000 turns" in message.text
    empty = templates.message("slack/live_card.json.j2", deal_name="Acme", state="live", points=[], status="",
                              spark="", change=None, last=None, started_by="U0ANA", saved=None)
    assert "waiting for the first message" in empty.text


def test_a_live_alert_at_its_largest():
    alert = Alert(at=9, cause=7, before=0.7, after=0.3, dropped=True, fell_below=True,
                  thresholds=Thresholds(below=0.35), cause_speaker=HOSTILE[:200], cause_text=HOSTILE,
                  concern="price", next_step=HOSTILE)
    message = Templates().message("slack/live_alert.json.j2", alert=alert)
    assert_inert(body(message))
    assert message.text.startswith(":warning: The probability dropped 40 pts within 5 turns and fell below 35%")
    assert "Turn 8 caused it" in message.text


def test_a_flag_post_at_its_largest():
    swings = [{"label": "call 40 (Nov 26), turn 7", "speaker": HOSTILE[:200], "text": HOSTILE, "change": -0.3}] * 5
    for full in (True, False):  # the post in full, and without the call's content
        message = Templates().message(
            "slack/flag_post.json.j2", deal=deal(), reasons=[HOSTILE] * 30, flagged_by=None, swings=swings,
            curve=sparkline([0.5] * 60), deal_curve=[{"label": "Nov 26", "probability": 0.4}] * 40,
            command="/salesrl", fallback_note=HOSTILE, full=full)
        assert_inert(body(message))


def test_an_answer_and_the_config_at_their_largest():
    templates = Templates()
    cites = tuple(Citation(i, i, NOW, i) for i in range(1, 30))
    answer = Answer("\n".join([HOSTILE] * 5), cites, "said_about", HOSTILE[:200], "openai:gpt-test")
    message = templates.message("slack/answer.json.j2", answer=answer, asked_by="U0ANA", phrased_by=HOSTILE[:80])
    assert_inert(body(message))
    assert "Based on call 1 (Nov 26), turn 1 · call 2 (Nov 26), turn 2" in body(message)
    config = templates.message("slack/config.json.j2", review_channel="C0REVIEW", below=0.3, drop=0.15, window=5,
                               below_default=False, drop_default=True, changed=HOSTILE, crm_writeback=True,
                               admins=[f"U{i:010d}" for i in range(100)])
    assert_inert(body(config))
    assert "<#C0REVIEW>" in body(config)  # a channel link Slack renders, on purpose
    assert "<@U0000000019> and 80 more" in body(config)


def test_a_live_card_says_too_early_to_tell_before_it_calls_a_call_unfamiliar():
    def at(n: int, in_distribution: float) -> list[ScorePoint]:
        return [ScorePoint(i, "Ben", "prospect", "ok", 0.5, 0.05, in_distribution) for i in range(n)]

    assert live_status(at(1, 0.0)) == "too early to tell"
    assert live_status(at(EARLY_TURNS - 1, 0.0)) == "too early to tell"
    assert live_status(at(EARLY_TURNS, 0.0)) == "unfamiliar"
    assert live_status(at(2, 0.9)) == "toss-up"  # familiar already: its verdict at once
    assert live_status([]) == ""
