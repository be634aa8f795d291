"""APScheduler inside `salesrl serve`: run the due digests every minute, and the retention purge daily.

    scheduler = start_scheduler(settings, store, clients)   # clients: bot.digest.slack_clients
    ...
    stop_scheduler(scheduler)

A BackgroundScheduler keeps its jobs in the project's database (SQLAlchemyJobStore, table
``apscheduler_jobs``), so the schedule survives restarts. Two jobs, each with a fixed id and
``replace_existing=True``, so every process that starts re-registers the same two rows:

- ``salesrl-digests-due`` at start-up and then every minute: `DigestRunner.run_due(now)`;
- ``salesrl-retention`` daily at 03:17 UTC: `Store.purge_transcripts(SALESRL_RETENTION_DAYS)` when
  that is set, and `Store.prune_processed_events()`.

APScheduler 3 does not coordinate schedulers that share a job store: with several bot processes on
one PostgreSQL database a tick may run in more than one process, or (rarely) be skipped. Neither
matters, by design: a digest is posted exactly once because each (subscription, period) is claimed
in the database before posting (bot.digest.runner), a skipped tick is made up a minute later, and
the purge is idempotent. The scheduler only decides *when to look*; the database decides *who posts*.

The stored jobs name their functions by import path (``bot.digest.scheduler:run_due_digests``), as
a persistent job store requires; those functions reach this process's runner through
`start_scheduler`, which registers it.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from salesrl.bot.digest.runner import DigestRunner
from salesrl.bot.digest.slack_clients import ClientLookup, clients_of_app
from salesrl.bot.settings import Settings
from salesrl.bot.store import Store
from salesrl.bot.store.engine import make_engine
from salesrl.bot.store.models import utcnow

if TYPE_CHECKING:
    from slack_bolt import App

log = logging.getLogger(__name__)

DIGEST_JOB_ID = "salesrl-digests-due"
RETENTION_JOB_ID = "salesrl-retention"
JOBS_TABLE = "apscheduler_jobs"
TICK_SECONDS = 60
RETENTION_AT = {"hour": 3, "minute": 17}  # UTC, a quiet hour

_lock = threading.Lock()
_runner: DigestRunner | None = None
_retention: tuple[Store, int | None] | None = None


def run_due_digests() -> None:
    """The every-minute job: post what is due (a no-op in a process that did not start a scheduler)."""
    runner = _runner
    if runner is None:
        log.debug("digest tick in a process without a digest runner; nothing to do")
        return
    runner.run_due(utcnow())


def purge_expired() -> None:
    """The daily job: delete transcripts past the retention period, forget old Slack event ids."""
    retention = _retention
    if retention is None:
        return
    store, days = retention
    if days is not None:
        purged = store.purge_transcripts(days)
        log.info("retention: purged the transcripts of %d calls older than %d days", purged, days)
    pruned = store.prune_processed_events()
    log.info("retention: forgot %d processed Slack event ids", pruned)


def build_scheduler(jobs_engine: Engine) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=jobs_engine, tablename=JOBS_TABLE)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": TICK_SECONDS},
        timezone="UTC",
    )


def start_scheduler(
    settings: Settings,
    store: Store,
    clients: ClientLookup,
    *,
    runner: DigestRunner | None = None,
) -> BackgroundScheduler:
    """Start the digest and retention jobs in a background thread; returns the running scheduler."""
    global _runner, _retention
    runner = runner or DigestRunner(
        store, clients, grace=timedelta(hours=settings.digest_grace_hours), at_risk_below=settings.flag_threshold
    )
    engine = make_engine(settings.effective_database_url())
    scheduler = build_scheduler(engine)
    with _lock:
        _runner = runner
        _retention = (store, settings.retention_days)
    # the first tick right away: a digest missed while no bot was running goes out at start-up
    scheduler.add_job(run_due_digests, "interval", seconds=TICK_SECONDS, id=DIGEST_JOB_ID,
                      name="post due digests", replace_existing=True, next_run_time=utcnow())
    scheduler.add_job(purge_expired, "cron", id=RETENTION_JOB_ID, name="retention purge",
                      replace_existing=True, **RETENTION_AT)
    _start(scheduler)
    log.info("digest scheduler started: due digests every %d s, retention purge daily at %02d:%02d UTC",
             TICK_SECONDS, RETENTION_AT["hour"], RETENTION_AT["minute"])
    return scheduler


def _start(scheduler: BackgroundScheduler, attempts: int = 3) -> None:
    """Start, creating the job table if needed; two processes starting on a fresh database at once
    may race to create it, and the loser simply tries again."""
    for attempt in range(1, attempts + 1):
        try:
            scheduler.start()
            return
        except Exception as e:
            if attempt == attempts:
                raise
            log.info("starting the scheduler failed (%s); retrying", type(e).__name__)
            time.sleep(0.5 * attempt)


def stop_scheduler(scheduler: BackgroundScheduler, wait: bool = True) -> None:
    """Stop the jobs; with `wait`, let a tick that is running finish its post first."""
    global _runner, _retention
    if scheduler.running:
        scheduler.shutdown(wait=wait)
    with _lock:
        _runner = None
        _retention = None


def start_for_app(settings: Settings, store: Store, app: "App") -> BackgroundScheduler | None:
    """What `salesrl serve` calls: the scheduler posting with the Slack app's own clients, unless
    SALESRL_DIGEST_SCHEDULER=false (cron runs `salesrl digest run-due` instead)."""
    if not settings.digest_scheduler:
        log.info("digest scheduler off (SALESRL_DIGEST_SCHEDULER=false)")
        return None
    return start_scheduler(settings, store, clients_of_app(app))
