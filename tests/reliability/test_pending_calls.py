"""Pending calls in the database (SQLite and PostgreSQL): a living process keeps its rows, a dead
one's are taken over once, by one process. A call is recorded before Slack gets the ack of its
request, and a database outage is told to the asker in plain words: a call that could not be recorded
is refused at once; one that the outage caught later is answered once the database is back."""

from __future__ import annotations

import functools
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from salesrl.bot.digest.slack_clients import clients_from_settings
from salesrl.bot.slack import pending
from salesrl.bot.slack.app import LISTENER_THREADS
from salesrl.bot.slack.pending import is_dead_here, process_owner
from salesrl.bot.slack.scoring import resume_call
from salesrl.bot.store.engine import make_engine
from salesrl.bot.store.tables import utcnow
from salesrl.bot.store.pending import PendingCallTaken
from salesrl.bot.store.schema import upgrade
from salesrl.bot.store.database import DATABASE_UNAVAILABLE
from tests.e2e.conftest import TRANSCRIPT, BotUnderTest
from tests.e2e.test_slack_commands import modal_submission
from tests.fakes.tcp_proxy import TcpProxy
from tests.waiting import wait_until
from tests.stored import add_pending, pending_call

REQUEST = {"asker": {"team_id": "T0TEAM", "user_id": "U0ANA", "channel_id": "C0SALES", "response_url": None,
                     "thread_ts": None}, "source": "slash_command", "label": "pasted text", "deal_name": "Acme",
           "deal_id": None, "reps": [], "file": None}


def test_rows_are_taken_over_only_when_abandoned_and_only_once(store):
    alive, dead = "elsewhere:101:aaaa", "elsewhere:102:bbbb"
    kept = add_pending(store, "T0TEAM", REQUEST, "Ana: hi [email]", alive)
    orphan = add_pending(store, "T0TEAM", REQUEST, "Ana: hello", dead)
    elsewhere = add_pending(store, "T0OTHER", REQUEST, "Boris: hi", dead)  # another workspace's
    lease_ago = utcnow() - timedelta(seconds=120)
    assert store.pending.claim("T0TEAM", "me:1:cccc", stale_before=lease_ago) == []  # both renewed just now
    (taken,) = store.pending.claim("T0TEAM", "me:1:cccc", stale_before=lease_ago, dead_owners=[dead])
    assert (taken.id, taken.owner, taken.attempts, taken.text) == (orphan, "me:1:cccc", 2, "Ana: hello")
    assert taken.request == REQUEST
    assert store.pending.owners("T0OTHER") == [dead] and pending_call(store, "T0TEAM", elsewhere) is None
    # the living owner renews its claim; once it stops for the lease, the row goes to one claimer only
    assert store.pending.touch(alive) == 1
    assert store.pending.claim("T0TEAM", "you:2:dddd", stale_before=lease_ago) == []
    later = utcnow() + timedelta(seconds=121)
    store.pending.touch("me:1:cccc", now=later)  # "me" lives on and renews the row it took
    first = store.pending.claim("T0TEAM", "you:2:dddd", stale_before=later - timedelta(seconds=120), now=later)
    second = store.pending.claim("T0TEAM", "me:1:cccc", stale_before=later - timedelta(seconds=120), now=later)
    assert [p.id for p in first] == [kept] and second == []
    store.pending.finish("T0TEAM", kept)
    assert pending_call(store, "T0TEAM", kept) is None


def test_a_saved_call_marks_its_pending_row_in_the_same_transaction(store, score_result):
    pending = add_pending(store, "T0TEAM", REQUEST, "Ana: hi", process_owner())
    call_id = store.calls.save("T0TEAM", None, score_result(), "slash_command", "Ana: hi", pending_id=pending)
    assert pending_call(store, "T0TEAM", pending).call_id == call_id


def test_a_process_of_this_host_that_exited_is_dead():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host = socket.gethostname()
    assert is_dead_here(f"{host}:{child.pid}:abcd")
    assert not is_dead_here(process_owner())  # this very process
    assert not is_dead_here(f"another-host:{child.pid}:abcd")  # only the lease can tell
    assert not is_dead_here("garbage")


def test_a_pending_call_is_saved_once(store, score_result):
    """A process that lost the database for longer than the lease, while another took its call over
    and saved it, cannot save it a second time."""
    deal = store.deals.get_or_create("T0TEAM", "Acme")
    row = add_pending(store, "T0TEAM", REQUEST, "Ana: hi", process_owner())
    store.calls.save("T0TEAM", deal.id, score_result(), "slash_command", "Ana: hi", pending_id=row)
    with pytest.raises(PendingCallTaken):
        store.calls.save("T0TEAM", deal.id, score_result(), "slash_command", "Ana: hi", pending_id=row)
    assert store.deals.get("T0TEAM", "Acme").call_count == 1 and len(store.calls.of_deal("T0TEAM", deal.id)) == 1


# --- recorded before the ack -----------------------------------------------------------------------


def pending_rows(bot: BotUnderTest) -> int:
    engine = make_engine(bot.settings.effective_database_url())
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM pending_calls")).scalar_one()
    engine.dispose()
    return count


def summaries(bot: BotUnderTest) -> list[dict]:
    return [m for m in bot.fake.messages("C0SALES") if "likely to convert" in m.get("text", "")]


def reply_texts(bot: BotUnderTest) -> list[str]:
    return [c.params.get("text", "") for c in bot.fake.calls_to("response_url")]


@contextmanager
def nothing_runs_after_the_ack(bot: BotUnderTest) -> Iterator[None]:
    """Bolt's listener threads (where lazy listeners run) and the worker pool busy until the block
    ends: only what a request does before its ack happens."""
    release = threading.Event()
    for _ in range(LISTENER_THREADS):
        bot.bot.listener_threads.submit(release.wait)
    for _ in range(bot.bot.workers.workers):
        bot.bot.workers.submit(release.wait)
    try:
        yield
    finally:
        release.set()


def send_command(bot: BotUnderTest):
    return bot.slack.command(f"score Acme :: {TRANSCRIPT}", response_url=bot.fake.response_url())


def send_file_share(bot: BotUnderTest):
    file = bot.fake.add_file("acme-call.txt", TRANSCRIPT.encode())
    return bot.slack.message("Acme ::", event_fields={"subtype": "file_share", "files": [file]})


def send_shortcut(bot: BotUnderTest):
    return bot.slack.interaction({
        "type": "message_action", "callback_id": "score_message", "trigger_id": bot.fake.new_trigger_id(),
        "team": {"id": "T0TEAM"}, "user": {"id": "U0ANA", "team_id": "T0TEAM"}, "channel": {"id": "C0SALES"},
        "response_url": bot.fake.response_url(), "message_ts": "1700000000.000100",
        "message": {"type": "message", "user": "U0CARL", "ts": "1700000000.000100", "text": f"Acme :: {TRANSCRIPT}"}})


def send_modal(bot: BotUnderTest):
    values = {"deal_new": {"name": {"type": "plain_text_input", "value": "Acme"}},
              "transcript_text": {"text": {"type": "plain_text_input", "value": TRANSCRIPT}},
              "transcript_file": {"file": {"type": "file_input", "files": []}}}
    return bot.slack.interaction(modal_submission(bot.fake, values=values))


@pytest.mark.parametrize("send", [send_command, send_file_share, send_shortcut, send_modal],
                         ids=["slash command", "file share", "message shortcut", "modal"])
def test_a_call_is_recorded_before_slack_gets_the_ack(running_bot: BotUnderTest, send):
    bot = running_bot
    with nothing_runs_after_the_ack(bot):
        sent = send(bot)
        assert sent.response.status_code == 200
        assert pending_rows(bot) == 1  # a crash from here on cannot lose the call
    wait_until(lambda: summaries(bot), what="the answer")
    bot.wait_idle()
    wait_until(lambda: pending_rows(bot) == 0, what="the row to be closed")
    assert len(summaries(bot)) == 1
    assert bot.store.deals.get("T0TEAM", "Acme").call_count == 1


# --- the database down -----------------------------------------------------------------------------

@pytest.fixture
def database_behind_proxy(postgres_schema_factory) -> Iterator[tuple[str, TcpProxy]]:
    """A migrated PostgreSQL schema reached through a proxy the test can cut: (URL through it, proxy)."""
    direct = postgres_schema_factory()
    engine = make_engine(direct)
    upgrade(engine)
    engine.dispose()
    parsed = make_url(direct)
    with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
        yield parsed.set(port=proxy.port).render_as_string(hide_password=False), proxy


def assert_no_database_details(text: str, proxy: TcpProxy) -> None:
    for detail in ("postgres", "psycopg", "sqlalchemy", "127.0.0.1", "localhost", str(proxy.port), "5432", "://",
                   "salesrl_test", "connection", "refused"):
        assert detail not in text.lower(), text


@pytest.mark.postgres
def test_with_the_database_down_a_call_is_refused_in_plain_words_and_never_answered_later(
        database_behind_proxy, start_bot):
    url, proxy = database_behind_proxy
    bot = start_bot(database_url=url)
    proxy.cut()
    # the request itself cannot be recorded (bot.slack.replays): refused before anything is done
    refused = send_command(bot).json()
    assert refused == {"response_type": "ephemeral", "text": DATABASE_UNAVAILABLE}
    assert_no_database_details(refused["text"], proxy)
    modal = send_modal(bot).json()  # the form stays open and says why
    assert modal["response_action"] == "errors"
    (line,) = modal["errors"].values()
    assert line == DATABASE_UNAVAILABLE

    proxy.restore()
    resume = functools.partial(resume_call, bot.bot)
    assert bot.bot.pending.sweep(clients_from_settings(bot.settings), resume) == []  # nothing kept to answer later
    bot.wait_idle()
    assert pending_rows(bot) == 0 and bot.store.deals.get("T0TEAM", "Acme") is None
    assert not bot.fake.calls_to("chat.postMessage") and not reply_texts(bot)


@pytest.mark.postgres
def test_a_call_the_database_outage_caught_is_answered_once_when_it_is_back(
        database_behind_proxy, start_bot, monkeypatch):
    monkeypatch.setattr(pending, "SWEEP_S", 0.2)
    url, proxy = database_behind_proxy
    bot = start_bot(database_url=url)
    with nothing_runs_after_the_ack(bot):
        assert "Scoring" in send_command(bot).json()["text"]
        proxy.cut()  # before the worker starts on the call
    wait_until(lambda: reply_texts(bot), what="the asker to hear of the outage")
    (notice,) = reply_texts(bot)
    assert "database is unavailable" in notice and "as soon as it is back" in notice
    assert_no_database_details(notice, proxy)
    assert not bot.fake.calls_to("chat.postMessage")

    proxy.restore()  # the process goes back to the call by itself: no restart
    wait_until(lambda: summaries(bot), what="the answer")
    bot.wait_idle()
    wait_until(lambda: pending_rows(bot) == 0, what="the row to be closed")
    assert len(summaries(bot)) == 1 and bot.store.deals.get("T0TEAM", "Acme").call_count == 1
    assert reply_texts(bot) == [notice]  # told once that it is delayed, never that it failed
