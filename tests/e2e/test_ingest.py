"""POST /ingest over real HTTP: a transcript from another tool, with a workspace's API token, becomes one
scored call (the same limits and redaction as Slack input), its result posted in the channel named."""

from __future__ import annotations

import json

import requests

from tests.e2e.conftest import TRANSCRIPT, BotUnderTest

T = "T0TEAM"


def post(bot: BotUnderTest, body: bytes | dict, token: str | None, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if isinstance(body, dict):
        body, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    return requests.post(f"{bot.url}/ingest", data=body, headers={**headers, **kw.pop("headers", {})}, timeout=30,
                         **kw)


def test_a_call_sent_with_a_token_is_scored_saved_and_posted_in_its_channel(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    _, token = bot.store.ingest_tokens.create(T, "zapier")
    sent = post(bot, {"transcript": TRANSCRIPT + "\nBen: reach me at ben@globex.com", "deal": "Acme Corp",
                      "rep_email": "ana@example.com", "channel": "C0SALES"}, token)
    assert sent.status_code == 202, sent.text
    answer = sent.json()
    assert answer["deal"] == "Acme Corp" and answer["posted_to"] == "C0SALES" and 0 < answer["probability"] < 1
    fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    call = bot.store.calls.get(T, answer["call_id"])
    assert call.call.source == "ingest" and call.call.user_id == "U0ANA"  # the rep, found by e-mail
    assert "ben@globex.com" not in (call.transcript_text or "")  # redacted as Slack input is
    deal = bot.store.deals.get(T, "Acme Corp")
    assert deal.channel_id == "C0SALES" and deal.owner_id == "U0ANA"
    (summary,) = [m for m in fake.messages("C0SALES") if m["text"].startswith("SalesRL: Acme Corp")]
    assert "likely to convert" in summary["text"]


def test_the_body_may_be_the_transcript_itself(running_bot: BotUnderTest):
    bot = running_bot
    _, token = bot.store.ingest_tokens.create(T)
    sent = post(bot, TRANSCRIPT.encode(), token, params={"deal": "Globex", "filename": "call.txt"},
                headers={"Content-Type": "text/plain"})
    assert sent.status_code == 202 and sent.json()["posted_to"] is None  # no channel: saved, not posted
    assert bot.store.deals.get(T, "Globex").call_count == 1


def test_what_cannot_be_taken_is_one_line(running_bot: BotUnderTest):
    bot = running_bot
    record, token = bot.store.ingest_tokens.create(T)
    assert post(bot, {"transcript": TRANSCRIPT}, None).status_code == 401
    assert post(bot, {"transcript": TRANSCRIPT}, "srl_not-a-token").status_code == 401
    for body, says in (({"deal": "Acme"}, "no transcript"), ({"transcript": "   "}, "no transcript"),
                       ({"transcript": TRANSCRIPT, "channel": "#sales"}, "Slack channel id"),
                       (b"{not json", "not valid JSON")):
        sent = post(bot, body, token, headers={"Content-Type": "application/json"})
        assert sent.status_code == 400 and says in sent.json()["error"], sent.text
    too_big = post(bot, b"x" * (bot.settings.max_request_bytes + 1), token, headers={"Content-Type": "text/plain"})
    assert too_big.status_code == 413
    bot.store.ingest_tokens.revoke(T, record.id)
    assert post(bot, {"transcript": TRANSCRIPT}, token).status_code == 401
    assert bot.store.deals.list(T) == []  # nothing half-saved
