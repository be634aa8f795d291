"""Scoring calls from Slack, end to end: signed requests over HTTP in, Web API calls to the fake out."""

from __future__ import annotations

import html
import json
import logging
import re

from tests.e2e.conftest import TRANSCRIPT, BotUnderTest

PNG = b"\x89PNG\r\n\x1a\n"


def blocks_text(blocks) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def assert_result_in_thread(bot: BotUnderTest, channel: str, deal: str | None = None) -> dict:
    """The summary in `channel`, then the chart and the coaching in its thread; returns the summary."""
    fake = bot.fake
    fake.wait_for("chat.postMessage", 2)
    bot.wait_idle()
    summary = fake.messages(channel)[0]
    assert "likely to convert" in summary["text"]
    text = blocks_text(summary["blocks"])
    assert "*Probability*" in text and "*Trend*" in text and "*Status*" in text
    if deal:
        assert deal in summary["text"]
    thread = fake.thread(channel, summary["ts"])
    assert [m.get("subtype") for m in thread] == [None, "file_share", None]
    (upload,) = fake.calls_to("upload")
    assert upload.body.startswith(PNG)
    assert thread[1]["files"][0]["id"] == upload.params["file_id"]
    assert thread[2]["thread_ts"] == summary["ts"]
    assert "Swing moments" in blocks_text(thread[2]["blocks"])
    return summary


def test_score_command_posts_summary_chart_and_tips(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    sent = bot.slack.command(f"score Acme Corp :: {TRANSCRIPT}", response_url=fake.response_url())
    assert sent.response.status_code == 200
    ack = sent.json()
    assert ack["response_type"] == "ephemeral" and "Scoring" in ack["text"]

    summary = assert_result_in_thread(bot, "C0SALES", deal="Acme Corp")
    assert re.search(r"\d+% likely to convert", summary["text"])
    bot.wait_idle()
    deal = bot.store.deals.get("T0TEAM", "acme corp")
    assert deal is not None and deal.call_count == 1 and deal.owner_id == "U0ANA"
    (call,) = bot.store.calls.of_deal("T0TEAM", deal.id)
    assert (call.source, call.channel_id, call.thread_ts, call.user_id) == ("slash_command", "C0SALES", summary["ts"], "U0ANA")
    assert call.turn_count == 10
    assert not fake.calls_to("response_url")  # nothing went wrong


def test_contact_details_are_redacted_before_they_are_stored(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    text = TRANSCRIPT + "Ben: Mail me at ben.smith@globex.example or call +1 415 555 0134.\n"
    bot.slack.command(f"score Globex :: {text}", response_url=fake.response_url())
    fake.wait_for("chat.postMessage", 2)
    bot.wait_idle()
    deal = bot.store.deals.get("T0TEAM", "Globex")
    (call,) = bot.store.calls.of_deal("T0TEAM", deal.id)
    detail = bot.store.calls.get("T0TEAM", call.id)
    assert "ben.smith@globex.example" not in detail.transcript_text
    assert "[email]" in detail.transcript_text and "[phone]" in detail.transcript_text
    assert all("555" not in (t.text or "") for t in detail.turns)


def test_a_transcript_that_mentions_channel_pings_nobody(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    # what Slack sends when someone pastes a transcript containing @channel and a link
    text = ("Ana: Hi Ben <!channel> &amp; <@U0CARL> see <https://evil.example|our deck>\n"
            "Ben: &lt;!here&gt; we need the price first, budget is tight\n" + TRANSCRIPT)
    bot.slack.command(f"score :: {text}", response_url=fake.response_url())
    fake.wait_for("chat.postMessage", 2)
    for call in fake.calls_to("chat.postMessage"):
        body = json.dumps(call.params, ensure_ascii=False)
        for mention in ("<!channel>", "<!here>", "<@U0CARL>", "<https://evil"):
            assert mention not in body
    # the words still reach the agent: the first turn is Ana's greeting
    bot.wait_idle()
    detail = bot.store.calls.get("T0TEAM", 1)
    assert detail.turns[0].text.startswith("Hi Ben @channel & @U0CARL see our deck")


def test_answers_by_dm_when_the_bot_is_not_in_the_channel(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    bot.slack.command(f"score Initech :: {TRANSCRIPT}", channel_id="C0OTHER", response_url=fake.response_url())
    fake.wait_for("chat.postMessage", 3)  # refused in C0OTHER, then the summary and the tips by DM
    summary = assert_result_in_thread(bot, "D0ANA", deal="Initech")
    refused, dm = fake.calls_to("chat.postMessage")[:2]
    assert refused.params["channel"] == "C0OTHER" and dm.params["channel"] == "U0ANA"
    assert "<#C0OTHER>" in blocks_text(summary["blocks"])  # says why it came privately
    assert not fake.messages("C0OTHER")


def test_unparseable_transcript_is_refused_in_the_ack_and_given_back_whole(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    garbage = "\x00\x01\x02\x03 binary garbage \x00\x00\x00\x00"
    reply = bot.slack.command(f"score Acme :: {garbage}", response_url=fake.response_url()).json()
    bot.wait_idle()
    assert reply["text"].startswith(":warning: ") and "Traceback" not in reply["text"]
    assert "Your text is below" in reply["text"]
    assert not fake.calls_to("chat.postMessage") and not fake.calls_to("response_url")
    assert bot.store.deals.get("T0TEAM", "Acme") is None  # nothing half-saved


def test_a_pasted_monologue_is_told_it_has_one_speaker_and_gets_its_text_back(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    monologue = ("Ana: Hi Ben, it's Ana from Acme & Co, following up on the <proposal>.\n"
                 "Ana: Call me back when you can!")
    typed = monologue.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # as Slack sends a command's text
    reply = bot.slack.command(f"score Acme :: {typed}", response_url=fake.response_url()).json()
    bot.wait_idle()
    assert reply["text"].startswith(":warning: only Ana speaks in this text, so there is no conversation")
    given_back = "".join(b["text"]["text"] for b in reply["blocks"][1:])
    assert html.unescape(given_back) == monologue  # every character, the line break included
    assert not fake.calls_to("chat.postMessage")
    assert bot.store.deals.get("T0TEAM", "Acme") is None


def test_a_long_refused_paste_comes_back_whole_in_several_blocks(start_bot):
    bot = start_bot(max_chars=20_000)
    lines = "".join(f"Ana: point number {i} of my pitch, which goes on for a while, then some.\n" for i in range(150))
    reply = bot.slack.command(f"score Acme :: {lines}", response_url=bot.fake.response_url()).json()
    pieces = [b["text"]["text"] for b in reply["blocks"][1:]]
    assert len(pieces) > 3 and all(len(p) <= 3000 for p in pieces)
    assert html.unescape("".join(pieces)) == lines.strip()  # Slack's command text arrives stripped


def test_a_refusal_after_the_ack_gives_the_pasted_text_back_too(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=fake.response_url("ana"))
    fake.wait_for("chat.postMessage", 2)
    bot.wait_idle()
    fake.set_members("C0SALES", ["U0ANA"])  # Carl is not in #sales: Acme is a deal he may not add to
    other_call = "Carl: Hi Dee, thanks for the time.\nDee: Sure, what's this about?"
    bot.slack.command(f"score Acme :: {other_call}", user_id="U0CARL", response_url=fake.response_url("carl"))
    reply = bot.reply_at("carl")  # from the worker, which checks the deal after "Scoring…"
    assert "channel you are not in" in reply["text"]
    assert html.unescape("".join(b["text"]["text"] for b in reply["blocks"][1:])) == other_call


def test_too_long_transcript_is_refused_with_the_limit(start_bot):
    bot = start_bot(max_chars=1000)
    fake = bot.fake
    reply = bot.slack.command(f"score Acme :: {TRANSCRIPT * 3}", response_url=fake.response_url()).json()
    assert "1,000" in reply["text"] or "1000" in reply["text"]
    assert not fake.calls_to("chat.postMessage")


def test_internal_error_shows_a_reference_not_a_stack_trace(running_bot: BotUnderTest, caplog):
    bot, fake = running_bot, running_bot.fake
    # Slack refuses the message for a reason retrying cannot fix (its own bad moments, such as
    # internal_error, are retried: tests/reliability/test_slack_faults.py)
    fake.fail_next("chat.postMessage", "invalid_blocks")
    with caplog.at_level(logging.ERROR):
        bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=fake.response_url())
        (reply,) = fake.wait_for("response_url")
        bot.wait_idle()
    match = re.fullmatch(r"Something went wrong \(ref ([0-9a-f]{8})\)\..*", reply.params["text"])
    assert match, reply.params["text"]
    assert "Traceback" not in reply.params["text"] and "SlackApiError" not in reply.params["text"]
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the details are in the log, under that ref
    # the transcript never reaches the log above DEBUG
    assert all("manual reporting" not in r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)


def test_message_shortcut_scores_a_forwarded_transcript_in_its_thread(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    payload = {
        "type": "message_action", "callback_id": "score_message", "trigger_id": fake.new_trigger_id(),
        "team": {"id": "T0TEAM", "domain": "acme"}, "user": {"id": "U0ANA", "team_id": "T0TEAM"},
        "channel": {"id": "C0SALES", "name": "sales"}, "response_url": fake.response_url(),
        "message_ts": "1700000000.000100",
        "message": {"type": "message", "user": "U0CARL", "ts": "1700000000.000100", "text": "fwd: Umbrella call ::",
                    "attachments": [{"is_share": True, "author_id": "U0CARL", "text": TRANSCRIPT,
                                     "fallback": "[forwarded]"}]},
    }
    sent = bot.slack.interaction(payload)
    assert sent.response.status_code == 200 and not sent.response.content
    posts = fake.wait_for("chat.postMessage", 2)
    assert posts[0].params["thread_ts"] == "1700000000.000100"  # replies under the message
    assert "fwd: Umbrella call" in posts[0].params["text"]
    assert fake.calls_to("response_url")[0].params["text"].startswith(":hourglass")
    bot.wait_idle()
    deal = bot.store.deals.get("T0TEAM", "fwd: Umbrella call")
    assert bot.store.calls.of_deal("T0TEAM", deal.id)[0].source == "shortcut"


def test_message_shortcut_on_a_message_with_a_transcript_file(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    vtt = "WEBVTT\n\n" + "".join(
        f"{i}\n00:00:{i * 5:02d}.000 --> 00:00:{i * 5 + 4:02d}.000\n{line}\n\n"
        for i, line in enumerate(TRANSCRIPT.strip().splitlines(), 1))
    file = fake.add_file("discovery-call.vtt", vtt.encode(), user="U0CARL")
    payload = {
        "type": "message_action", "callback_id": "score_message", "trigger_id": fake.new_trigger_id(),
        "team": {"id": "T0TEAM"}, "user": {"id": "U0ANA"}, "channel": {"id": "C0SALES"},
        "response_url": fake.response_url(),
        "message": {"type": "message", "user": "U0CARL", "ts": "1700000001.000200", "text": "", "files": [file]},
    }
    bot.slack.interaction(payload)
    posts = fake.wait_for("chat.postMessage", 2)
    download = fake.calls_to("download")[0]
    assert download.headers["Authorization"] == f"Bearer {fake.bot_token}"
    assert "discovery-call.vtt" in blocks_text(posts[0].params["blocks"])
    bot.wait_idle()
    assert bot.store.calls.get("T0TEAM", 1).call.format == "vtt"


def test_message_shortcut_on_a_message_without_a_transcript(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    payload = {
        "type": "message_action", "callback_id": "score_message", "trigger_id": fake.new_trigger_id(),
        "team": {"id": "T0TEAM"}, "user": {"id": "U0ANA"}, "channel": {"id": "C0SALES"},
        "response_url": fake.response_url(),
        "message": {"type": "message", "user": "U0CARL", "ts": "1700000002.000300", "text": "",
                    "files": [fake.add_file("slides.pdf", b"%PDF-1.4")]},
    }
    bot.slack.interaction(payload)
    (reply,) = fake.wait_for("response_url")
    assert "no transcript" in reply.params["text"]
    assert not fake.calls_to("chat.postMessage") and not fake.calls_to("download")
