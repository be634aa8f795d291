"""Whatever Slack delivers, the bot answers it or says one clear line; nothing escapes unhandled.

Three layers, all with hypothesis:
- the parsers every Slack payload goes through (live thread messages, command text, modal
  submissions, shared files, forwarded messages): any input gives a value or a SalesRLError;
- the Bolt handlers themselves, over real HTTP with signed requests: slash commands, messages and
  mentions, file shares, the message shortcut, modal submissions, button presses and the Home tab,
  with generated text and fields. Every request is acknowledged with 200 and no handler logs an
  unhandled error or tells a user "Something went wrong";
- the same requests with fields of the wrong shape (missing, null, a string for an object, an
  object for a string, lists, numbers, huge strings): refused with 400 or handled with 200, with
  no traceback, no ERROR, and nothing of the request in the log at INFO or above.

A nasty corpus goes through the Slack file share end to end (huge, binary, empty cues, an
unterminated VTT, mixed formats, right-to-left text, emoji, zero-width characters, 1,000 speakers,
a 50,000-word turn): each is scored or refused with one line.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import random
import time
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesrl.agent.errors import SalesRLError
from salesrl.bot.live.thread_text import turns_from_message
from salesrl.bot.slack.dispatch import CommandRequest
from salesrl.bot.slack.files import SlackFile, transcript_files
from salesrl.bot.slack.incoming_text import split_deal_name, unescape
from salesrl.bot.slack.listeners.message_shortcut import message_text
from salesrl.bot.slack.score_form import read_submission
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
TS = st.builds("{}.{:06d}".format, st.integers(1_000_000_000, 1_900_000_000), st.integers(0, 999_999))
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
     "channel": st.sampled_from(["C0SALES", "D0ANA", "C0NOTIN"]), "user": st.sampled_from(["U0ANA", "U0CARL"])},
    optional={"thread_ts": st.sampled_from(["1700000000.000100", "1600000000.000200"]),
              "subtype": st.sampled_from(["bot_message", "message_changed", "file_share", "thread_broadcast"]),
              "channel_type": st.sampled_from(["channel", "im", "group", "mpim"]),
              "bot_id": st.just("B0OTHER"), "user_team": st.sampled_from(["T0TEAM", "T0OTHER"]),
              "files": st.lists(JSONISH, max_size=2)})


def live_thread(bot: BotUnderTest) -> str:
    """The ts of a live card in C0SALES (its thread is a live conversation)."""
    bot.slack.command("live Acme", response_url=bot.fake.response_url())
    deadline = time.monotonic() + 10
    while True:
        cards = [m["ts"] for m in bot.fake.messages("C0SALES") if "Live" in m.get("text", "")]
        if cards and bot.store.live.find("T0TEAM", "C0SALES", cards[0]):
            return cards[0]
        assert time.monotonic() < deadline, "no live card"
        time.sleep(0.02)


def test_messages_and_mentions_with_any_fields_are_handled(start_bot, problems):
    bot = start_bot(bot_workers=1)
    live_ts = live_thread(bot)  # a live thread to write into

    @HANDLERS
    @given(MESSAGE_EVENTS, st.booleans())
    def send(event, in_live_thread):
        event = dict(event, ts=f"{time.time():.6f}")
        if in_live_thread:
            event.update(channel="C0SALES", thread_ts=live_ts)
        event["event_ts"] = event["ts"]
        sent = bot.slack.event(event)
        assert sent.response.status_code == 200 and sent.seconds < 3

    send()
    no_unhandled_errors(bot, problems)


@pytest.mark.slow
def test_shortcuts_modals_buttons_and_the_home_tab_with_any_fields_are_handled(start_bot, problems):
    bot = start_bot(bot_workers=1)
    fake = bot.fake
    user = {"id": "U0ANA", "team_id": "T0TEAM"}

    payloads = st.one_of(
        st.fixed_dictionaries({"type": st.just("message_action"), "callback_id": st.just("score_message"),
                               "message": st.fixed_dictionaries({"text": TEXT}, optional={
                                   "attachments": st.lists(JSONISH, max_size=3), "files": st.lists(JSONISH, max_size=2),
                                   "ts": TS}),
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
                               "channel": st.fixed_dictionaries({"id": st.sampled_from(["C0SALES", "C0NOTIN"])}),
                               "message": st.fixed_dictionaries({}, optional={"ts": TS, "thread_ts": TS})}),
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


# --- wrong shapes, over HTTP: refused (400) or handled (200), quietly ------------------------------------
#
# Payloads as Slack sends them, with one to three of the fields Bolt or a listener reads deleted or
# replaced by a value of another shape: an object where a string belongs, a string where an object
# does, a list, null, a number, NaN, a string of 50,000 characters. Such a payload is refused before
# any listener runs, or handled as if the field were absent; either way with one short log line, no
# traceback, no ERROR, and nothing told to a user as "Something went wrong". Every string generated
# carries MARK, so a log line at INFO or above showing any of them is found.

MARK = "\u00abbody\u00bb"
MARKED = st.text(max_size=20).map(lambda t: MARK + t)
HUGE = st.integers(1_000, 50_000).map(lambda n: MARK + "x" * n)
GARBAGE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | MARKED | HUGE,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(MARKED, inner, max_size=3), max_leaves=6)
FORM_GARBAGE = MARKED | HUGE | st.sampled_from(["", " ", "\x00", "U0ANA\n", "t0team", "C" * 65])
DELETE = "<delete>"  # a change that removes the field
WRONG = settings(max_examples=100, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def changes(paths: list[tuple], values: st.SearchStrategy) -> st.SearchStrategy:
    """One to three (path, value) changes: DELETE, or a value of the wrong shape."""
    return st.lists(st.tuples(st.sampled_from(paths), st.just(DELETE) | values), min_size=1, max_size=3)


_nonces = itertools.count()


def unique(payload: dict) -> dict:
    """A field Slack does not send, so that no two payloads are copies (which the replay guard refuses)."""
    return {**payload, "x_nonce": str(next(_nonces))}


def _in(parent: object, key: str | int) -> bool:
    return isinstance(parent, dict) or (isinstance(parent, list) and isinstance(key, int) and key < len(parent))


def changed(payload: dict, edits: list[tuple[tuple, object]]) -> dict:
    """`payload` with `edits` made, each where its path still leads (an earlier edit may have cut it)."""
    payload = copy.deepcopy(payload)
    for path, value in edits:
        parent: object = payload
        for key in path[:-1]:
            parent = (parent.get(key) if isinstance(parent, dict) else parent[key]) if _in(parent, key) else None
        last = path[-1]
        if isinstance(parent, dict) and value == DELETE:
            parent.pop(last, None)
        elif _in(parent, last):
            parent[last] = value  # type: ignore[index]
    return payload


@pytest.fixture
def quiet_bot(start_bot, caplog):
    """A bot logging at INFO, as `salesrl serve` does."""
    caplog.set_level(logging.INFO)
    return start_bot(bot_workers=1)


def answered_quietly(bot: BotUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    """No traceback, no ERROR, no generated string at INFO or above, nobody told "Something went wrong"."""
    bot.wait_idle(timeout=60)
    for record in caplog.records:
        line = f"{record.levelname} {record.name}: {record.getMessage()[:200]}"
        assert record.exc_info is None and record.exc_text is None, f"traceback: {line}"
        assert record.levelno < logging.ERROR, line
        assert record.levelno < logging.INFO or MARK not in record.getMessage(), f"logged the request: {line}"
    told = [c.params.get("text", "") for c in bot.fake.calls if c.method in ("response_url", "chat.postEphemeral")]
    assert not [t for t in told if "Something went wrong" in t]


# Fields that choose the listener: a request in which one of these became another string is one the
# bot has no listener for, which Bolt answers 404
ROUTING = {("command",), ("type",), ("callback_id",), ("view", "callback_id"), ("actions", 0, "action_id"),
           ("event", "type")}


def sent_quietly(sent, edits) -> None:
    allowed = (200, 400, 404) if any(path in ROUTING for path, _ in edits) else (200, 400)
    assert sent.response.status_code in allowed and sent.seconds < 3, sent.response.status_code
    assert sent.response.status_code == 200 or MARK not in sent.response.text  # a refusal repeats nothing


COMMAND_TEXTS = st.sampled_from(["help", "deals", "score", f"score Acme :: {TRANSCRIPT[:300]}", "deal Acme",
                                 "digest list", "digest preview", "config", "live Acme", "flag Acme :: quiet"])
COMMAND_FIELDS = [("team_id",), ("user_id",), ("channel_id",), ("command",), ("text",), ("response_url",),
                  ("trigger_id",), ("api_app_id",), ("enterprise_id",), ("is_enterprise_install",)]


def test_commands_of_any_shape_are_refused_or_handled_quietly(quiet_bot, caplog):
    bot, fake = quiet_bot, quiet_bot.fake

    @WRONG
    @given(COMMAND_TEXTS, changes(COMMAND_FIELDS, FORM_GARBAGE))
    def send(text, edits):
        form = {"token": "legacy-unused", "team_id": "T0TEAM", "team_domain": "acme", "channel_id": "C0SALES",
                "user_id": "U0ANA", "command": "/salesrl", "text": text, "api_app_id": "A0SALESRL",
                "is_enterprise_install": "false", "response_url": fake.response_url(),
                "trigger_id": fake.new_trigger_id()}
        body = urllib.parse.urlencode(unique(changed(form, edits))).encode()
        sent_quietly(bot.slack.post(body, "application/x-www-form-urlencoded"), edits)

    send()
    answered_quietly(bot, caplog)


SHORTCUT_FIELDS = [("message",), ("message", "text"), ("message", "ts"), ("message", "thread_ts"), ("message", "files"),
                   ("message", "files", 0), ("message", "files", 0, "name"), ("message", "files", 0, "size"),
                   ("message", "files", 0, "url_private_download"), ("message", "files", 0, "id"),
                   ("message", "attachments"), ("message", "attachments", 0), ("message", "attachments", 0, "text")]
VALUES = ("view", "state", "values")
VIEW_FIELDS = [("view",), ("view", "type"), ("view", "callback_id"), ("view", "private_metadata"), ("view", "state"),
               VALUES, VALUES + ("deal_pick",), VALUES + ("deal_pick", "deal", "selected_option"),
               VALUES + ("deal_pick", "deal", "selected_option", "value"), VALUES + ("rep",),
               VALUES + ("transcript_text", "text", "value"), VALUES + ("transcript_file", "file", "files"),
               VALUES + ("transcript_file", "file", "files", 0, "url_private_download")]
BUTTON_FIELDS = [("actions",), ("actions", 0), ("actions", 0, "action_id"), ("actions", 0, "block_id"), ("message",),
                 ("message", "ts"), ("message", "thread_ts"), ("container",), ("container", "channel_id"),
                 ("container", "message_ts")]
ANY_INTERACTION = [("type",), ("callback_id",), ("user",), ("user", "id"), ("user", "team_id"), ("team",),
                   ("team", "id"), ("channel",), ("channel", "id"), ("response_url",), ("trigger_id",)]


def _interaction(kind: str, fake, live_ts: str) -> dict:
    common = {"type": kind, "team": {"id": "T0TEAM", "domain": "acme"}, "user": {"id": "U0ANA", "team_id": "T0TEAM"},
              "channel": {"id": "C0SALES", "name": "sales"}, "response_url": fake.response_url(),
              "trigger_id": fake.new_trigger_id()}
    file = fake.add_file("call.txt", TRANSCRIPT.encode())
    if kind == "message_action":
        return {**common, "callback_id": "score_message",
                "message": {"type": "message", "text": "Acme ::", "ts": "1700000000.000100", "files": [file],
                            "attachments": [{"is_share": True, "text": "Ana: Hi\nBen: Hello"}]}}
    if kind == "view_submission":
        values = {"deal_pick": {"deal": {"type": "static_select", "selected_option": {"value": "1"}}},
                  "transcript_text": {"text": {"type": "plain_text_input", "value": None}},
                  "transcript_file": {"file": {"type": "file_input", "files": [file]}}}
        return {**common, "view": {"id": "V0MODAL", "type": "modal", "callback_id": "score_modal",
                                   "private_metadata": json.dumps({"channel_id": "C0SALES"}),
                                   "state": {"values": values}}}
    return {**common, "actions": [{"action_id": "live_end", "block_id": "live", "type": "button", "value": "end"}],
            "message": {"type": "message", "ts": live_ts, "thread_ts": live_ts},
            "container": {"type": "message", "channel_id": "C0SALES", "message_ts": live_ts}}


@pytest.mark.slow
def test_shortcuts_modals_and_buttons_of_any_shape_are_refused_or_handled_quietly(quiet_bot, caplog):
    bot, fake = quiet_bot, quiet_bot.fake
    live_ts = live_thread(bot)
    kinds = st.sampled_from([("message_action", SHORTCUT_FIELDS), ("view_submission", VIEW_FIELDS),
                             ("block_actions", BUTTON_FIELDS)])

    @WRONG
    @given(kinds.flatmap(lambda k: st.tuples(st.just(k[0]), changes(k[1] + ANY_INTERACTION, GARBAGE))))
    def send(kind_and_edits):
        kind, edits = kind_and_edits
        payload = changed(_interaction(kind, fake, live_ts), edits)
        sent_quietly(bot.slack.interaction(unique(payload)), edits)

    send()
    answered_quietly(bot, caplog)


MESSAGE_FIELDS = [("event", f) for f in ("user", "channel", "text", "ts", "thread_ts", "subtype", "bot_id", "files",
                                         "user_team", "team", "channel_type")] + [("event", "files", 0)]
HOME_FIELDS = [("event", "user"), ("event", "tab"), ("event", "channel")]
ENVELOPE = [("team_id",), ("event_id",), ("event",), ("event", "type"), ("api_app_id",), ("authorizations",)]


@pytest.mark.slow
def test_events_of_any_shape_are_refused_or_handled_quietly(quiet_bot, caplog):
    bot, fake = quiet_bot, quiet_bot.fake
    live_ts = live_thread(bot)
    events = st.sampled_from([
        ({"type": "message", "user": "U0CARL", "channel": "C0SALES", "text": "Ben: what would it cost?",
          "thread_ts": live_ts}, MESSAGE_FIELDS),
        ({"type": "message", "subtype": "file_share", "user": "U0ANA", "channel": "D0ANA", "channel_type": "im",
          "text": "Acme ::"}, MESSAGE_FIELDS),
        ({"type": "app_mention", "user": "U0ANA", "channel": "C0SALES", "text": "<@U0BOT> why is Acme at risk?"},
         MESSAGE_FIELDS),
        ({"type": "app_home_opened", "user": "U0ANA", "channel": "D0ANA", "tab": "home"}, HOME_FIELDS),
    ])
    envelope = {"token": "legacy-unused", "team_id": "T0TEAM", "api_app_id": "A0SALESRL", "type": "event_callback",
                "event_time": 1700000000, "authorizations": [{"team_id": "T0TEAM", "user_id": "U0BOT", "is_bot": True}]}

    @WRONG
    @given(events.flatmap(lambda e: st.tuples(st.just(e[0]), changes(e[1] + ENVELOPE, GARBAGE))))
    def send(event_and_edits):
        event, edits = event_and_edits
        ts = f"{time.time():.6f}"
        event = {**event, "ts": ts, "event_ts": ts}
        if event.get("subtype") == "file_share":
            event["files"] = [fake.add_file("call.txt", TRANSCRIPT.encode())]
        payload = unique(changed({**envelope, "event_id": f"Ev0SHAPE{next(_nonces)}", "event": event}, edits))
        sent_quietly(bot.slack.post(json.dumps(payload).encode(), "application/json"), edits)

    send()
    answered_quietly(bot, caplog)


# Kinds of request Slack has and the bot does not listen to, with fields of any shape: Bolt answers
# them (404 when no listener takes them), and its routing must not fail on what it reads first
OTHER_KINDS = st.sampled_from(["shortcut", "view_closed", "block_suggestion", "dialog_submission",
                               "interactive_message", "workflow_step_edit", "message_action", "view_submission"])


def test_requests_of_other_kinds_and_any_shape_get_no_traceback(quiet_bot, caplog):
    bot = quiet_bot

    # ids are strings (Bolt routes on them), the rest of any shape, each there or not
    fields = st.fixed_dictionaries({}, optional={"callback_id": MARKED, "action_id": MARKED, "view": GARBAGE,
                                                 "actions": GARBAGE, "workflow_step": GARBAGE, "user": GARBAGE,
                                                 "team": GARBAGE, "value": GARBAGE, "state": GARBAGE})

    @WRONG
    @given(OTHER_KINDS, fields)
    def send(kind, fields):
        payload = {"type": kind, "team": {"id": "T0TEAM"}, "user": {"id": "U0ANA"}, **fields}
        sent = bot.slack.interaction(unique(payload))
        assert sent.response.status_code in (200, 400, 404) and MARK not in sent.response.text

    send()
    answered_quietly(bot, caplog)


# The two cases found first (issue 27, item 8): each crashed a listener, with a traceback

def test_a_message_shortcut_whose_message_is_a_string_is_refused_quietly(quiet_bot, caplog):
    bot, fake = quiet_bot, quiet_bot.fake
    sent = bot.slack.interaction({
        "type": "message_action", "callback_id": "score_message", "team": {"id": "T0TEAM"},
        "user": {"id": "U0ANA", "team_id": "T0TEAM"}, "channel": {"id": "C0SALES"}, "message": MARK + "x",
        "response_url": fake.response_url(), "trigger_id": fake.new_trigger_id()})
    assert sent.response.status_code == 400
    answered_quietly(bot, caplog)
    assert not fake.calls_to("response_url") and not fake.calls_to("chat.postEphemeral")
    assert "refused a signed message_action whose message is not what Slack sends" in caplog.text


@pytest.mark.parametrize("oauth", [False, True])
def test_a_command_without_its_workspace_is_refused_quietly(start_bot, caplog, oauth):
    caplog.set_level(logging.INFO)
    bot = start_bot(**dict(slack_bot_token=None, slack_client_id="111.222", slack_client_secret="fake-secret")
                    if oauth else {})
    form = {"channel_id": "C0SALES", "user_id": "U0ANA", "command": "/salesrl", "text": f"score Acme :: {MARK}",
            "response_url": bot.fake.response_url(), "trigger_id": bot.fake.new_trigger_id()}
    sent = bot.slack.post(urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded")
    assert sent.response.status_code == 400
    answered_quietly(bot, caplog)
    assert not bot.fake.calls_to("response_url") and bot.store.deals.get("unknown", "Acme") is None
    assert "refused a signed slash command whose team_id is missing" in caplog.text


def test_a_command_without_its_user_and_channel_is_refused_quietly(quiet_bot, caplog):
    bot = quiet_bot
    form = {"team_id": "T0TEAM", "command": "/salesrl", "text": f"score Acme :: {TRANSCRIPT}",
            "response_url": bot.fake.response_url(), "trigger_id": bot.fake.new_trigger_id()}
    sent = bot.slack.post(urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded")
    assert sent.response.status_code == 400
    answered_quietly(bot, caplog)
    assert not bot.fake.calls_to("response_url") and bot.store.deals.get("T0TEAM", "Acme") is None


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


@pytest.mark.slow
def test_the_nasty_corpus_is_scored_or_refused_with_one_line(start_bot, problems):
    bot = start_bot(bot_workers=2)
    fake = bot.fake
    for i, (file_name, content, _) in enumerate(CORPUS.values()):
        file = fake.add_file(file_name, content)
        bot.slack.event({"type": "message", "subtype": "file_share", "user": "U0ANA", "channel": "D0ANA",
                         "channel_type": "im", "text": f"Deal {i} ::", "ts": f"17000001{i:02d}.000100", "files": [file]})
    bot.wait_idle(timeout=120)
    refusals = [c.params["text"] for c in fake.calls_to("chat.postEphemeral")]
    for i, (name, (_, _, expected)) in enumerate(CORPUS.items()):
        deal = bot.store.deals.get("T0TEAM", f"Deal {i}")
        if expected == "scored":
            assert deal is not None and deal.call_count == 1, name
        else:
            assert deal is None or deal.call_count == 0, name
            assert any(expected in r for r in refusals), (name, refusals)
    assert all("\n" not in r.strip() for r in refusals)
    speakers = bot.store.deals.get("T0TEAM", f"Deal {list(CORPUS).index('1,000 speakers')}")
    assert bot.store.calls.of_deal("T0TEAM", speakers.id)[0].turn_count == 1000
    no_unhandled_errors(bot, problems)




@PARSERS
@given(st.lists(JSONISH, max_size=8), st.lists(st.text(max_size=10), max_size=2))
def test_any_list_of_dicts_gives_turns_or_one_clear_error(items, reps):
    """Any list of JSON objects, as a .json transcript."""
    from salesrl.agent.transcript import parse_transcript

    try:
        transcript = parse_transcript(json.dumps(items), reps=reps, filename="call.json")
    except SalesRLError as e:
        assert str(e).strip() and "\n" not in str(e)
        return
    assert transcript.turns and all(t.text.strip() for t in transcript.turns)
