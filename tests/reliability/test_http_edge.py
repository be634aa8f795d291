"""What `salesrl serve` answers to anyone on the internet: garbage, oversized bodies, copies of signed
requests sent to several processes, a database that is down; and where the bot token may go when it
downloads a shared file. Everything over real HTTP against the real bot (uvicorn, Starlette, Bolt)."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import threading
import time
import urllib.parse
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from slack_bolt import BoltRequest
from slack_sdk import WebClient

from salesrl.bot.server import create_asgi_app
from salesrl.bot.slack.app import build_app
from salesrl.bot.slack.files import FileDownloadError, SlackFile, download_transcript, may_send_token
from salesrl.bot.store import Store
from salesrl.bot.store.engine import MAX_OVERFLOW, POOL_SIZE, make_engine
from salesrl.bot.store.database import DATABASE_UNAVAILABLE
from salesrl.bot.store.tables import utcnow
from tests.e2e.conftest import TRANSCRIPT, BotUnderTest, IdleProbe, ServedApp, bot_settings
from tests.e2e.slack_requests import SlackSender, signature, signed_headers

SECRET_TEXT = "Ben-confides-budget-41k"  # stands for transcript text: it must never reach a log at INFO+
FORM = "application/x-www-form-urlencoded"
DATABASE_LINE = {"response_type": "ephemeral", "text": DATABASE_UNAVAILABLE}  # to the asker alone, nothing more


def command_body(text: str, response_url: str, trigger_id: str = "0.0.x") -> bytes:
    return urllib.parse.urlencode({
        "team_id": "T0TEAM", "channel_id": "C0SALES", "user_id": "U0ANA", "command": "/salesrl", "text": text,
        "response_url": response_url, "trigger_id": trigger_id, "api_app_id": "A0SALESRL"}).encode()


def _connection(bot: BotUnderTest) -> http.client.HTTPConnection:
    """A raw HTTP connection to the bot, to send what `requests` would not (bodies cut short)."""
    host, port = urllib.parse.urlsplit(bot.url).netloc.split(":")
    # a bot that waits for a body that never comes never answers: the timeout fails the test
    return http.client.HTTPConnection(host, int(port), timeout=5)


@contextlib.contextmanager
def uvicorn_logs_too(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """uvicorn's loggers (its "Exception in ASGI application" traceback) do not propagate to the root
    logger, where caplog listens. uvicorn configures them when a server is made: call this after."""
    uvicorn_logger = logging.getLogger("uvicorn")
    uvicorn_logger.addHandler(caplog.handler)
    try:
        yield
    finally:
        uvicorn_logger.removeHandler(caplog.handler)


def assert_no_traceback_and_no(text: str, caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert record.exc_info is None and record.exc_text is None, f"traceback logged: {record.getMessage()}"
        if record.levelno >= logging.INFO:
            assert text not in record.getMessage(), f"{record.name} logged the request: {record.getMessage()}"


@pytest.fixture
def served_at_info(start_bot, caplog: pytest.LogCaptureFixture):
    """The bot with logging as `salesrl serve --log-level info` sets it up: the root logger at INFO
    before the app is built (Bolt copies the root's level into its loggers then)."""

    def start(**overrides) -> BotUnderTest:
        caplog.set_level(logging.INFO)
        return start_bot(**overrides)

    return start


# --- garbage from anyone: 400/401, no traceback, nothing of the body in the log (issue 27, item 8 and 3) ----

def _garbage(secret: str, response_url: str) -> list[tuple[str, bytes, dict[str, str], int]]:
    """(what, body, headers, the status expected), every body carrying SECRET_TEXT."""
    now = str(int(time.time()))

    def signed(body: bytes, content_type: str = FORM) -> dict[str, str]:
        return {"Content-Type": content_type, "X-Slack-Request-Timestamp": now,
                "X-Slack-Signature": signature(secret, now, body)}

    def unsigned(timestamp: str, signature: str) -> dict[str, str]:
        return {"Content-Type": FORM, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}

    def payload(value: str) -> bytes:
        return urllib.parse.urlencode({"payload": value}).encode()

    command = command_body(f"score Acme :: Ana: {SECRET_TEXT}", response_url)
    not_utf8 = b"\xff\xfe" + SECRET_TEXT.encode() + b"\xc3"
    broken_json = b'{"type": "event_callback", "x": "' + SECRET_TEXT.encode()
    # JSON of shapes Slack never sends, which Bolt's own code trips over
    event_a_string = json.dumps({"type": "event_callback", "team_id": "T0TEAM", "event": SECRET_TEXT}).encode()
    actions_a_string = payload(json.dumps({"type": "block_actions", "actions": SECRET_TEXT}))
    view_a_string = payload(json.dumps({"type": "view_submission", "view": SECRET_TEXT}))
    return [
        ("a timestamp that is not a number", command, unsigned("abc", "v0=00"), 401),
        ("a timestamp longer than int() reads", command, unsigned("9" * 5000, "v0=00"), 401),
        ("a signature that is not ASCII", command, unsigned(now, "v0=\xff\xfe"), 401),
        ("a wrong signature", command, signed_headers(command, FORM, secret="a-guessed-secret"), 401),
        ("no signature, a body that is not UTF-8", not_utf8, {"Content-Type": FORM}, 401),
        # slack-sdk verifies the body as UTF-8 text: bytes that are not cannot carry Slack's signature
        ("signed, a body that is not UTF-8", not_utf8, signed(not_utf8), 401),
        ("signed, broken JSON", broken_json, signed(broken_json, "application/json"), 400),
        ("signed, a payload that is not JSON", payload(SECRET_TEXT), signed(payload(SECRET_TEXT)), 400),
        ("signed, a payload that is a list", payload(json.dumps([SECRET_TEXT])),
         signed(payload(json.dumps([SECRET_TEXT]))), 400),
        ("signed, an event that is a string", event_a_string, signed(event_a_string, "application/json"), 400),
        ("signed, actions that are a string", actions_a_string, signed(actions_a_string), 400),
        ("signed, a view that is a string", view_a_string, signed(view_a_string), 400),
    ]


def test_garbage_is_refused_with_400_or_401_without_a_traceback_or_the_body_in_the_log(served_at_info, caplog):
    bot = served_at_info()
    cases = _garbage(bot.settings.slack_signing_secret, bot.fake.response_url())
    with uvicorn_logs_too(caplog):
        for what, body, headers, expected in cases:
            response = bot.slack.http.post(bot.slack.url, data=body, headers=headers, timeout=10)
            assert response.status_code == expected, what
            assert SECRET_TEXT not in response.text, what
        # and a signed, well-formed command whose text the bot does not know
        assert bot.slack.command(SECRET_TEXT, response_url=bot.fake.response_url()).response.status_code == 200
    assert_no_traceback_and_no(SECRET_TEXT, caplog)
    assert not bot.fake.calls_to("response_url") and not bot.fake.calls_to("chat.postMessage")


def test_a_client_hanging_up_half_way_through_its_body_leaves_no_traceback(served_at_info, caplog):
    bot = served_at_info()
    with uvicorn_logs_too(caplog):
        conn = _connection(bot)
        conn.putrequest("POST", "/slack/events")
        conn.putheader("Content-Type", FORM)
        conn.putheader("Content-Length", "1000")
        conn.endheaders(f"text={SECRET_TEXT}".encode())
        conn.close()
        deadline = time.monotonic() + 10
        while not any(r.name in ("salesrl.bot.server", "uvicorn.error") for r in caplog.records):
            assert time.monotonic() < deadline, "the bot never noticed"
            time.sleep(0.02)
    assert_no_traceback_and_no(SECRET_TEXT, caplog)


def test_bolt_logs_no_body_when_it_refuses_a_signature_itself(served_at_info, caplog):
    """The server refuses unsigned requests before Bolt sees them; a timestamp turning five minutes
    old between its check and Bolt's reaches Bolt's own refusal, which logs the whole body at INFO."""
    bot = served_at_info()
    app, context = build_app(bot.settings, bot.store, None)  # type: ignore[arg-type]
    create_asgi_app(app, context)
    stale = str(int(time.time()) - 301)
    body = command_body(f"score Acme :: Ana: {SECRET_TEXT}", bot.fake.response_url())
    request = BoltRequest(body=body.decode(), headers={
        "content-type": [FORM], "x-slack-request-timestamp": [stale],
        "x-slack-signature": [signature(bot.settings.slack_signing_secret, stale, body)]})
    try:
        assert app.dispatch(request).status == 401
    finally:
        context.shutdown()
    assert_no_traceback_and_no(SECRET_TEXT, caplog)


# --- bodies over the limit: 413 before they are read (item 3) ------------------------------------------

LIMIT = 2048


def test_a_body_announced_over_the_limit_is_refused_before_it_arrives(served_at_info, caplog):
    bot = served_at_info(max_request_bytes=LIMIT)
    command = command_body(f"score Acme :: Ana: {SECRET_TEXT}", bot.fake.response_url())
    conn = _connection(bot)
    conn.putrequest("POST", "/slack/events")
    for name, value in signed_headers(command, FORM).items():
        conn.putheader(name, value)
    conn.putheader("Content-Length", str(50_000_000))
    conn.endheaders(command)  # the first few hundred bytes of the 50 MB announced, then nothing
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    assert_no_traceback_and_no(SECRET_TEXT, caplog)
    # a request under the limit is served as ever
    assert bot.slack.command("help", response_url=bot.fake.response_url()).response.status_code == 200


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(served_at_info, caplog):
    bot = served_at_info(max_request_bytes=LIMIT)
    conn = _connection(bot)
    conn.putrequest("POST", "/slack/events")
    conn.putheader("Content-Type", FORM)
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunk = (SECRET_TEXT * 50)[:1000].encode()
    for _ in range(3):
        conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    # no last chunk: the body never ends, so only a bot that stops reading at the limit answers
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    assert_no_traceback_and_no(SECRET_TEXT, caplog)


# --- an exact copy is refused by every process on the database (item 5) ------------------------------

def test_a_copied_command_runs_once_across_processes_sharing_the_database(start_bot, database_url):
    one, two = start_bot(database_url=database_url), start_bot(database_url=database_url)
    fake = one.fake
    # `/salesrl score` alone opens the form while Slack waits for the answer: each run is a views.open
    body = command_body("score", fake.response_url(), trigger_id=fake.new_trigger_id())
    headers = signed_headers(body, FORM)
    http = one.slack.http

    assert http.post(one.slack.url, data=body, headers=headers, timeout=10).status_code == 200
    assert len(fake.calls_to("views.open")) == 1
    assert http.post(two.slack.url, data=body, headers=headers, timeout=10).status_code == 401
    assert http.post(one.slack.url, data=body, headers=headers, timeout=10).status_code == 401
    # a copy marked as Slack's retry is acknowledged, so Slack stops, and not run either
    retry = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert http.post(two.slack.url, data=body, headers=retry, timeout=10).status_code == 200
    assert len(fake.calls_to("views.open")) == 1

    # a request Bolt does not take (404) is forgotten, so that Slack's retry of it gets through
    unknown = json.dumps({"type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A0SALESRL",
                          "event_id": "Ev0NOBODY", "event": {"type": "no_such_event"}}).encode()
    unknown_headers = signed_headers(unknown, "application/json")
    assert http.post(one.slack.url, data=unknown, headers=unknown_headers, timeout=10).status_code == 404
    assert http.post(two.slack.url, data=unknown, headers=unknown_headers, timeout=10).status_code == 404


def test_records_of_requests_go_once_no_copy_could_verify(start_bot, database_url):
    bot = start_bot(database_url=database_url)
    expired = "0" * 64
    assert bot.store.events.first_time_request(expired, now=utcnow() - timedelta(minutes=11))
    assert bot.slack.command("help", response_url=bot.fake.response_url()).response.status_code == 200
    # the bot deleted the record, made eleven minutes ago, when it recorded this request
    assert bot.store.events.first_time_request(expired) is True


# --- /healthz and the database (item 7) -------------------------------------------------------------

def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_on_database(agent, fake_slack, url: str, engine=None) -> tuple[BotUnderTest, ServedApp]:
    store = Store(engine or make_engine(url))  # Store.open would check the schema, and fail at once
    settings = bot_settings(fake_slack, url)
    app, bot = build_app(settings, store, agent)
    probe = IdleProbe(bot)
    served = ServedApp(create_asgi_app(app, bot)).start()
    return BotUnderTest(served.url, SlackSender(served.url), fake_slack, store, settings, bot, probe), served


def test_healthz_answers_ok_while_the_database_answers(start_bot, database_url):
    bot = start_bot(database_url=database_url)
    response = bot.slack.http.get(bot.url + "/healthz", timeout=5)
    assert response.status_code == 200 and response.text == "ok"


def test_healthz_and_requests_answer_503_when_the_database_is_gone(agent, fake_slack, caplog):
    url = f"postgresql+psycopg://salesrl:hunter2@127.0.0.1:{_closed_port()}/salesrl"  # nothing listens
    bot, served = serve_on_database(agent, fake_slack, url)
    try:
        response = bot.slack.http.get(bot.url + "/healthz", timeout=5)
        assert response.status_code == 503
        assert response.text == "database unavailable"  # nothing of the URL, host or driver
        # a signed request cannot be recorded against copies: refused, and Slack tries again later
        sent = bot.slack.message("who decides on Acme?", mention_of=fake_slack.bot_user_id)
        assert sent.response.status_code == 503 and "127.0.0.1" not in sent.response.text
        # a command cannot be tried again by Slack: its asker is told, in the one line
        assert bot.slack.command("help", response_url=bot.fake.response_url()).json() == DATABASE_LINE
    finally:
        served.stop()
        bot.store.close()
    assert not any("hunter2" in record.getMessage() for record in caplog.records)


@pytest.mark.slow  # waits out the database's 2 s timeout
def test_healthz_gives_up_on_a_database_that_never_answers(agent, fake_slack):
    with socket.socket() as silent:  # takes connections (the kernel does) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        bot, served = serve_on_database(agent, fake_slack, f"postgresql+psycopg://salesrl@127.0.0.1:"
                                                           f"{silent.getsockname()[1]}/salesrl")
        try:
            # libpq would wait for ever; the health check's own connection gives up after 2 s
            response = bot.slack.http.get(bot.url + "/healthz", timeout=5)
            assert response.status_code == 503
        finally:
            silent.close()  # resets the connections the bot's other parts are still waiting on
            served.stop()
            bot.store.close()


@contextlib.contextmanager
def database_that_never_answers() -> Iterator[str]:
    """The URL of a "PostgreSQL" that takes connections (the kernel does) and never says a word."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        yield f"postgresql+psycopg://salesrl@127.0.0.1:{silent.getsockname()[1]}/salesrl"


@pytest.mark.slow  # waits out the database's 2 s timeout
def test_a_command_is_answered_in_time_and_in_plain_words_by_a_database_that_never_answers(agent, fake_slack):
    with database_that_never_answers() as url:
        bot, served = serve_on_database(agent, fake_slack, url)
        try:
            sent = bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=fake_slack.response_url())
            # the store's connection gives up after 2 s: the asker hears within Slack's 3
            assert sent.seconds < 3 and sent.json() == DATABASE_LINE
            bot.wait_idle()
            posts = [c for c in fake_slack.calls if c.method in ("chat.postMessage", "chat.postEphemeral",
                                                                 "response_url")]
            assert posts == []  # nothing was taken on (the bot is idle), so nothing comes later
        finally:
            served.stop()
            bot.store.close()


@pytest.mark.slow  # waits out the database's 2 s timeout
@pytest.mark.postgres
def test_a_command_is_answered_in_time_and_in_plain_words_when_no_pooled_connection_comes(
        agent, fake_slack, postgres_url):
    engine = make_engine(postgres_url)
    bot, served = serve_on_database(agent, fake_slack, postgres_url, engine)
    # every connection of the bot's pool taken, as when they are all stuck on a database that stopped answering
    held = [engine.connect() for _ in range(POOL_SIZE + MAX_OVERFLOW)]
    try:
        sent = bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=fake_slack.response_url())
        assert sent.seconds < 3 and sent.json() == DATABASE_LINE
        for conn in held:
            conn.close()
        bot.wait_idle()
        assert bot.store.deals.get("T0TEAM", "Acme") is None and not fake_slack.calls_to("chat.postMessage")
    finally:
        for conn in held:
            conn.close()
        served.stop()
        bot.store.close()


# --- the bot token goes only to Slack's file hosts, or exactly to SLACK_API_URL's (item 9) -------------

class _Recorder(BaseHTTPRequestHandler):
    """A web server on the fake Slack's host, another port: records whether a token arrived."""

    received: list[dict[str, str]]

    def do_GET(self) -> None:
        self.received.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(TRANSCRIPT.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict[str, str]]]]:
    received: list[dict[str, str]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Recorder", (_Recorder,), {"received": received}))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", received
    server.shutdown()
    server.server_close()


def test_a_shared_file_on_another_port_of_the_api_host_gets_no_token(running_bot: BotUnderTest, recorder):
    bot, fake = running_bot, running_bot.fake
    elsewhere, received = recorder
    file = fake.add_file("call.txt", TRANSCRIPT.encode())
    file["url_private_download"] = file["url_private"] = elsewhere + "files-pri/T0TEAM-F1/download/call.txt"
    bot.slack.event({"type": "message", "subtype": "file_share", "user": "U0ANA", "channel": "D0ANA",
                     "channel_type": "im", "text": "", "ts": "1700000100.000100", "files": [file]})
    (reply,) = fake.wait_for("chat.postEphemeral")
    assert "not stored in Slack" in reply.params["text"]
    assert received == []


@pytest.mark.parametrize("url", [
    "{elsewhere}files-pri/T0TEAM-F1/download/call.txt",  # the fake's host, another port
    "http://files.slack.com/files-pri/T0TEAM-F1/download/call.txt",  # the token in clear text
    "https://slack.com:8443/files-pri/T0TEAM-F1/download/call.txt",
])
def test_download_refuses_urls_that_are_not_slacks_without_sending_the_token(fake_slack, recorder, url):
    elsewhere, received = recorder
    client = WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)
    file = SlackFile(id="F1", name="call.txt", size=100, url=url.format(elsewhere=elsewhere))
    with pytest.raises(FileDownloadError, match="not stored in Slack"):
        download_transcript(client, file, max_chars=10_000)
    assert received == []
    # the fake's own files still come, with the token
    real = SlackFile.from_dict(fake_slack.add_file("call.txt", TRANSCRIPT.encode()))
    assert download_transcript(client, real, max_chars=10_000) == TRANSCRIPT.encode()
    assert fake_slack.calls_to("download")[-1].headers["Authorization"] == f"Bearer {fake_slack.bot_token}"


@pytest.mark.parametrize("url, allowed", [
    ("https://files.slack.com/files-pri/T1-F1/download/call.txt", True),
    ("https://files.slack.com:443/files-pri/T1-F1/download/call.txt", True),
    ("https://files.slack-gov.com/files-pri/T1-F1/download/call.txt", True),
    ("http://files.slack.com/files-pri/T1-F1/download/call.txt", False),
    ("https://files.slack.com:8443/files-pri/T1-F1/download/call.txt", False),
    ("https://files.slack.com:notaport/x", False),
    ("https://files.slack.com.evil.example/x", False),
    ("https://evilslack.com/x", False),
    ("https://files.slack.com@evil.example/x", False),
    ("ftp://files.slack.com/x", False),
    ("file:///etc/passwd", False),
])
def test_with_slacks_own_api_the_token_goes_only_to_slack_over_https(url, allowed):
    assert may_send_token(url, WebClient.BASE_URL) is allowed
