"""Posts Slack made but whose answer was lost (issue 27, item 6): the connection dropped after the
request went out, or Slack answered after the client's timeout. Whatever the bot posts again after
such a failure, it looks for first, so each post and each chart is in Slack once. Through the real
bot over real HTTP, its real Slack client, and the fake Slack's `lose_answer_next`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from salesrl.bot.digest.runner import DigestRunner
from salesrl.bot.digest.slack_clients import clients_from_settings
from salesrl.bot.slack import outbox
from salesrl.bot.store.tables import utcnow
from tests.e2e.conftest import TRANSCRIPT, BotUnderTest
from tests.e2e.test_flags import REVIEW, command, posts_in, score, set_review_channel
from tests.e2e.test_live import CALL, expected_alert, largest_fall, probabilities, say, start_live
from tests.reliability.test_slack_faults import (  # noqa: F401 - bot_with_short_waits is a fixture
    bot_with_short_waits,
    reply_texts,
)
from tests.waiting import wait_until
from tests.stored import questions

pytestmark = pytest.mark.slow  # each waits out the bot's 1 s wait for Slack, most of them twice

# bot_with_short_waits gives up on an answer after 1 s: the answer is lost at once, or comes too late
LOST = pytest.mark.parametrize("after", [0.0, 1.5], ids=["connection dropped", "answered after the timeout"])


def shares(messages: list[dict]) -> list[dict]:
    """The messages that share a file (an uploaded chart)."""
    return [m for m in messages if m.get("subtype") == "file_share"]


def with_text(messages: list[dict], text: str) -> list[dict]:
    return [m for m in messages if text in m.get("text", "") + json.dumps(m.get("blocks", []), ensure_ascii=False)]


def nobody_was_told_of_a_failure(bot: BotUnderTest) -> bool:
    return not [t for t in reply_texts(bot) if "couldn't post" in t or "went wrong" in t.lower()] \
        and not bot.fake.calls_to("chat.postEphemeral")


# --- a scored call ---------------------------------------------------------------------------------

def score_acme(bot: BotUnderTest) -> list[dict]:
    """Score a call in #sales; its messages once the answer is complete."""
    bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=bot.fake.response_url())
    wait_until(lambda: with_text(bot.fake.messages("C0SALES"), "Swing moments"), what="the coaching")
    bot.wait_idle()
    return bot.fake.messages("C0SALES")


@LOST
def test_a_calls_chart_is_uploaded_once(bot_with_short_waits: BotUnderTest, after):
    bot = bot_with_short_waits
    bot.fake.lose_answer_next("files.completeUploadExternal", after=after)
    summary, chart, coaching = score_acme(bot)
    (call,) = bot.store.calls.of_deal("T0TEAM", bot.store.deals.get("T0TEAM", "Acme").id)
    assert [f["name"] for f in chart["files"]] == [f"probability-curve-call-{call.id}.png"]
    assert chart["thread_ts"] == coaching["thread_ts"] == summary["ts"]
    assert nobody_was_told_of_a_failure(bot)


@LOST
def test_when_the_last_attempt_got_through_the_asker_is_not_told_it_failed(bot_with_short_waits: BotUnderTest,
                                                                          after):
    bot = bot_with_short_waits
    bot.fake.drop_next("chat.postMessage", times=3)  # every attempt but the last fails outright
    bot.fake.lose_answer_next("chat.postMessage", after=after)  # the last one is made, its answer lost
    summary, chart, coaching = score_acme(bot)
    assert len(bot.fake.calls_to("chat.postMessage")) == 5  # four attempts at the summary, then the coaching
    assert "likely to convert" in summary["text"] and shares([chart]) and chart["thread_ts"] == summary["ts"]
    assert nobody_was_told_of_a_failure(bot)


@LOST
def test_a_deals_chart_is_uploaded_once(bot_with_short_waits: BotUnderTest, after):
    bot = bot_with_short_waits
    score_acme(bot)
    bot.fake.lose_answer_next("files.completeUploadExternal", after=after)
    bot.slack.command("deal Acme", response_url=bot.fake.response_url())
    wait_until(lambda: len(bot.fake.messages("C0SALES")) > 3, what="the deal's detail")
    bot.wait_idle()
    detail = bot.fake.messages("C0SALES")[3]
    (chart,) = shares(bot.fake.thread("C0SALES", detail["ts"]))
    assert [f["name"] for f in chart["files"]] == ["deal-chart.png"]
    assert nobody_was_told_of_a_failure(bot)


# --- flags -----------------------------------------------------------------------------------------

@pytest.fixture
def flagging_bot(bot_with_short_waits: BotUnderTest) -> BotUnderTest:
    """A review channel, flags by hand only, and a call of Acme Corp scored."""
    bot = bot_with_short_waits
    bot.fake.member_channels.add(REVIEW)
    set_review_channel(bot, automatic_flags=False)
    score(bot, "Acme Corp")
    return bot


@LOST
@pytest.mark.parametrize("lost", ["chat.postMessage", "files.completeUploadExternal"], ids=["post", "chart"])
def test_a_flag_and_its_chart_are_posted_once(flagging_bot: BotUnderTest, lost, after):
    bot = flagging_bot
    bot.fake.lose_answer_next(lost, after=after)
    reply = command(bot, "flag Acme Corp :: stalled since the pilot")
    assert "Flagged *Acme Corp*" in reply["text"] and "couldn't post" not in reply["text"]
    bot.wait_idle()
    (post,) = posts_in(bot, REVIEW)
    (flag,) = bot.store.flags.list_open("T0TEAM")
    assert (flag.channel_id, flag.thread_ts) == (REVIEW, post["ts"])
    (chart,) = shares(bot.fake.thread(REVIEW, post["ts"]))
    assert [f["name"] for f in chart["files"]] == [f"probability-curve-flag-{flag.id}.png"]
    assert nobody_was_told_of_a_failure(bot)


@LOST
def test_a_note_in_a_flags_thread_is_posted_once(flagging_bot: BotUnderTest, after):
    bot = flagging_bot
    command(bot, "flag Acme Corp :: stalled since the pilot")
    (post,) = posts_in(bot, REVIEW)
    bot.fake.lose_answer_next("chat.postMessage", after=after)
    assert "Cleared 1 flag" in command(bot, "unflag Acme Corp")["text"]
    bot.wait_idle()
    assert len(with_text(bot.fake.thread(REVIEW, post["ts"]), "Flag cleared by")) == 1


# --- answers to questions --------------------------------------------------------------------------

@LOST
def test_an_answer_is_posted_once(bot_with_short_waits: BotUnderTest, after):
    bot = bot_with_short_waits
    score_acme(bot)
    bot.fake.lose_answer_next("chat.postMessage", after=after)
    bot.slack.message("who decides on Acme?", mention_of=bot.fake.bot_user_id)
    wait_until(lambda: questions(bot.store, "T0TEAM"), what="the question to be saved")
    bot.wait_idle()

    def answers() -> list[dict]:
        return [m for m in bot.fake.messages("C0SALES") if any(b.get("block_id") == "answer"
                                                               for b in m.get("blocks", []))]

    wait_until(answers, what="the answer")
    bot.wait_idle()
    assert len(answers()) == 1
    assert nobody_was_told_of_a_failure(bot)


# --- live sessions ---------------------------------------------------------------------------------

@pytest.fixture
def live_bot(bot_with_short_waits: BotUnderTest, monkeypatch: pytest.MonkeyPatch) -> BotUnderTest:
    """A bot that reads a thread's replies one to a page: a look must page through a long live thread."""
    monkeypatch.setattr(outbox, "HISTORY_LIMIT", 1)
    return bot_with_short_waits


@LOST
def test_a_live_card_is_posted_once(live_bot: BotUnderTest, after):
    bot = live_bot
    bot.fake.lose_answer_next("chat.postMessage", after=after)
    card = start_live(bot)  # the session opens on the card Slack made
    bot.wait_idle()
    assert len(bot.fake.messages("C0SALES")) == 1 and bot.fake.messages("C0SALES")[0]["ts"] == card["ts"]
    assert nobody_was_told_of_a_failure(bot)


@LOST
def test_a_live_alert_is_posted_once(live_bot: BotUnderTest, agent, after):
    bot = live_bot
    drop = min(0.15, int(100 * largest_fall(probabilities(agent, CALL))) / 100)  # one this model reaches
    bot.slack.command(f"config drop-threshold {round(100 * drop)}%", response_url=bot.fake.response_url())
    bot.fake.wait_for("response_url")
    alert_at, _, _ = expected_alert(agent, CALL, drop)
    assert alert_at is not None
    card = start_live(bot)
    for i, line in enumerate(CALL[:alert_at]):
        say(bot, card["ts"], line, i)
    bot.fake.lose_answer_next("chat.postMessage", after=after)  # the alert, posted after the next update
    say(bot, card["ts"], CALL[alert_at], alert_at)
    wait_until(lambda: with_text(bot.fake.thread("C0SALES", card["ts"]), "caused it"), what="the alert")
    say(bot, card["ts"], CALL[alert_at + 1], alert_at + 1)  # handled once the alert's post is done with
    assert len(with_text(bot.fake.thread("C0SALES", card["ts"]), "caused it")) == 1
    assert nobody_was_told_of_a_failure(bot)


@LOST
@pytest.mark.parametrize("lost", ["chat.postMessage", "files.completeUploadExternal"], ids=["coaching", "chart"])
def test_a_live_sessions_coaching_and_chart_are_posted_once(live_bot: BotUnderTest, lost, after):
    bot = live_bot
    card = start_live(bot)
    for i, line in enumerate(CALL[:6]):
        say(bot, card["ts"], line, i)
    bot.fake.lose_answer_next(lost, after=after)
    bot.slack.message("end", thread_ts=card["ts"])
    wait_until(lambda: with_text(bot.fake.thread("C0SALES", card["ts"]), "Swing moments"), what="the coaching")
    bot.wait_idle()
    thread = bot.fake.thread("C0SALES", card["ts"])
    assert len(with_text(thread, "Swing moments")) == 1
    (chart,) = shares(thread)
    session = bot.store.live.find("T0TEAM", "C0SALES", card["ts"], include_ended=True)
    assert [f["name"] for f in chart["files"]] == [f"probability-curve-live-{session.id}.png"]
    assert nobody_was_told_of_a_failure(bot)


# --- digests ---------------------------------------------------------------------------------------

@LOST
def test_a_digests_chart_is_uploaded_once(bot_with_short_waits: BotUnderTest, after):
    bot = bot_with_short_waits
    score_acme(bot)
    now = utcnow() + timedelta(hours=1)
    bot.store.digests.add_subscription("T0TEAM", "C0SALES", cadence="weekly", weekday=now.weekday(), hour=now.hour,
                                      timezone="UTC")
    bot.fake.lose_answer_next("files.completeUploadExternal", after=after)
    (posted,) = DigestRunner(bot.store, clients_from_settings(bot.settings)).run_due(now + timedelta(minutes=1)).posted
    (chart,) = shares(bot.fake.thread("C0SALES", posted.message_ts))
    assert [f["name"] for f in chart["files"]] == ["pipeline-digest.png"]
