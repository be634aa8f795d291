"""Zoom transcripts over real HTTP: Zoom's signed webhooks to the real bot, which downloads from a local fake
Zoom (OAuth token, recording download, past meetings' participants) and posts to the fake Slack. A transcript
becomes exactly one scored call, in the channel of the deal its meeting's topic names, or of the one CRM deal
(synced from a fake HubSpot) whose contacts work where its participants do, or, else, where its host files it."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import pytest

from salesrl.bot.crm.sync import CrmSync
from tests.e2e.conftest import BotUnderTest
from tests.e2e.zoom_requests import ZOOM_SECRET, ZoomSender, transcript_completed, vtt
from tests.fakes.hubspot_server import FakeHubSpot
from tests.fakes.zoom_server import FakeZoom
from tests.waiting import wait_until

T = "T0TEAM"
MEETING = "4444AAAiAAAAAiAiAiiAii=="  # the meeting UUID of transcript_completed's events
CALL = [
    ("Ana Lopez", "Hi Ben, thanks for making time today. How is the quarter going for your team?"),
    ("Ben Ortiz", "Busy. We are losing deals because our reps spend hours on manual reporting."),
    ("Ana Lopez", "What does that cost you today, roughly, in hours per rep each week?"),
    ("Ben Ortiz", "About six hours each, and we have forty reps. Write to me at ben@globex.com."),
    ("Ana Lopez", "If we cut that in half, what would that be worth to you?"),
    ("Ben Ortiz", "Honestly a lot. Our VP of sales signs off, and she wants to see a pilot first."),
    ("Ana Lopez", "Then let's set up a two-week pilot with your team. Could we start on Monday the 12th?"),
    ("Ben Ortiz", "That works. Send me the details and I will loop in our VP."),
]


@pytest.fixture
def zoom() -> Iterator[FakeZoom]:
    with FakeZoom() as fake:
        yield fake


@pytest.fixture
def start_zoom_bot(start_bot: Callable[..., BotUnderTest], zoom: FakeZoom) -> Callable[..., BotUnderTest]:
    def start(**overrides: Any) -> BotUnderTest:
        settings: dict[str, Any] = dict(zoom_secret_token=ZOOM_SECRET, zoom_workspace=T, zoom_oauth_url=zoom.url,
                                        zoom_api_url=zoom.api_url, zoom_account_id=zoom.account_id,
                                        zoom_client_id=zoom.client_id, zoom_client_secret=zoom.client_secret)
        return start_bot(**{**settings, **overrides})
    return start


def summaries(bot: BotUnderTest, channel: str) -> list[dict]:
    return [m for m in bot.fake.messages(channel) if any(b.get("block_id") == "summary" for b in m.get("blocks", []))]


def test_zoom_checks_the_endpoint_and_unsigned_or_old_requests_are_refused(start_zoom_bot, zoom: FakeZoom):
    bot = start_zoom_bot()
    sender = ZoomSender(bot.url)
    answer = sender.validate("qgg8vlvZRS6UYooatFL8Aw")
    assert answer.status_code == 200
    expected = hmac.new(ZOOM_SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert answer.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    event = transcript_completed("tr-1", zoom.add_transcript("tr-1", vtt(CALL)), topic="Acme :: weekly")
    assert sender.post(event, secret="not-the-secret").status_code == 401
    assert sender.post(event, timestamp=int(time.time()) - 5 * 60 - 30).status_code == 401  # older than 5 minutes
    assert sender.validate("x", timestamp=int(time.time()) - 3600).status_code == 401
    refused = sender.http.post(sender.url, data=json.dumps(event).encode(), timeout=30)  # no signature at all
    assert refused.status_code == 401 and refused.json() == {"error": "invalid signature or timestamp"}
    assert sender.post(b"{not json").status_code == 400
    assert sender.post({"event": "recording.transcript_completed", "payload": {}}).json() == {
        "error": "payload.object is not an object"}
    assert sender.post({"event": "meeting.started", "payload": {}}).status_code == 200  # not ours: ignored
    bot.wait_idle()
    assert sum(zoom.requests.values()) == 0 and bot.store.calls.of_deal(T, 1) == []


def test_without_a_secret_token_the_route_is_not_there(running_bot: BotUnderTest):
    answer = ZoomSender(running_bot.url).validate("abc")
    assert answer.status_code == 404 and "ZOOM_SECRET_TOKEN" in answer.json()["error"]


def test_a_topic_naming_a_deal_puts_the_scored_call_in_that_deals_channel(start_zoom_bot, zoom: FakeZoom):
    bot = start_zoom_bot()
    acme = bot.store.deals.get_or_create(T, "Acme", owner_id="U0ANA", channel_id="C0SALES")
    event = transcript_completed("tr-1", zoom.add_transcript("tr-1", vtt(CALL)), topic="Acme :: weekly")
    assert ZoomSender(bot.url).post(event).status_code == 200
    bot.fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    (summary,) = summaries(bot, "C0SALES")
    assert summary["text"].startswith("SalesRL: Acme") and "Zoom: Acme :: weekly" in json.dumps(summary["blocks"])
    (call,) = bot.store.calls.of_deal(T, acme.id)
    assert call.source == "zoom" and call.user_id == "U0ANA"  # the host, found in Slack by e-mail
    stored = bot.store.calls.get(T, call.id)
    assert "ben@globex.com" not in (stored.transcript_text or "")  # redacted as Slack input is
    assert "known reps: Ana Lopez" in json.dumps(summary["blocks"])  # the host is the rep
    assert zoom.requests["token"] == 1 and zoom.requests["download"] == 1


def test_retries_and_duplicate_deliveries_to_two_replicas_make_one_call(start_zoom_bot, zoom: FakeZoom, tmp_path,
                                                                        sqlite_url_in, caplog):
    url = sqlite_url_in(tmp_path)
    replicas = [start_zoom_bot(database_url=url), start_zoom_bot(database_url=url)]
    acme = replicas[0].store.deals.get_or_create(T, "Acme", owner_id="U0ANA", channel_id="C0SALES")
    zoom.fail_next("download", 2, 503)  # Zoom's storage not ready yet: retried with backoff
    event = transcript_completed("tr-9", zoom.add_transcript("tr-9", vtt(CALL)), topic="Acme - QBR",
                                 download_token=zoom.new_download_token())
    senders = [ZoomSender(r.url) for r in replicas]
    with caplog.at_level(logging.INFO, logger="salesrl.bot.zoom"), ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda i: senders[i % 2].post(event).status_code, range(6)))
        assert answers == [200] * 6
        replicas[0].fake.wait_for("files.completeUploadExternal")
        for r in replicas:
            r.wait_idle()
        assert senders[1].post(event).status_code == 200  # Zoom's retry, long after
        for r in replicas:
            r.wait_idle()
    assert len(replicas[0].store.calls.of_deal(T, acme.id)) == 1 and len(summaries(replicas[0], "C0SALES")) == 1
    assert zoom.requests["download"] == 3  # two failures, then the file: by one replica only
    copies = [r for r in caplog.records if "a copy of an event" in r.getMessage()]
    assert len(copies) == 6 and not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_download_that_keeps_failing_is_reported_once_and_a_later_copy_tries_again(start_zoom_bot, zoom: FakeZoom,
                                                                                     caplog):
    bot = start_zoom_bot()
    acme = bot.store.deals.get_or_create(T, "Acme", owner_id="U0ANA", channel_id="C0SALES")
    zoom.fail_next("download", 6, 500)
    event = transcript_completed("tr-2", zoom.add_transcript("tr-2", vtt(CALL)), topic="Acme :: weekly")
    with caplog.at_level(logging.INFO, logger="salesrl.bot.zoom"):
        assert ZoomSender(bot.url).post(event).status_code == 200
        wait_until(lambda: zoom.requests["download"] >= 6 and bot.probe.idle(), 30, "six download tries")
    (warning,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "after 6 tries: the download answered HTTP 500" in warning.getMessage()
    assert bot.store.calls.of_deal(T, acme.id) == []
    assert ZoomSender(bot.url).post(event).status_code == 200  # Zoom sends it again: now it downloads
    bot.fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    assert len(bot.store.calls.of_deal(T, acme.id)) == 1


def click(bot: BotUnderTest, dm: dict, deal_id: int, user: str = "U0ANA", reply_to: str = "") -> None:
    (actions,) = [b for b in dm["blocks"] if b["type"] == "actions"]
    (button,) = [e for e in actions["elements"] if e["action_id"] == f"zoom_file:{deal_id}"]
    payload = {
        "type": "block_actions", "team": {"id": T}, "user": {"id": user, "team_id": T}, "api_app_id": "A0SALESRL",
        "token": "legacy-unused", "trigger_id": bot.fake.new_trigger_id(),
        "container": {"type": "message", "message_ts": dm["ts"], "channel_id": dm["channel"], "is_ephemeral": False},
        "channel": {"id": dm["channel"], "name": "directmessage"}, "response_url": bot.fake.response_url(reply_to),
        "message": {"ts": dm["ts"], "text": dm["text"]},
        "actions": [{"type": "button", "action_id": button["action_id"], "block_id": actions["block_id"],
                     "value": button["value"], "text": button["text"], "action_ts": "1.2"}],
    }
    assert bot.slack.interaction(payload).response.status_code == 200


def test_a_topic_naming_no_deal_asks_the_host_and_a_click_files_it(start_zoom_bot, zoom: FakeZoom):
    bot = start_zoom_bot()
    acme = bot.store.deals.get_or_create(T, "Acme", owner_id="U0ANA", channel_id="C0SALES")
    bot.store.deals.get_or_create(T, "Globex", owner_id="U0CARL", channel_id="C0OTHER")  # Ana is not in its channel
    bot.fake.set_members("C0OTHER", ["U0CARL"])
    event = transcript_completed("tr-3", zoom.add_transcript("tr-3", vtt(CALL)), topic="Weekly sync")
    assert ZoomSender(bot.url).post(event).status_code == 200
    (asked,) = bot.fake.wait_for("chat.postMessage")
    bot.wait_idle()
    assert asked.params["channel"] == "U0ANA"  # the host, by e-mail
    dm_channel = bot.fake.dm_with("U0ANA")
    (dm,) = [dict(m, channel=dm_channel) for m in bot.fake.messages(dm_channel)]
    buttons = [e["text"]["text"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["Acme"] and "Weekly sync" in dm["text"]  # only the deals the host may see
    assert bot.store.calls.of_deal(T, acme.id) == []  # nothing filed until the host says where

    click(bot, dm, acme.id, user="U0CARL", reply_to="carl")  # someone else's click (a forwarded message)
    assert "not yours to file" in bot.reply_at("carl")["text"]
    click(bot, dm, acme.id)
    click(bot, dm, acme.id)  # a double click files it once
    bot.fake.wait_for("files.completeUploadExternal")
    bot.fake.wait_for("chat.update")
    bot.wait_idle()
    (call,) = bot.store.calls.of_deal(T, acme.id)
    assert call.source == "zoom" and call.user_id == "U0ANA"
    assert "ben@globex.com" not in (bot.store.calls.get(T, call.id).transcript_text or "")
    assert len(summaries(bot, "C0SALES")) == 1
    (updated,) = bot.fake.messages(dm_channel)
    assert updated["text"] == (":white_check_mark: Your Zoom call “Weekly sync” is filed under *Acme*; "
                               "its result is in <#C0SALES>.")
    row = bot.store.zoom_recordings.get(T, 1)
    assert row.state == "filed" and row.call_id == call.id and row.transcript_text is None


def test_a_deal_without_a_channel_gets_its_result_in_the_hosts_dm_and_no_secret_is_logged(start_zoom_bot,
                                                                                           zoom: FakeZoom, caplog):
    bot = start_zoom_bot()
    bot.store.deals.get_or_create(T, "Initech", owner_id="U0ANA")  # made on the command line: no channel
    event = transcript_completed("tr-4", zoom.add_transcript("tr-4", vtt(CALL)), topic="Initech | renewal")
    with caplog.at_level(logging.DEBUG, logger="salesrl"):
        assert ZoomSender(bot.url).post(event).status_code == 200
        bot.fake.wait_for("files.completeUploadExternal")
        bot.wait_idle()
    (summary,) = summaries(bot, bot.fake.dm_with("U0ANA"))
    assert summary["text"].startswith("SalesRL: Initech")
    logged = caplog.text
    for secret in (ZOOM_SECRET, zoom.client_secret, "ana@example.com", "ben@globex.com", "six hours each",
                   *zoom.tokens):
        assert secret not in logged


def test_a_secret_token_without_its_workspace_is_refused_at_start(start_zoom_bot):
    from salesrl.bot.slack.app import SlackConfigError

    with pytest.raises(SlackConfigError, match="SALESRL_ZOOM_WORKSPACE"):
        start_zoom_bot(zoom_workspace=None)


@pytest.fixture
def crm() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        yield fake


def sync_crm(bot: BotUnderTest, crm: FakeHubSpot, deals: dict[str, list[str]]) -> None:
    """HubSpot deals named as SalesRL deals are (so linked by name), each with contacts at these addresses.
    The workspace is connected only for this sync: the bot's own scheduler (started before) does not sync it."""
    for i, (name, emails) in enumerate(deals.items()):
        ids = [str(1000 * (i + 1) + j) for j in range(len(emails))]
        for contact_id, email in zip(ids, emails):
            crm.add_contact(contact_id, email)
        crm.add_deal(str(100 + i), f"{name}, Inc.", contacts=ids)
    crm_sync = CrmSync(bot.store, hubspot_api_url=crm.url)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(f"SALESRL_HUBSPOT_TOKEN_{T}", crm.token)
        (conn,) = crm_sync.connections(T)
    report = crm_sync.sync(conn, force=True)
    assert report is not None and report.error is None and report.linked == len(deals)


def host_dm(bot: BotUnderTest) -> dict:
    (asked,) = bot.fake.wait_for("chat.postMessage")
    bot.wait_idle()
    assert asked.params["channel"] == "U0ANA"
    dm_channel = bot.fake.dm_with("U0ANA")
    (dm,) = [dict(m, channel=dm_channel) for m in bot.fake.messages(dm_channel)]
    return dm


def test_participants_at_one_linked_crm_deals_company_file_the_call_there(start_zoom_bot, zoom: FakeZoom,
                                                                          crm: FakeHubSpot):
    bot = start_zoom_bot()
    bot.fake.member_channels.add("C0GLOBEX")
    globex = bot.store.deals.get_or_create(T, "Globex", owner_id="U0CARL", channel_id="C0GLOBEX")
    bot.store.deals.get_or_create(T, "Initech", owner_id="U0ANA", channel_id="C0INITECH")
    bot.store.deals.get_or_create(T, "Ours", owner_id="U0ANA", channel_id="C0OURS")
    sync_crm(bot, crm, {"Globex": ["ben.ortiz@globex.com", "cfo@gmail.com"], "Initech": ["pat@initech.io"],
                        "Ours": ["sales@example.com"]})  # a deal with a contact at the host's own company
    zoom.add_participants(MEETING, ["ana@example.com", "Ben.Ortiz@GLOBEX.com", "guest@gmail.com", ""])
    event = transcript_completed("tr-5", zoom.add_transcript("tr-5", vtt(CALL)), topic="Weekly sync")
    assert ZoomSender(bot.url).post(event).status_code == 200
    bot.fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    (summary,) = summaries(bot, "C0GLOBEX")
    assert summary["text"].startswith("SalesRL: Globex") and "Zoom: Weekly sync" in json.dumps(summary["blocks"])
    (call,) = bot.store.calls.of_deal(T, globex.id)
    assert call.source == "zoom" and call.user_id == "U0ANA"
    assert zoom.requests["participants"] == 1
    assert not [c for c in bot.fake.calls if c.method == "chat.postMessage" and c.params.get("channel") == "U0ANA"]


def test_a_meeting_named_for_its_deal_does_not_ask_zoom_for_participants(start_zoom_bot, zoom: FakeZoom):
    bot = start_zoom_bot()
    acme = bot.store.deals.get_or_create(T, "Acme", owner_id="U0ANA", channel_id="C0SALES")
    zoom.add_participants(MEETING, ["ben@globex.com"])
    event = transcript_completed("tr-6", zoom.add_transcript("tr-6", vtt(CALL)), topic="Acme :: weekly")
    assert ZoomSender(bot.url).post(event).status_code == 200
    bot.fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    assert len(bot.store.calls.of_deal(T, acme.id)) == 1 and zoom.requests["participants"] == 0


def test_participants_matching_two_linked_deals_ask_the_host(start_zoom_bot, zoom: FakeZoom, crm: FakeHubSpot):
    bot = start_zoom_bot()
    bot.fake.member_channels.add("C0US")
    emea = bot.store.deals.get_or_create(T, "Globex EMEA", owner_id="U0ANA", channel_id="C0EMEA")
    us = bot.store.deals.get_or_create(T, "Globex US", owner_id="U0ANA", channel_id="C0US")
    sync_crm(bot, crm, {"Globex EMEA": ["eva@globex.com"], "Globex US": ["ben@globex.com"]})
    zoom.add_participants(MEETING, ["ana@example.com", "ben@globex.com"])
    event = transcript_completed("tr-7", zoom.add_transcript("tr-7", vtt(CALL)), topic="Weekly sync")
    assert ZoomSender(bot.url).post(event).status_code == 200
    dm = host_dm(bot)  # never a guess between the two
    buttons = {e["text"]["text"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert buttons == {"Globex EMEA", "Globex US"}
    assert bot.store.calls.of_deal(T, emea.id) == [] and bot.store.calls.of_deal(T, us.id) == []
    click(bot, dm, us.id)
    bot.fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    assert len(bot.store.calls.of_deal(T, us.id)) == 1 and len(summaries(bot, "C0US")) == 1


def test_participants_zoom_will_not_give_lose_nothing_the_host_is_asked(start_zoom_bot, zoom: FakeZoom,
                                                                       crm: FakeHubSpot, caplog):
    bot = start_zoom_bot()
    bot.fake.member_channels.add("C0GLOBEX")
    globex = bot.store.deals.get_or_create(T, "Globex", owner_id="U0ANA", channel_id="C0GLOBEX")
    sync_crm(bot, crm, {"Globex": ["ben@globex.com"]})
    zoom.add_participants(MEETING, ["ben@globex.com"])
    zoom.fail_next("participants", 1, 400)  # e.g. the app lacks the participants scope
    event = transcript_completed("tr-8", zoom.add_transcript("tr-8", vtt(CALL)), topic="Weekly sync")
    with caplog.at_level(logging.INFO, logger="salesrl.bot.zoom"):
        assert ZoomSender(bot.url).post(event).status_code == 200
        dm = host_dm(bot)
    (warning,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "participants were not read" in warning.getMessage() and "HTTP 400" in warning.getMessage()
    assert "ben@globex.com" not in caplog.text
    click(bot, dm, globex.id)
    bot.fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    assert len(bot.store.calls.of_deal(T, globex.id)) == 1
