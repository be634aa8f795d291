"""The APScheduler wiring: one scheduler per process with its jobs (the same ones at every
start: the pending-call sweep when the process answers calls, the digest tick and the purge unless
turned off), the minute tick posting what is due, and the daily retention purge."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Iterator

import pytest
import time_machine
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from slack_sdk import WebClient

from salesrl.bot.scheduler import DIGEST_JOB_ID, PENDING_JOB_ID, RETENTION_JOB_ID, start_scheduler, stop_scheduler
from salesrl.bot.digest.slack_clients import one_client
from salesrl.bot.settings import Settings
from salesrl.bot.slack.pending import SWEEP_S
from salesrl.bot.store import Store
from salesrl.bot.store.tables import utcnow
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
        sub = store.digests.add_subscription(W, channel, cadence="daily", weekday=None, hour=now.hour)
    return sub.id


def run_job_now(scheduler, job_id: str) -> None:  # type: ignore[no-untyped-def]
    """Run one of the scheduler's jobs through the scheduler right away (instead of waiting for its
    time), as a one-off copy: the job itself may be busy with its start-up tick."""
    job = scheduler.get_job(job_id)
    copy_id = f"{job_id}-now-{uuid.uuid4().hex}"
    done = threading.Event()
    failures: list[BaseException] = []

    def on_run(event) -> None:  # type: ignore[no-untyped-def]
        if event.job_id == copy_id:
            if event.exception is not None:
                failures.append(event.exception)
            done.set()

    scheduler.add_listener(on_run, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        scheduler.add_job(job.func, args=job.args, id=copy_id, next_run_time=utcnow())
        assert done.wait(30), f"{job_id} did not run"
    finally:
        scheduler.remove_listener(on_run)
    assert not failures, failures


def test_a_scheduler_has_the_minute_tick_and_the_daily_purge_at_every_start(store, database_url, slack):
    settings = settings_for(database_url, slack)
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    for _ in range(2):  # start, stop, start again: the same two jobs
        scheduler = start_scheduler(settings, store, one_client(client))
        try:
            jobs = {job.id: job for job in scheduler.get_jobs()}
        finally:
            stop_scheduler(scheduler)
        assert set(jobs) == {DIGEST_JOB_ID, RETENTION_JOB_ID}
        assert jobs[DIGEST_JOB_ID].trigger.interval == timedelta(minutes=1)
        assert str(jobs[RETENTION_JOB_ID].trigger) == "cron[hour='3', minute='17']"


def test_the_pending_call_sweep_runs_at_start_up_beside_the_digest_jobs_or_alone(store, database_url, slack):
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    swept = threading.Event()

    class Pending:  # what the scheduler asks of bot.slack.pending.PendingCalls
        def sweep(self, clients, resume):  # type: ignore[no-untyped-def]
            swept.set()

    for digests, expected in ((True, {PENDING_JOB_ID, DIGEST_JOB_ID, RETENTION_JOB_ID}), (False, {PENDING_JOB_ID})):
        swept.clear()
        settings = settings_for(database_url, slack, digest_scheduler=digests)
        scheduler = start_scheduler(settings, store, one_client(client), pending=Pending(),  # type: ignore[arg-type]
                                    resume=lambda client, pending: None)
        try:
            assert {job.id for job in scheduler.get_jobs()} == expected
            assert scheduler.get_job(PENDING_JOB_ID).trigger.interval == timedelta(seconds=SWEEP_S)
            assert swept.wait(30), "the sweep did not run at start-up"
        finally:
            stop_scheduler(scheduler)


def test_the_minute_tick_posts_a_due_digest_once(store, database_url, slack):
    due_now(store, database_url)
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    scheduler = start_scheduler(settings_for(database_url, slack), store, one_client(client))
    try:
        run_job_now(scheduler, DIGEST_JOB_ID)
        run_job_now(scheduler, DIGEST_JOB_ID)
    finally:
        stop_scheduler(scheduler)
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_the_daily_job_purges_old_transcripts_when_retention_is_set(store, database_url, slack, score_result):
    deal = store.deals.get_or_create(W, "Acme")
    with time_machine.travel(utcnow() - timedelta(days=40), tick=False):
        old = store.calls.save(W, deal.id, score_result([0.4, 0.6]), "cli", "Ana: the old transcript")
    new = store.calls.save(W, deal.id, score_result([0.4, 0.6]), "cli", "Ana: this week's transcript")
    assert store.events.mark_processed(W, "Ev1", now=utcnow() - timedelta(days=8))
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)

    scheduler = start_scheduler(settings_for(database_url, slack), store, one_client(client))
    try:  # no retention set: transcripts stay, old event ids go
        run_job_now(scheduler, RETENTION_JOB_ID)
    finally:
        stop_scheduler(scheduler)
    assert store.calls.get(W, old).transcript_text is not None
    assert store.events.mark_processed(W, "Ev1") is True  # forgotten, so new again

    scheduler = start_scheduler(settings_for(database_url, slack, retention_days=30), store, one_client(client))
    try:
        run_job_now(scheduler, RETENTION_JOB_ID)
    finally:
        stop_scheduler(scheduler)
    assert store.calls.get(W, old).transcript_text is None
    assert store.calls.get(W, new).transcript_text == "Ana: this week's transcript"
