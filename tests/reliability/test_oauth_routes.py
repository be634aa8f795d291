"""The OAuth routes, with OAuth configured, as anyone on the internet may call them: garbage in the
query, a missing or forged state, a forged code, an error of the caller's choosing, bytes that are
not UTF-8, a query too long to read. Each gets a 4xx page that repeats nothing of the query, and
the log gets no traceback and nothing of the query either. Over real HTTP against the real bot."""

from __future__ import annotations

import logging
import re
import socket
import urllib.parse

import pytest

from tests.e2e.conftest import BotUnderTest
from tests.reliability.test_http_edge import assert_no_traceback_and_no, uvicorn_logs_too

FORGED = "qz9forged"  # in every query below: neither a page nor a log line may show it
REDIRECT, INSTALL = "/slack/oauth_redirect", "/slack/install"


@pytest.fixture
def oauth_bot(start_bot, caplog: pytest.LogCaptureFixture) -> BotUnderTest:
    caplog.set_level(logging.INFO)  # as `salesrl serve` logs
    return start_bot(slack_bot_token=None, slack_client_id="111.222", slack_client_secret="fake-client-secret")


def get(bot: BotUnderTest, path: str, query: str, cookie: str | None = None) -> tuple[int, str]:
    """GET path?query sent as these bytes (requests would re-encode them)."""
    host, port = urllib.parse.urlsplit(bot.url).netloc.split(":")
    head = f"GET {path}?{query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
    raw = head.encode("latin-1") + (f"Cookie: {cookie}\r\n".encode("latin-1") if cookie else b"") + b"\r\n"
    return raw_get(host, int(port), raw)


def raw_get(host: str, port: int, request: bytes) -> tuple[int, str]:
    """(status, page); status 0 when the server hung up before answering."""
    answer = b""
    with socket.create_connection((host, port), timeout=10) as conn:
        try:
            conn.sendall(request)
            while chunk := conn.recv(65536):
                answer += chunk
        except (ConnectionResetError, BrokenPipeError):  # it stopped reading what it will not take
            pass
    status = int(answer.split(b" ", 2)[1]) if answer else 0
    return status, answer.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")


def started_install(bot: BotUnderTest) -> tuple[str, str]:
    """(state, cookie) of an install begun in a browser, as anyone may begin one."""
    page = bot.slack.http.get(bot.url + INSTALL, allow_redirects=False)
    link = re.search(r'href="([^"]+oauth/v2/authorize[^"]+)"', page.text).group(1).replace("&amp;", "&")
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["state"][0]
    return state, page.headers["Set-Cookie"].split(";")[0]


@pytest.mark.parametrize("query, cookie, status", [
    ("", None, 400),
    (f"code={FORGED}", None, 400),
    (f"code={FORGED}&state={FORGED}", None, 400),
    (f"code={FORGED}&state={FORGED}", f"slack-app-oauth-state={FORGED}", 401),  # a state never issued
    (f"state=%ff%fe{FORGED}&code=%c3{FORGED}", "slack-app-oauth-state=%ff", 400),
    (f"code=a&code={FORGED}&state={FORGED}&state=b&&=&code", None, 400),
    (f"error={FORGED}%3Cscript%3Ealert(1)%3C/script%3E&state={FORGED}", None, 400),
    (f"error=access_denied%0A{FORGED}", None, 400),
    (f"code={FORGED}&state={'s' * 6000}", f"slack-app-oauth-state={'s' * 6000}", 401),
])
def test_a_forged_redirect_gets_a_4xx_page_repeating_nothing(oauth_bot, caplog, query, cookie, status):
    with uvicorn_logs_too(caplog):
        answer, page = get(oauth_bot, REDIRECT, query, cookie)
    assert answer == status and FORGED not in page and "<script" not in page
    assert "start again from the install page" in page
    assert_no_traceback_and_no(FORGED, caplog)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_forged_code_with_a_real_state_is_refused_and_the_code_not_logged(oauth_bot, caplog):
    state, cookie = started_install(oauth_bot)
    answer, page = get(oauth_bot, REDIRECT, f"code={FORGED}&state={state}", cookie)
    assert answer == 401 and FORGED not in page and "Slack did not confirm this install" in page
    assert oauth_bot.fake.calls_to("oauth.v2.access")  # Slack was asked, and said no
    assert_no_traceback_and_no(FORGED, caplog)
    # one line says what happened
    assert "an OAuth install did not complete (invalid_code)" in caplog.text


@pytest.mark.parametrize("query", [f"team=T0ACME%26client_id%3D{FORGED}", f"team={FORGED}",
                                   "team=T0ACME&team=T0OTHER", "team=t0acme"])
def test_the_install_page_takes_only_a_workspace_id_from_its_query(oauth_bot, caplog, query):
    answer, page = get(oauth_bot, INSTALL, query)
    assert answer == 400 and FORGED not in page
    assert_no_traceback_and_no(FORGED, caplog)


def test_the_install_link_carries_a_workspace_id_and_nothing_else_of_the_query(oauth_bot, caplog):
    answer, page = get(oauth_bot, INSTALL, f"team=T0ACME&utm_source={FORGED}&redirect_uri={FORGED}&x=%ff")
    assert answer == 200 and FORGED not in page
    link = re.search(r'href="([^"]+oauth/v2/authorize[^"]+)"', page).group(1).replace("&amp;", "&")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query, keep_blank_values=True)
    assert sorted(query) == ["client_id", "scope", "state", "team", "user_scope"]
    assert query["team"] == ["T0ACME"] and query["client_id"] == ["111.222"]
    assert_no_traceback_and_no(FORGED, caplog)


@pytest.mark.parametrize("path", [INSTALL, REDIRECT])
def test_a_query_that_is_not_utf8_gets_400_without_a_traceback(oauth_bot, caplog, path):
    host, port = urllib.parse.urlsplit(oauth_bot.url).netloc.split(":")
    query = b"code=\xff\xfe&state=\xc3" + FORGED.encode()  # bytes a browser would have escaped
    with uvicorn_logs_too(caplog):
        answer, page = raw_get(host, int(port), b"GET " + path.encode() + b"?" + query + b" HTTP/1.1\r\n"
                               b"Host: x\r\nConnection: close\r\n\r\n")
    assert answer == 400 and FORGED not in page
    assert_no_traceback_and_no(FORGED, caplog)


@pytest.mark.parametrize("path, status", [(INSTALL, 200), (REDIRECT, 400)])
def test_huge_queries_are_answered_without_a_traceback(oauth_bot, caplog, path, status):
    """20 KB, which uvicorn reads: the install page ignores it, the redirect refuses it. 500 KB, which
    it stops reading at 16 KB: it hangs up, and the bot goes on serving."""
    with uvicorn_logs_too(caplog):
        answer, page = get(oauth_bot, path, f"state={FORGED * 2_000}&code={FORGED}")
        assert answer == status and FORGED not in page
        answer, _ = get(oauth_bot, path, f"state={FORGED * 50_000}")
        assert answer in (0, 400, 414)
        assert oauth_bot.slack.http.get(oauth_bot.url + "/healthz", timeout=5).status_code == 200
    assert_no_traceback_and_no(FORGED, caplog)
