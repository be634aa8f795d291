"""Whatever Slack delivers, the bot answers it or says one clear line; nothing escapes unhandled.

Two layers, both with hypothesis:
- the parsers every Slack payload goes through (live thread messages, command text, modal
  submissions, shared files, forwarded messages): any input gives a value or a SalesRLError;
- the Bolt handlers themselves, over real HTTP with signed requests: slash commands, messages and
  mentions, file shares, the message shortcut, modal submissions, button presses and the Home tab,
  with generated text and fields. Every request is acknowledged with 200 and no handler logs an
  unhandled error or tells a user "Something went wrong".

A nasty corpus goes through the Slack file share end to end (huge, binary, empty cues, an
unterminated VTT, mixed formats, right-to-left text, emoji, zero-width characters, 1,000 speakers,
a 50,000-word turn): each is scored or refused with one line.
"""

from __future__ import annotations

import json
import logging
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.errors import SalesRLError
from bot.live.thread_text import turns_from_message
from bot.slack.dispatch import CommandRequest
from bot.slack.files import SlackFile, transcript_files
from bot.slack.incoming_text import split_deal_name, unescape
from bot.slack.listeners.message_shortcut import message_text
from bot.slack.score_modal import read_submission
from tests.agent.test_transcript_properties import LINES
from tests.e2e.conftest import TRANSCRIPT, BotUnderTest

PARSERS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HANDLERS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)

# Text as people paste it into Slack, and as Slack escapes it
SLACK_BITS = st.sampled_from(["<@U0ANA>", "<@U0BOT|salesrl>", "<#C0SALES|sales>", "<!here>", "<https://x.io|x>",
                              "&amp;", "&lt;", "&gt;", "::", " :: ", "\n", "Ana: ", "Ben: ", "end", "?", "live ",
                              "\u200b", "\u202e", "مرحبا", "שלום", "👋🏽", "🧑‍💻", "\x00", "<", ">", "|"])
TEXT = st.one_of(st.text(max_size=300), LINES,
                 st.lists(SLACK_BITS | st.text(max_size=12), max_size=25).map("".join))
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                       max_leaves=12)


# --- the parsers ------------------------------------------------------------------------------------

@PARSERS
@given(TEXT, st.lists(st.text(max_size=20), max_size=3))
def test_a_live_thread_message_gives_turns_or_one_clear_error(text, reps):
    try:
        turns = turns_from_message(text, reps)
    except SalesRLError as e:
        assert str(e).strip() and "\n" not in str(e)
        return
    assert all(t.text.strip() and t.role in ("rep", "prospect", "other") for t in turns)


@PARSERS
@given(TEXT)
def test_command_text_is_read_without_surprises(text):
    plain = unescape(text)
    name, rest = split_deal_name(plain)
    assert name is None or (name.strip() and "\n" not in name and len(name) <= 200)
    assert isinstance(rest, str)
    req = CommandRequest.from_body({"text": text, "user_id": "U0ANA", "channel_id": "C0SALES"}, "T0TEAM")
    assert req.name == req.name.lower() and " " not in req.name


@PARSERS
@given(st.dictionaries(st.sampled_from(["text", "user_id", "channel_id", "response_url", "trigger_id", "command"]),
                       JSONISH, max_size=6))
def test_any_command_body_gives_a_request(body):
    req = CommandRequest.from_body(body, "T0TEAM")
    assert isinstance(req.args, str) and isinstance(req.asker.user_id, str)


@PARSERS
@given(st.fixed_dictionaries({}, optional={"private_metadata": JSONISH | st.text(max_size=40),
                                           "state": st.fixed_dictionaries({"values": JSONISH})}))
def test_any_modal_submission_is_read_or_refused(view):
    try:
        submission = read_submission(view)
    except SalesRLError:
        return
    assert isinstance(submission.errors(), dict)


@PARSERS
@given(st.one_of(JSONISH, st.lists(JSONISH, max_size=4)))
def test_any_files_field_gives_transcript_files(files):
    found = transcript_files(files if isinstance(files, list) else [files])
    assert all(isinstance(f, SlackFile) and f.is_transcript for f in found)


@PARSERS
@given(st.fixed_dictionaries({}, optional={"text": JSONISH, "attachments": JSONISH}))
def test_any_forwarded_message_gives_text(message):
    assert isinstance(message_text(message), str)


# --- the handlers, over HTTP --------------------------------------------------------------------------

class Problems(logging.Handler):
    """Collects log records that mean something escaped a handler."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def problems():
    handler = Problems()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def no_unhandled_errors(bot: BotUnderTest, problems: Problems) -> None:
    bot.wait_idle(timeout=60)
    details = [f"{r.name}: {r.getMessage()}" for r in problems.records]
    assert not details, "\n".join(details[:5])
    told = [c.params.get("text", "") for c in bot.fake.calls if c.method in ("response_url", "chat.postEphemeral")]
    assert not [t for t in told if "Something went wrong" in t]
    assert all(len(t.strip().splitlines()) <= 3 for t in told)  # errors are one line (with a line of usage at most)


SUBCOMMANDS = st.sampled_from(["", "score ", "score Acme :: ", "score :: ", "deal ", "deals", "outcome ", "flag ",
                               "flag Acme :: ", "unflag ", "live ", "forget ", "config ", "config flag-threshold ",
                               "digest ", "digest subscribe ", "digest preview ", "help ", "HELP", "Score  "])


def test_slash_commands_with_any_text_are_answered(start_bot, problems):
    bot = start_bot(bot_workers=1)
    fake = bot.fake
    fake.member_channels.add("C0OTHER")

    @HANDLERS
    @given(SUBCOMMANDS, TEXT, st.sampled_from(["C0SALES", "C0OTHER", "D0ANA", "G0PRIV"]))
    def send(sub, text, channel):
        sent = bot.slack.command(sub + text, channel_id=channel, response_url=fake.response_url(),
                                 trigger_id=fake.new_trigger_id())
        assert sent.response.status_code == 200 and sent.seconds < 3

    send()
    no_unhandled_errors(bot, problems)


MESSAGE_EVENTS = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "app_mention"]), "text": TEXT,
     "channel": st.sampled_from(["C0SALES", "D0ANA", "C0NOTIN", ""]), "user": st.sampled_from(["U0ANA", "U0CARL", ""])},
    optional={"thread_ts": st.sampled_from(["1700000000.000100", "garbage", ""]),
              "subtype": st.sampled_from(["bot_message", "message_changed", "file_share", "thread_broadcast"]),
              "channel_type": st.sampled_from(["channel", "im", "group", "mpim"]),
              "bot_id": st.just("B0OTHER"), "user_team": st.sampled_from(["T0TEAM", "T0OTHER"]),
              "files": st.lists(JSONISH, max_size=2)})


def test_messages_and_mentions_with_any_fields_are_handled(start_bot, problems):
    bot = start_bot(bot_workers=1)
    fake = bot.fake
    thread = {"ts": None}
    bot.slack.command("live Acme", response_url=fake.response_url())  # a live thread to write into
    card = fake.wait_for("chat.postMessage")[0]
    deadline = time.monotonic() + 10
    while thread["ts"] is None:
        found = [m for m in fake.messages("C0SALES") if "Live" in m.get("text", "")]
        if found and bot.store.find_live_session("T0TEAM", "C0SALES", found[0]["ts"]):
            thread["ts"] = found[0]["ts"]
        assert time.monotonic() < deadline and card
        time.sleep(0.02)

    @HANDLERS
    @given(MESSAGE_EVENTS, st.booleans())
    def send(event, in_live_thread):
        event = dict(event, ts=f"{time.time():.6f}")
        if in_live_thread:
            event.update(channel="C0SALES", thread_ts=thread["ts"])
        event["event_ts"] = event["ts"]
        sent = bot.slack.event(event)
        assert sent.response.status_code == 200 and sent.seconds < 3

    send()
    no_unhandled_errors(bot, problems)


def test_shortcuts_modals_buttons_and_the_home_tab_with_any_fields_are_handled(start_bot, problems):
    bot = start_bot(bot_workers=1)
    fake = bot.fake
    user = {"id": "U0ANA", "team_id": "T0TEAM"}

    payloads = st.one_of(
        st.fixed_dictionaries({"type": st.just("message_action"), "callback_id": st.just("score_message"),
                               "message": st.fixed_dictionaries({"text": TEXT}, optional={
                                   "attachments": JSONISH, "files": st.lists(JSONISH, max_size=2),
                                   "ts": st.text(max_size=12)}),
                               "channel": st.fixed_dictionaries({"id": st.sampled_from(["C0SALES", "D0ANA"])})}),
        st.fixed_dictionaries({"type": st.just("view_submission"), "view": st.fixed_dictionaries(
            {"callback_id": st.just("score_modal"), "type": st.just("modal"),
             "private_metadata": st.text(max_size=40) | st.just(json.dumps({"channel_id": "C0SALES"})),
             "state": st.fixed_dictionaries({"values": st.fixed_dictionaries({}, optional={
                 "deal_pick": st.fixed_dictionaries({"deal": st.fixed_dictionaries({"selected_option": JSONISH})}),
                 "deal_new": st.fixed_dictionaries({"name": st.fixed_dictionaries({"value": TEXT})}),
                 "rep": st.fixed_dictionaries({"name": st.fixed_dictionaries({"value": TEXT | st.none()})}),
                 "transcript_text": st.fixed_dictionaries({"text": st.fixed_dictionaries({"value": TEXT})}),
                 "transcript_file": st.fixed_dictionaries({"file": st.fixed_dictionaries(
                     {"files": st.lists(JSONISH, max_size=2)})})})})})}),
        st.fixed_dictionaries({"type": st.just("block_actions"),
                               "actions": st.just([{"action_id": "live_end", "type": "button", "value": "end"}]),
                               "channel": st.fixed_dictionaries({"id": st.sampled_from(["C0SALES", ""])}),
                               "message": st.fixed_dictionaries({}, optional={"ts": st.text(max_size=20),
                                                                              "thread_ts": st.text(max_size=20)})}),
    )

    @HANDLERS
    @given(payloads, st.sampled_from(["home", "messages", "about", ""]))
    def send(payload, tab):
        payload = dict(payload, team={"id": "T0TEAM", "domain": "acme"}, user=user,
                       trigger_id=fake.new_trigger_id(), response_url=fake.response_url())
        sent = bot.slack.interaction(payload)
        assert sent.response.status_code == 200 and sent.seconds < 3
        home = bot.slack.event({"type": "app_home_opened", "user": "U0ANA", "channel": "D0ANA", "tab": tab,
                                "event_ts": f"{time.time():.6f}"})
        assert home.response.status_code == 200

    send()
    no_unhandled_errors(bot, problems)


# --- the nasty corpus, shared as files ------------------------------------------------------------------

def _corpus() -> dict[str, tuple[str, bytes, str]]:
    """name -> (file name, bytes, what the user gets: "scored" or words of the one-line refusal)."""
    rng = random.Random(7)
    vtt_empty = "WEBVTT\n\n" + "".join(f"{i}\n00:00:0{i}.000 --> 00:00:0{i}.500\n\n" for i in range(1, 6))
    vtt_unterminated = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nAna: How is the quarter going?\n\n"
                        "2\n00:00:05.000 --> 00:00:09.000\nBen: Busy. What would it cost?\n\n3\n00:00:10.000 --> 00:0")
    mixed = ("Notes from the call\n[00:00:05] Ana: Hi Ben, how are you?\nBen: Good. What does it cost?\n- a bullet\n"
             "WEBVTT\n00:00:01.000 --> 00:00:02.000\n{\"speaker\": \"Ana\", \"text\": \"json\"}\nAna (00:01:00): And budget?\n")
    rtl = ("أنا: مرحبا، كيف حال الفريق هذا الربع؟\nبن: مشغولون. ما هي التكلفة؟\n"
           "Ana: \u202eevil override\u202c what is your budget?\nשלום: אנחנו צריכים פיילוט\n")
    emoji = "Ana 👋🏽: Hi! 🎉 How's the quarter? 📈\nBen 🧑‍💻: 😬 budget is tight 💸 — who decides? 🤔\n" * 5
    zero_width = "\ufeffA\u200bna: Hi\u200b Ben,\u2060 how is\u00ad the quarter?\nBe\u200dn: Busy\u200b.\u200e\n" * 5
    speakers = "".join(f"Speaker {i}: Hello from number {i}, what is the plan?\n" for i in range(1000))
    words = " ".join(rng.choice(["budget", "seats", "renewal", "why?", "ok"]) for _ in range(50_000))
    return {
        "huge": ("huge.txt", TRANSCRIPT.encode() * 400, "the limit is 200,000"),
        "binary": ("call.txt", b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(4000)), "binary file"),
        "empty cues": ("empty.vtt", vtt_empty.encode(), "no turns found"),
        "unterminated vtt": ("cut.vtt", vtt_unterminated.encode(), "scored"),
        "mixed formats": ("mixed.txt", mixed.encode(), "scored"),
        "right-to-left": ("rtl.txt", rtl.encode(), "scored"),
        "emoji": ("emoji.txt", emoji.encode(), "scored"),
        "zero-width": ("zw.txt", zero_width.encode("utf-8"), "scored"),
        "utf-16": ("teams.vtt", ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ana>What is the budget?</v>\n\n"
                                 "00:00:03.000 --> 00:00:04.000\n<v Ben>Small.</v>\n").encode("utf-16"), "scored"),
        "1,000 speakers": ("speakers.txt", speakers.encode(), "scored"),
        "a 50,000-word turn": ("long.txt", f"Ana: {words}\nBen: Done.".encode(), "the limit is 200,000"),
        "json that is not a transcript": ("x.json", b'{"deal": "Acme", "amount": 5}', "no turns"),
    }


CORPUS = _corpus()


def test_the_nasty_corpus_is_scored_or_refused_with_one_line(start_bot, problems):
    bot = start_bot(bot_workers=2)
    fake = bot.fake
    for i, (name, (file_name, content, expected)) in enumerate(CORPUS.items()):
        file = fake.add_file(file_name, content)
        bot.slack.event({"type": "message", "subtype": "file_share", "user": "U0ANA", "channel": "D0ANA",
                         "channel_type": "im", "text": f"Deal {i} ::", "ts": f"17000001{i:02d}.000100", "files": [file]})
    bot.wait_idle(timeout=120)
    time.sleep(0.2)
    bot.wait_idle(timeout=120)
    refusals = [c.params["text"] for c in fake.calls_to("chat.postEphemeral")]
    for i, (name, (_, _, expected)) in enumerate(CORPUS.items()):
        deal = bot.store.get_deal("T0TEAM", f"Deal {i}")
        if expected == "scored":
            assert deal is not None and deal.call_count == 1, name
        else:
            assert deal is None or deal.call_count == 0, name
            assert any(expected in r for r in refusals), (name, refusals)
    assert all("\n" not in r.strip() for r in refusals)
    speakers = bot.store.get_deal("T0TEAM", f"Deal {list(CORPUS).index('1,000 speakers')}")
    assert bot.store.list_calls("T0TEAM", speakers.id)[0].turn_count == 1000
    no_unhandled_errors(bot, problems)




@PARSERS
@given(st.lists(JSONISH, max_size=8), st.lists(st.text(max_size=10), max_size=2))
def test_any_list_of_dicts_gives_turns_or_one_clear_error(items, reps):
    """agent.transcript.turns_from_dicts, the Python API behind JSON transcripts."""
    from agent.transcript import turns_from_dicts

    try:
        transcript = turns_from_dicts(items, reps=reps)
    except SalesRLError as e:
        assert str(e).strip() and "\n" not in str(e)
        return
    assert transcript.turns and all(t.text.strip() for t in transcript.turns)
