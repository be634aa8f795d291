"""The APScheduler wiring: jobs kept in the project's database (surviving restarts, never
duplicated), the minute tick posting what is due, and the daily retention purge."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Iterator

import pytest
import time_machine
import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.jobstores.memory import MemoryJobStore
from slack_sdk import WebClient

from salesrl.bot.digest.scheduler import (
    DIGEST_JOB_ID, JOBS_TABLE, RETENTION_JOB_ID, build_scheduler, purge_expired, run_due_digests, start_scheduler,
    stop_scheduler,
)
from salesrl.bot.digest.slack_clients import one_client
from salesrl.bot.settings import Settings
from salesrl.bot.store import Store
from salesrl.bot.store.engine import make_engine
from salesrl.bot.store.models import utcnow
from tests.fakes.slack_server import FakeSlack

W = "T0TEAM"
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(team_id=W) as fake:
        yield fake


def settings_for(database_url: str, slack: FakeSlack, **overrides: object) -> Settings:
    return Settings(database_url=database_url, slack_bot_token=slack.bot_token, slack_api_url=slack.api_url,
                    **overrides)


def due_now(store: Store, database_url: str, channel: str = "C0SALES") -> int:
    """A daily subscription whose slot is the current hour, made yesterday: due right now."""
    now = utcnow()
    with time_machine.travel(now - timedelta(days=1), tick=False):
        sub = store.add_digest_subscription(W, channel, cadence="daily", weekday=None, hour=now.hour)
    return sub.id


def stored_jobs(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(sa.text(f"SELECT id FROM {JOBS_TABLE}")).scalars())
    finally:
        engine.dispose()


def tick_now(scheduler) -> None:  # type: ignore[no-untyped-def]
    """Run the minute job's function through the scheduler right away (instead of waiting a minute)."""
    done = threading.Event()
    scheduler.add_listener(lambda event: done.set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        scheduler.add_jobstore(MemoryJobStore(), "now")
    except ValueError:  # added by an earlier tick_now
        pass
    scheduler.add_job(run_due_digests, jobstore="now", next_run_time=utcnow())
    assert done.wait(30), "the tick did not run"


def test_jobs_live_in_the_database_and_a_restart_replaces_them(store, database_url, slack):
    settings = settings_for(database_url, slack)
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    for _ in range(2):  # start, stop, start again: the same two jobs
        scheduler = start_scheduler(settings, store, one_client(client))
        stop_scheduler(scheduler)
        assert stored_jobs(database_url) == sorted([DIGEST_JOB_ID, RETENTION_JOB_ID])
    reopened = build_scheduler(make_engine(database_url))  # a process that has not added anything
    reopened.start(paused=True)
    try:
        jobs = {job.id: job for job in reopened.get_jobs()}
        assert set(jobs) == {DIGEST_JOB_ID, RETENTION_JOB_ID}
        assert jobs[DIGEST_JOB_ID].trigger.interval == timedelta(minutes=1)
        assert jobs[DIGEST_JOB_ID].func is run_due_digests
        assert jobs[RETENTION_JOB_ID].func is purge_expired
    finally:
        reopened.shutdown(wait=False)


def test_the_minute_tick_posts_a_due_digest_once(store, database_url, slack):
    due_now(store, database_url)
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    scheduler = start_scheduler(settings_for(database_url, slack), store, one_client(client))
    try:
        tick_now(scheduler)
        tick_now(scheduler)
    finally:
        stop_scheduler(scheduler)
    assert len(slack.calls_to("chat.postMessage")) == 1
    run_due_digests()  # stopped: no runner left in this process, nothing happens
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_the_daily_job_purges_old_transcripts_when_retention_is_set(store, database_url, slack, score_result):
    deal = store.get_or_create_deal(W, "Acme")
    with time_machine.travel(utcnow() - timedelta(days=40), tick=False):
        old = store.save_call(W, deal.id, score_result([0.4, 0.6]), "cli", "Ana: the old transcript")
    new = store.save_call(W, deal.id, score_result([0.4, 0.6]), "cli", "Ana: this week's transcript")
    assert store.mark_event_processed(W, "Ev1", now=utcnow() - timedelta(days=8))
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)

    scheduler = start_scheduler(settings_for(database_url, slack), store, one_client(client))
    stop_scheduler(scheduler)  # no retention set: transcripts stay, old event ids go
    purge_expired()  # (no scheduler running: nothing)
    scheduler = start_scheduler(settings_for(database_url, slack), store, one_client(client))
    try:
        purge_expired()
    finally:
        stop_scheduler(scheduler)
    assert store.get_call(W, old).transcript_text is not None
    assert store.mark_event_processed(W, "Ev1") is True  # forgotten, so new again

    scheduler = start_scheduler(settings_for(database_url, slack, retention_days=30), store, one_client(client))
    try:
        purge_expired()
    finally:
        stop_scheduler(scheduler)
    assert store.get_call(W, old).transcript_text is None
    assert store.get_call(W, new).transcript_text == "Ana: this week's transcript"
