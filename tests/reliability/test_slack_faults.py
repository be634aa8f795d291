"""Slack and network faults: forged and replayed requests, rate limits, Slack or OpenAI unreachable
while the bot answers. Everything over real HTTP against the fake servers on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import time

import pytest
from slack_sdk.http_retry import RateLimitErrorRetryHandler

from salesrl.bot.digest.slack_clients import clients_from_settings, clients_of_app
from salesrl.bot.slack import outbox, web_client
from tests.e2e.conftest import TRANSCRIPT, BotUnderTest
from tests.e2e.slack_requests import signed_headers
from tests.waiting import wait_until
from tests.stored import questions

SHORT_DELAYS = (0.3, 0.6, 1.2)  # the delivery retries' waits, shortened for the tests


def command_body(text: str, response_url: str, team: str = "T0TEAM") -> bytes:
    import urllib.parse

    return urllib.parse.urlencode({
        "team_id": team, "channel_id": "C0SALES", "user_id": "U0ANA", "command": "/salesrl", "text": text,
        "response_url": response_url, "trigger_id": "0.0.x", "api_app_id": "A0SALESRL"}).encode()


def reply_texts(bot: BotUnderTest) -> list[str]:
    return [c.params.get("text", "") for c in bot.fake.calls_to("response_url")]



# --- forged and replayed requests ------------------------------------------------------------------

def test_forged_requests_are_rejected_and_do_nothing(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    body = command_body(f"score Acme :: {TRANSCRIPT}", fake.response_url())
    http = bot.slack.http
    forged = [
        signed_headers(body, "application/x-www-form-urlencoded", secret="a-guessed-secret"),
        {"Content-Type": "application/x-www-form-urlencoded"},  # not signed at all
        {**signed_headers(body, "application/x-www-form-urlencoded"), "X-Slack-Request-Timestamp": "1700000000"},
        signed_headers(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) + 10 * 60),
    ]
    for headers in forged:
        assert http.post(bot.slack.url, data=body, headers=headers, timeout=10).status_code == 401
    bot.wait_idle()
    assert bot.store.deals.get("T0TEAM", "Acme") is None and not fake.calls_to("chat.postMessage")


def test_a_replayed_command_is_refused(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    body = command_body(f"score Acme :: {TRANSCRIPT}", fake.response_url())
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    http = bot.slack.http
    assert http.post(bot.slack.url, data=body, headers=headers, timeout=10).status_code == 200
    fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    # the same signed bytes again, a minute later as far as the five-minute window is concerned
    assert http.post(bot.slack.url, data=body, headers=headers, timeout=10).status_code == 401
    bot.wait_idle()
    assert bot.store.deals.get("T0TEAM", "Acme").call_count == 1
    # a new request with the same text is a new request
    assert bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=fake.response_url()).response.status_code == 200
    fake.wait_for("files.completeUploadExternal", 2)
    bot.wait_idle()
    assert bot.store.deals.get("T0TEAM", "Acme").call_count == 2


def test_a_replayed_button_press_is_refused(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    bot.slack.command("live Acme", response_url=fake.response_url())
    fake.wait_for("chat.postMessage")
    card = fake.messages("C0SALES")[0]
    wait_until(lambda: bot.store.live.find("T0TEAM", "C0SALES", card["ts"]) is not None, what="the session")
    payload = {"type": "block_actions", "team": {"id": "T0TEAM"}, "user": {"id": "U0ANA", "team_id": "T0TEAM"},
               "channel": {"id": "C0SALES"}, "message": {"ts": card["ts"]}, "container": {"message_ts": card["ts"]},
               "actions": [{"action_id": "live_end", "value": "end", "type": "button"}], "response_url": fake.response_url()}
    import urllib.parse

    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    assert bot.slack.http.post(bot.slack.url, data=body, headers=headers, timeout=10).status_code == 200
    assert bot.slack.http.post(bot.slack.url, data=body, headers=headers, timeout=10).status_code == 401


def test_slacks_retry_of_an_event_is_acknowledged_and_handled_once(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    file = fake.add_file("call.txt", TRANSCRIPT.encode())
    event = {"type": "message", "subtype": "file_share", "user": "U0ANA", "channel": "D0ANA", "channel_type": "im",
             "text": "", "ts": "1700000100.000100", "files": [file]}
    envelope = {"team_id": "T0TEAM", "api_app_id": "A0SALESRL", "event": event, "type": "event_callback",
                "event_id": "Ev0COPY", "event_time": int(time.time()),
                "authorizations": [{"team_id": "T0TEAM", "user_id": "U0BOT", "is_bot": True}]}
    body = json.dumps(envelope).encode()
    headers = signed_headers(body, "application/json")
    assert bot.slack.http.post(bot.slack.url, data=body, headers=headers, timeout=10).status_code == 200
    retry = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert bot.slack.http.post(bot.slack.url, data=body, headers=retry, timeout=10).status_code == 200
    fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    assert len(fake.calls_to("download")) == 1


# --- rate limits -----------------------------------------------------------------------------------

def test_every_slack_client_the_bot_makes_honours_rate_limits(running_bot: BotUnderTest, tmp_path):
    """The app's client (Bolt copies its retry handlers into every request's client, and the OAuth
    flow uses it), and the clients digests post with, in both kinds of install."""
    from slack_sdk.oauth.installation_store import Installation

    from salesrl.bot.slack.app import build_app

    single, _ = build_app(running_bot.settings, running_bot.store, None)  # type: ignore[arg-type]
    oauth_settings = running_bot.settings.model_copy(update={
        "slack_bot_token": None, "slack_client_id": "111.222", "slack_client_secret": "fake-client-secret",
        "database_url": f"sqlite:///{tmp_path / 'oauth.db'}"})
    oauth, _ = build_app(oauth_settings, running_bot.store, None)  # type: ignore[arg-type]
    oauth.installation_store.save(Installation(app_id="A0SALESRL", team_id="T0TEAM", user_id="U0INSTALLER",
                                               bot_token="xoxb-installed", bot_user_id="U0BOT"))
    clients = [single.client, oauth.client, clients_of_app(single)("T0TEAM"), clients_of_app(oauth)("T0TEAM"),
               clients_from_settings(running_bot.settings)("T0TEAM"), clients_from_settings(oauth_settings)("T0TEAM")]
    for client in clients:
        assert client is not None
        assert any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers), client


@pytest.mark.slow  # waits out the bot's retries
def test_a_429_is_retried_after_retry_after(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    fake.fail_http_next("chat.postMessage", 429, retry_after=1)
    bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=fake.response_url())
    fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    first, second = fake.calls_to("chat.postMessage")[:2]
    assert second.at - first.at >= 1.0  # Retry-After honoured
    assert len(fake.messages("C0SALES")) == 3  # the summary once, the chart, the tips
    assert not reply_texts(bot)  # nothing went wrong as far as the user can tell


@pytest.mark.slow  # waits out the bot's retries
def test_a_429_on_a_digest_post_is_retried(running_bot: BotUnderTest):
    from datetime import timedelta

    from salesrl.bot.digest.runner import DigestRunner
    from salesrl.bot.store.tables import utcnow

    bot, fake = running_bot, running_bot.fake
    now = utcnow() + timedelta(hours=1)
    bot.store.digests.add_subscription("T0TEAM", "C0SALES", cadence="weekly", weekday=now.weekday(), hour=now.hour,
                                      timezone="UTC")
    fake.fail_http_next("chat.postMessage", 429, retry_after=1)
    report = DigestRunner(bot.store, clients_from_settings(bot.settings), with_chart=False).run_due(
        now + timedelta(minutes=1))
    assert len(report.posted) == 1 and not report.failed
    assert len(fake.calls_to("chat.postMessage")) == 2 and len(fake.messages("C0SALES")) == 1


# --- Slack unreachable while answering ---------------------------------------------------------------

@pytest.fixture
def quick_bot(start_bot, monkeypatch: pytest.MonkeyPatch) -> BotUnderTest:
    """A bot whose posts are retried by the delivery layer alone, with shorter waits: attempts at about
    0, 0.3, 0.9 and 2.1 s (the client's own retries of a dropped connection, with their random jitter,
    are turned off so the timing is known and the tests stay short)."""
    monkeypatch.setattr(outbox, "RETRY_DELAYS_S", SHORT_DELAYS)
    monkeypatch.setattr(web_client, "CONNECTION_RETRIES", 0)
    return start_bot()


@pytest.mark.slow  # waits out the bot's retries
def test_a_result_is_posted_once_slack_comes_back(quick_bot: BotUnderTest):
    bot, fake = quick_bot, quick_bot.fake
    fake.down_for("chat.postMessage", 1.5)  # the first three attempts fail
    bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=fake.response_url())
    def saved() -> bool:
        deal = bot.store.deals.get("T0TEAM", "Acme")
        return deal is not None and deal.call_count == 1

    wait_until(saved, what="the call to be saved")
    assert not fake.messages("C0SALES")  # saved while Slack is still down
    deal = bot.store.deals.get("T0TEAM", "Acme")
    fake.wait_for("files.completeUploadExternal", timeout=40)
    bot.wait_idle(timeout=40)
    summaries = [m for m in fake.messages("C0SALES") if "likely to convert" in m.get("text", "")]
    assert len(summaries) == 1  # posted once, after the outage
    (call,) = bot.store.calls.of_deal("T0TEAM", deal.id)
    assert call.thread_ts == summaries[0]["ts"]
    assert not reply_texts(bot)


@pytest.mark.slow  # waits out the bot's retries
def test_when_a_result_cannot_be_delivered_the_user_is_told_and_the_call_is_kept(quick_bot: BotUnderTest, caplog):
    bot, fake = quick_bot, quick_bot.fake
    fake.down_for("chat.postMessage", 120)
    with caplog.at_level(logging.WARNING):
        bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=fake.response_url())
        wait_until(lambda: fake.calls_to("response_url"), timeout=60, what="the notice")
        bot.wait_idle(timeout=60)
    (notice,) = reply_texts(bot)
    assert "couldn't post the result of your call" in notice and "/salesrl deal Acme" in notice
    ref = notice.rsplit("(ref ", 1)[1][:8]
    assert any(ref in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    deal = bot.store.deals.get("T0TEAM", "Acme")
    (call,) = bot.store.calls.of_deal("T0TEAM", deal.id)
    detail = bot.store.calls.get("T0TEAM", call.id)
    assert len(detail.turns) == call.turn_count == 10 and detail.transcript_text
    assert fake.messages("C0SALES") == []


@pytest.mark.slow  # waits out the bot's retries
def test_when_slack_is_unreachable_altogether_the_call_is_kept_and_the_failure_logged(quick_bot: BotUnderTest,
                                                                                     caplog):
    bot, fake = quick_bot, quick_bot.fake
    fake.down_for("*", 120)
    dead_url = "http://127.0.0.1:9/response/nowhere"  # the discard port: nothing listens
    with caplog.at_level(logging.WARNING):
        bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=dead_url)
        wait_until(lambda: any("could not tell user" in r.getMessage() for r in caplog.records), timeout=90,
                   what="the failure to be logged")
        bot.wait_idle(timeout=60)
    assert bot.store.deals.get("T0TEAM", "Acme").call_count == 1
    assert any("not delivered" in r.getMessage() and "(ref " in r.getMessage() for r in caplog.records)
    assert all("manual reporting" not in r.getMessage() for r in caplog.records)


@pytest.mark.slow  # waits out the bot's retries
def test_an_answer_is_posted_once_slack_comes_back(quick_bot: BotUnderTest):
    bot, fake = quick_bot, quick_bot.fake
    bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=fake.response_url())
    fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    posts = len(fake.calls_to("chat.postMessage"))
    fake.down_for("chat.postMessage", 1.5)
    bot.slack.message("who decides on Acme?", mention_of=fake.bot_user_id)
    wait_until(lambda: questions(bot.store, "T0TEAM"), what="the question to be saved")
    wait_until(lambda: any(b.get("block_id") == "answer" for m in fake.messages("C0SALES") for b in m.get("blocks", [])),
               timeout=40, what="the answer")
    bot.wait_idle(timeout=40)
    answers = [m for m in fake.messages("C0SALES") if any(b.get("block_id") == "answer" for b in m.get("blocks", []))]
    assert len(answers) == 1 and len(fake.calls_to("chat.postMessage")) > posts + 1


@pytest.fixture
def bot_with_short_waits(start_bot, monkeypatch: pytest.MonkeyPatch) -> BotUnderTest:
    """A bot as deployed (the client's own retries on), with shorter delivery waits and a 1-s client timeout."""
    monkeypatch.setattr(outbox, "RETRY_DELAYS_S", SHORT_DELAYS)
    monkeypatch.setattr(web_client, "TIMEOUT_S", 1, raising=False)
    return start_bot()


@pytest.mark.slow  # waits out the bot's retries
@pytest.mark.parametrize("after", [0.0, 1.5], ids=["connection dropped", "answered after the timeout"])
def test_a_post_slack_made_but_whose_answer_was_lost_is_not_made_again(bot_with_short_waits: BotUnderTest, after):
    bot, fake = bot_with_short_waits, bot_with_short_waits.fake
    fake.lose_answer_next("chat.postMessage", after=after)  # the summary, in the channel
    fake.lose_answer_next("chat.postMessage", after=after)  # the coaching, in its thread
    bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=fake.response_url())
    wait_until(lambda: any("Swing moments" in json.dumps(m.get("blocks", []), ensure_ascii=False)
                           for m in fake.messages("C0SALES")), what="the coaching")
    bot.wait_idle()
    (summary, chart, coaching) = fake.messages("C0SALES")  # each part of the answer once
    assert "likely to convert" in summary["text"]
    assert chart["thread_ts"] == coaching["thread_ts"] == summary["ts"] and chart.get("subtype") == "file_share"
    assert not reply_texts(bot)  # nothing went wrong as far as the user can tell
    (call,) = bot.store.calls.of_deal("T0TEAM", bot.store.deals.get("T0TEAM", "Acme").id)
    assert call.thread_ts == summary["ts"]


def test_a_digest_slack_posted_but_whose_answer_was_lost_is_not_posted_again(running_bot: BotUnderTest):
    from datetime import timedelta

    from salesrl.bot.digest.runner import DigestRunner
    from salesrl.bot.store.tables import utcnow
    from salesrl.bot.store.digests import DEFAULT_DIGEST_LEASE

    bot, fake = running_bot, running_bot.fake
    now = utcnow() + timedelta(hours=1)
    bot.store.digests.add_subscription("T0TEAM", "C0SALES", cadence="weekly", weekday=now.weekday(), hour=now.hour,
                                      timezone="UTC")
    runner = DigestRunner(bot.store, clients_from_settings(bot.settings), with_chart=False)
    fake.lose_answer_next("chat.postMessage")
    assert len(runner.run_due(now + timedelta(minutes=1)).failed) == 1
    assert len(fake.messages("C0SALES")) == 1  # Slack has it; the runner cannot know
    # later ticks, the next one after the claim's lease, find it instead of posting it again
    assert not runner.run_due(now + timedelta(minutes=10)).posted
    (found,) = runner.run_due(now + timedelta(minutes=2) + DEFAULT_DIGEST_LEASE).posted
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert [m["ts"] for m in fake.messages("C0SALES")] == [found.message_ts]


@pytest.mark.slow  # waits out the bot's retries
def test_a_live_sessions_coaching_is_posted_once_slack_comes_back(quick_bot: BotUnderTest):
    from tests.e2e.test_live import CALL, say, start_live

    bot, fake = quick_bot, quick_bot.fake
    card = start_live(bot)
    for i, line in enumerate(CALL[:6]):
        say(bot, card["ts"], line, i)
    fake.down_for("chat.postMessage", 1.5)  # the tips are posted after the chart: their first attempts fail
    bot.slack.message("end", thread_ts=card["ts"])
    wait_until(lambda: any("Swing moments" in json.dumps(m.get("blocks", []), ensure_ascii=False)
                           for m in fake.thread("C0SALES", card["ts"])), timeout=40, what="the coaching")
    bot.wait_idle(timeout=40)
    thread = fake.thread("C0SALES", card["ts"])
    assert sum("Swing moments" in json.dumps(m.get("blocks", []), ensure_ascii=False) for m in thread) == 1
    assert any(m.get("subtype") == "file_share" for m in thread)
    assert not reply_texts(bot) and not fake.calls_to("chat.postEphemeral")  # nobody was told of a failure


@pytest.mark.slow  # waits out the bot's retries
def test_a_flag_is_posted_once_slack_comes_back(quick_bot: BotUnderTest):
    from tests.e2e.test_flags import REVIEW, command, posts_in, score, set_review_channel

    bot, fake = quick_bot, quick_bot.fake
    fake.member_channels.add(REVIEW)
    set_review_channel(bot, automatic_flags=False)
    score(bot, "Acme Corp")
    fake.down_for("chat.postMessage", 1.5)  # the flag post's first three attempts fail
    reply = command(bot, "flag Acme Corp :: stalled since the pilot")
    assert "Flagged *Acme Corp*" in reply["text"] and f"<#{REVIEW}>" in reply["text"]
    (post,) = posts_in(bot, REVIEW)
    (flag,) = bot.store.flags.list_open("T0TEAM")
    assert (flag.channel_id, flag.thread_ts) == (REVIEW, post["ts"])


@pytest.mark.slow  # waits out the bot's retries
def test_when_a_flag_cannot_be_posted_the_flagger_is_told_and_the_flag_is_kept(quick_bot: BotUnderTest, caplog):
    from tests.e2e.test_flags import REVIEW, command, posts_in, score, set_review_channel

    bot, fake = quick_bot, quick_bot.fake
    fake.member_channels.add(REVIEW)
    set_review_channel(bot, automatic_flags=False)
    score(bot, "Acme Corp")
    fake.down_for("chat.postMessage", 120)
    with caplog.at_level(logging.WARNING):
        notice = command(bot, "flag Acme Corp :: stalled since the pilot")["text"]
    assert "couldn't post the flag of Acme Corp" in notice and "/salesrl deal Acme Corp" in notice
    ref = notice.rsplit("(ref ", 1)[1][:8]
    assert any(ref in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    (flag,) = bot.store.flags.list_open("T0TEAM")
    assert flag.reason == "stalled since the pilot" and flag.thread_ts is None
    assert posts_in(bot, REVIEW) == []


# --- OpenAI unreachable ------------------------------------------------------------------------------

def test_openai_unreachable_while_scoring_is_one_clear_line(start_bot_with, openai_agent, fake_openai):
    bot = start_bot_with(openai_agent)
    fake_openai.stop()
    bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=bot.fake.response_url())
    wait_until(lambda: bot.fake.calls_to("response_url"), what="the error")
    bot.wait_idle()
    (text,) = reply_texts(bot)
    assert "cannot reach the embeddings service" in text and "\n" not in text.strip()
    assert bot.store.deals.get("T0TEAM", "Acme") is None or bot.store.deals.get("T0TEAM", "Acme").call_count == 0
