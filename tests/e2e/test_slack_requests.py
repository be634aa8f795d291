"""Requests the bot must refuse or handle once: signatures, stale timestamps, Slack's retries, file shares."""

from __future__ import annotations

import json
import time

from tests.e2e.conftest import TRANSCRIPT, BotUnderTest


def file_share_event(fake, *, channel: str = "D0ANA", channel_type: str = "im", text: str = "", name: str = "call.txt",
                     content: bytes = TRANSCRIPT.encode()) -> dict:
    file = fake.add_file(name, content)
    return {"type": "message", "subtype": "file_share", "user": "U0ANA", "channel": channel,
            "channel_type": channel_type, "text": text, "ts": "1700000100.000100", "files": [file]}


def test_a_bad_signature_is_rejected(running_bot: BotUnderTest):
    sent = running_bot.slack.command("help", response_url=running_bot.fake.response_url(), secret="not-the-secret")
    assert sent.response.status_code == 401


def test_a_request_older_than_five_minutes_is_rejected(running_bot: BotUnderTest):
    old = int(time.time()) - 6 * 60
    sent = running_bot.slack.command("help", response_url=running_bot.fake.response_url(), timestamp=old)
    assert sent.response.status_code == 401
    fresh = running_bot.slack.command("help", response_url=running_bot.fake.response_url(),
                                      timestamp=int(time.time()) - 4 * 60)
    assert fresh.response.status_code == 200


def test_a_tampered_body_is_rejected(running_bot: BotUnderTest):
    slack = running_bot.slack
    body = b"command=%2Fsalesrl&text=help&team_id=T0TEAM&user_id=U0ANA&channel_id=C0SALES"
    from tests.e2e.slack_requests import signed_headers

    headers = signed_headers(body, "application/x-www-form-urlencoded")
    tampered = body.replace(b"help", b"deals")
    assert slack.http.post(slack.url, data=tampered, headers=headers).status_code == 401


def test_a_transcript_file_shared_in_a_dm_is_scored_in_its_thread(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    event = file_share_event(fake, text="Hooli renewal ::")
    sent = bot.slack.event(event)
    assert sent.response.status_code == 200
    fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    summary = fake.messages("D0ANA")[0]
    assert summary["thread_ts"] == "1700000100.000100"  # under the shared file
    assert "Hooli renewal" in summary["text"]
    assert fake.calls_to("download")[0].headers["Authorization"] == f"Bearer {fake.bot_token}"
    assert bot.store.deals.get("T0TEAM", "Hooli renewal").call_count == 1


def test_an_event_slack_retries_is_processed_once(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    event = file_share_event(fake)
    now = int(time.time())
    # Slack signs each delivery afresh: the retry is the same event under a later timestamp
    first = bot.slack.event(event, event_id="Ev0RETRY1", timestamp=now - 2)
    retry = bot.slack.event(event, event_id="Ev0RETRY1", retry_num=1, timestamp=now)
    assert first.response.status_code == retry.response.status_code == 200
    fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    assert len(fake.calls_to("download")) == 1
    assert len(fake.calls_to("files.completeUploadExternal")) == 1


def test_a_retry_reaching_another_process_is_dropped_there(start_bot, database_url):
    """Two bots on one database (SQLite, and PostgreSQL as in production behind a load balancer)."""
    one, two = start_bot(database_url=database_url), start_bot(database_url=database_url)
    event = file_share_event(one.fake, channel="C0SALES", channel_type="channel")
    one.slack.event(event, event_id="Ev0TWICE")
    two.slack.event(event, event_id="Ev0TWICE", retry_num=1)
    one.fake.wait_for("files.completeUploadExternal")
    one.wait_idle()
    two.wait_idle()
    assert len(one.fake.calls_to("download")) == 1
    assert len(one.fake.messages("C0SALES")) == 3  # one summary, one chart, one set of tips


def test_other_files_are_ignored_in_channels_and_explained_in_dms(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    bot.slack.event(file_share_event(fake, channel="C0SALES", channel_type="channel", name="q3.pdf", content=b"%PDF"))
    bot.slack.event(file_share_event(fake, name="photo.png", content=b"\x89PNG"))
    (reply,) = fake.wait_for("chat.postEphemeral")
    bot.wait_idle()
    assert reply.params["channel"] == "D0ANA" and ".vtt" in reply.params["text"]
    assert not fake.calls_to("download") and not fake.calls_to("chat.postMessage")


def test_ordinary_messages_and_the_bots_own_uploads_are_left_alone(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    chat = {"type": "message", "user": "U0ANA", "channel": "C0SALES", "channel_type": "channel",
            "text": "Ana: lunch?", "ts": "1700000200.000100"}
    own = dict(file_share_event(fake, channel="C0SALES", channel_type="channel"), user="U0BOT", bot_id="B0BOT")
    for event in (chat, own):
        assert bot.slack.event(event).response.status_code == 200
    bot.wait_idle()
    assert not [c for c in fake.calls if c.method not in ("auth.test",)]


def test_a_transcript_file_that_is_too_big_is_refused_before_download(start_bot):
    bot = start_bot(max_chars=500)
    fake = bot.fake
    bot.slack.event(file_share_event(fake, content=(TRANSCRIPT * 10).encode()))
    (reply,) = fake.wait_for("chat.postEphemeral")
    bot.wait_idle()
    assert "too long" in reply.params["text"] and "500" in reply.params["text"]
    assert not fake.calls_to("download")


def test_health(running_bot: BotUnderTest):
    response = running_bot.slack.http.get(running_bot.url + "/healthz")
    assert response.status_code == 200 and response.text == "ok"


def test_url_verification_challenge(running_bot: BotUnderTest):
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "token": "legacy"}).encode()
    sent = running_bot.slack.post(body, "application/json")
    assert sent.response.status_code == 200
    assert sent.json()["challenge"].startswith("3eZbrw1aBm2r")
