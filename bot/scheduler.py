"""One APScheduler in each bot process, owning every job the process runs on a clock.

    scheduler = start_scheduler(settings, store, clients, pending=ctx.pending, resume=resume)
    ...
    stop_scheduler(scheduler)

bot.server starts it with the HTTP server's lifespan, or with Socket Mode, and stops it when they stop.
Its jobs, with fixed ids:

- ``salesrl-pending-calls`` at start-up and then every `bot.slack.pending.SWEEP_S`: renew this
  process's claims on the calls it is answering, and take over those of processes that died
  (`PendingCalls.sweep`);
- ``salesrl-digests-due`` at start-up and then every minute: `DigestRunner.run_due(now)`;
- ``salesrl-retention`` daily at 03:17 UTC: `store.retention.purge_transcripts(SALESRL_RETENTION_DAYS)`
  when that is set, and `store.events.prune_processed()`;
- ``salesrl-crm-sync`` at start-up and then every minute, when the environment connects a workspace to a
  CRM (bot.crm.config): `CrmSync.run_due(now)` syncs each connection every SALESRL_CRM_SYNC_MINUTES.

The digest and retention jobs are left out with SALESRL_DIGEST_SCHEDULER=false (cron runs `salesrl
digest run-due` instead); the pending-call sweep always runs, since only a living bot process can
answer a call.

The jobs are kept in memory: the schedule is fixed and made anew by every process that starts, so a
job store in the database would only hold a copy of it (earlier versions kept it in the table
``apscheduler_jobs``, which an older deployment may drop). A digest that fell due while no process
was running goes out at the next start-up's first tick, within SALESRL_DIGEST_GRACE_HOURS: what is due
is computed from the database, not remembered by the scheduler.

With several bot processes on one PostgreSQL database each runs its own ticks. A digest is still
posted exactly once, because each (subscription, period) is claimed in the database before posting
(bot.digest.runner); each CRM sync is claimed the same way, once per interval (bot.store.crm); a
pending call is taken over by one process, with one conditional UPDATE (bot.store.pending); and the
purge is idempotent. The scheduler only decides *when to look*; the
database decides *who acts*.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from salesrl.bot.crm.errors import CrmError
from salesrl.bot.crm.sync import CrmSync, FlagsCleared, SlackUserOf
from salesrl.bot.digest.runner import DigestRunner
from salesrl.bot.digest.slack_clients import ClientLookup
from salesrl.bot.settings import Settings
from salesrl.bot.slack import pending as pending_calls
from salesrl.bot.slack.profiles import slack_users
from salesrl.bot.store import DatabaseUnavailable, Store
from salesrl.bot.store.tables import utcnow

log = logging.getLogger(__name__)

PENDING_JOB_ID = "salesrl-pending-calls"
DIGEST_JOB_ID = "salesrl-digests-due"
RETENTION_JOB_ID = "salesrl-retention"
CRM_JOB_ID = "salesrl-crm-sync"
TICK_SECONDS = 60
RETENTION_AT = {"hour": 3, "minute": 17}  # UTC, a quiet hour


def sweep_pending_calls(pending: pending_calls.PendingCalls, clients: ClientLookup,
                        resume: pending_calls.Resume) -> None:
    """The half-minute job: keep this process's calls, take over those of dead processes."""
    try:
        pending.sweep(clients, resume)
    except DatabaseUnavailable:  # the store logged why; the next sweep tries again
        log.warning("the sweep of pending calls waits for the database")


def post_due_digests(runner: DigestRunner) -> None:
    """The every-minute job: post what is due."""
    runner.run_due(utcnow())


def sync_crms(crm_sync: CrmSync) -> None:
    """The every-minute job: sync the workspaces whose CRM sync is due."""
    try:
        crm_sync.run_due(utcnow())
    except DatabaseUnavailable:
        log.warning("the CRM sync waits for the database")


def crm_sync_of(settings: Settings, store: Store, flags_cleared: FlagsCleared | None = None,
                slack_user_of: SlackUserOf | None = None) -> CrmSync | None:
    """The CRM sync of this process, when the environment connects a workspace to a CRM."""
    crm_sync = CrmSync(store, every=timedelta(minutes=settings.crm_sync_minutes), hubspot_api_url=settings.hubspot_api_url,
                       flags_cleared=flags_cleared, slack_user_of=slack_user_of)
    try:
        return crm_sync if crm_sync.connections() else None
    except CrmError as e:
        log.error("CRM sync off: %s", e)
        return None


def purge_expired(store: Store, retention_days: int | None) -> None:
    """The daily job: delete transcripts past the retention period, forget old Slack event ids."""
    if retention_days is not None:
        purged = store.retention.purge_transcripts(retention_days)
        log.info("retention: purged the transcripts of %d calls older than %d days", purged, retention_days)
    pruned = store.events.prune_processed()
    log.info("retention: forgot %d processed Slack event ids", pruned)


def start_scheduler(
    settings: Settings,
    store: Store,
    clients: ClientLookup,
    *,
    pending: pending_calls.PendingCalls | None = None,
    resume: pending_calls.Resume | None = None,
    runner: DigestRunner | None = None,
    crm_flags_cleared: FlagsCleared | None = None,
) -> BackgroundScheduler:
    """Start the process's jobs in a background thread; returns the running scheduler. The pending-call
    sweep is added when `pending` (and what to do with a call taken over, `resume`) is given;
    `crm_flags_cleared` is told of the flags the CRM sync's closed deals cleared (bot.crm.sync); the CRM sync finds
    deal owners in Slack with `clients`."""
    scheduler = BackgroundScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": TICK_SECONDS},
        timezone="UTC",
    )
    # every job's first run right away: a call left by a dead process, or a digest missed while no
    # bot was running, is taken care of at start-up
    if pending is not None:
        assert resume is not None, "a pending-call sweep needs to know how to resume a call"
        scheduler.add_job(sweep_pending_calls, "interval", args=[pending, clients, resume],
                          seconds=pending_calls.SWEEP_S, id=PENDING_JOB_ID, name="pending-call sweep",
                          next_run_time=utcnow())
    if settings.digest_scheduler:
        runner = runner or DigestRunner(
            store, clients, grace=timedelta(hours=settings.digest_grace_hours), at_risk_below=settings.flag_threshold
        )
        scheduler.add_job(post_due_digests, "interval", args=[runner], seconds=TICK_SECONDS, id=DIGEST_JOB_ID,
                          name="post due digests", next_run_time=utcnow())
        scheduler.add_job(purge_expired, "cron", args=[store, settings.retention_days], id=RETENTION_JOB_ID,
                          name="retention purge", **RETENTION_AT)
    else:
        log.info("digest scheduler off (SALESRL_DIGEST_SCHEDULER=false)")
    crm_sync = crm_sync_of(settings, store, crm_flags_cleared, slack_users(clients))
    if crm_sync is not None:
        scheduler.add_job(sync_crms, "interval", args=[crm_sync], seconds=TICK_SECONDS, id=CRM_JOB_ID,
                          name="CRM sync", next_run_time=utcnow())
    scheduler.start()
    log.info("scheduler started with %s", ", ".join(job.name for job in scheduler.get_jobs()) or "no jobs")
    return scheduler


def stop_scheduler(scheduler: BackgroundScheduler, wait: bool = True) -> None:
    """Stop the jobs; with `wait`, let a job that is running (a digest post, a sweep) finish first."""
    if scheduler.running:
        scheduler.shutdown(wait=wait)
