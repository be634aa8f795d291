"""APScheduler inside `salesrl serve`: run the due digests every minute, and the retention purge daily.

    scheduler = start_scheduler(settings, store, clients)   # clients: bot.digest.slack_clients
    ...
    stop_scheduler(scheduler)

One BackgroundScheduler per serve process, owning two jobs with fixed ids:

- ``salesrl-digests-due`` at start-up and then every minute: `DigestRunner.run_due(now)`;
- ``salesrl-retention`` daily at 03:17 UTC: `Store.retention.purge_transcripts(SALESRL_RETENTION_DAYS)` when
  that is set, and `Store.events.prune_processed()`.

The jobs are kept in memory: the schedule is fixed and made anew by every process that starts, so a
job store in the database would only hold a copy of it (earlier versions kept it in the table
``apscheduler_jobs``, which an older deployment may drop). A digest that fell due while no process
was running goes out at the next start-up's first tick, within SALESRL_DIGEST_GRACE_HOURS: what is due
is computed from the database, not remembered by the scheduler.

With several bot processes on one PostgreSQL database each runs its own ticks. A digest is still
posted exactly once, because each (subscription, period) is claimed in the database before posting
(bot.digest.runner), and the purge is idempotent. The scheduler only decides *when to look*; the
database decides *who posts*.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from salesrl.bot.digest.runner import DigestRunner
from salesrl.bot.digest.slack_clients import ClientLookup, clients_of_app
from salesrl.bot.settings import Settings
from salesrl.bot.store import Store
from salesrl.bot.store.tables import utcnow

if TYPE_CHECKING:
    from slack_bolt import App

log = logging.getLogger(__name__)

DIGEST_JOB_ID = "salesrl-digests-due"
RETENTION_JOB_ID = "salesrl-retention"
TICK_SECONDS = 60
RETENTION_AT = {"hour": 3, "minute": 17}  # UTC, a quiet hour


def post_due_digests(runner: DigestRunner) -> None:
    """The every-minute job: post what is due."""
    runner.run_due(utcnow())


def purge_expired(store: Store, retention_days: int | None) -> None:
    """The daily job: delete transcripts past the retention period, forget old Slack event ids."""
    if retention_days is not None:
        purged = store.retention.purge_transcripts(retention_days)
        log.info("retention: purged the transcripts of %d calls older than %d days", purged, retention_days)
    pruned = store.events.prune_processed()
    log.info("retention: forgot %d processed Slack event ids", pruned)


def build_scheduler(runner: DigestRunner, store: Store, retention_days: int | None) -> BackgroundScheduler:
    """The scheduler with its two jobs, not started yet."""
    scheduler = BackgroundScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": TICK_SECONDS},
        timezone="UTC",
    )
    # the first tick right away: a digest missed while no bot was running goes out at start-up
    scheduler.add_job(post_due_digests, "interval", args=[runner], seconds=TICK_SECONDS, id=DIGEST_JOB_ID,
                      name="post due digests", next_run_time=utcnow())
    scheduler.add_job(purge_expired, "cron", args=[store, retention_days], id=RETENTION_JOB_ID,
                      name="retention purge", **RETENTION_AT)
    return scheduler


def start_scheduler(
    settings: Settings,
    store: Store,
    clients: ClientLookup,
    *,
    runner: DigestRunner | None = None,
) -> BackgroundScheduler:
    """Start the digest and retention jobs in a background thread; returns the running scheduler."""
    runner = runner or DigestRunner(
        store, clients, grace=timedelta(hours=settings.digest_grace_hours), at_risk_below=settings.flag_threshold
    )
    scheduler = build_scheduler(runner, store, settings.retention_days)
    scheduler.start()
    log.info("digest scheduler started: due digests every %d s, retention purge daily at %02d:%02d UTC",
             TICK_SECONDS, RETENTION_AT["hour"], RETENTION_AT["minute"])
    return scheduler


def stop_scheduler(scheduler: BackgroundScheduler, wait: bool = True) -> None:
    """Stop the jobs; with `wait`, let a tick that is running finish its post first."""
    if scheduler.running:
        scheduler.shutdown(wait=wait)


def start_for_app(settings: Settings, store: Store, app: "App") -> BackgroundScheduler | None:
    """What `salesrl serve` calls: the scheduler posting with the Slack app's own clients, unless
    SALESRL_DIGEST_SCHEDULER=false (cron runs `salesrl digest run-due` instead)."""
    if not settings.digest_scheduler:
        log.info("digest scheduler off (SALESRL_DIGEST_SCHEDULER=false)")
        return None
    return start_scheduler(settings, store, clients_of_app(app))
