"""Posting the digests that are due, each (subscription, period) exactly once.

    report = run_due(store, client, now)        # a WebClient, or a workspace -> client lookup

For every active subscription of every workspace and every period due at `now`
(bot.digest.periods.due_periods):

1. claim the run in the database (`store.digests.claim_run`): one INSERT ... ON CONFLICT, so of
   all the processes sharing the database exactly one gets it; a run already posted is never
   claimed again;
2. build the digest, render it, and post it with chat.postMessage, tagged with message metadata
   (event type ``salesrl_digest``, the subscription and the period);
3. mark the run posted (`store.digests.mark_posted`), then upload the chart into the message's
   thread (a failed chart upload is logged; the digest stays posted).

If the post fails (Slack refused it, the network is down, a template bug), the claim is released
and the run is retried at the next tick after RETRY_DELAY; but when Slack may have posted it all
the same (the answer was lost, or a 5xx), the claim is kept until the lease runs out. If the process dies after claiming, the
claim expires after the lease (Store's default, 15 minutes) and another tick re-claims it. A
re-claimed run first looks in the channel's recent history for a message carrying its metadata
(bot.slack.outbox): if the dead process got as far as posting, that message is recorded and
nothing is posted again. The post itself is never repeated blindly by the Slack client: a failed
post releases the claim, and its next try looks in the channel first.

A period whose slot is more than the grace window old and was never posted is skipped, logged
once per process at WARNING.

The exactly-once guarantee lives in the database and in this module, not in the scheduler that
calls `run_due` (bot.scheduler): any number of schedulers, cron jobs and restarts may call
it at the same time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.bot.digest.chart import chart_alt_text, render_digest_chart_png
from salesrl.bot.digest.content import DigestContent, build_digest
from salesrl.bot.digest.periods import DEFAULT_GRACE, Period, due_periods, missed_period
from salesrl.bot.digest.rendering import HEADINGS, render_digest
from salesrl.bot.digest.slack_clients import ClientLookup, one_client
from salesrl.bot.slack.outbox import Posted, Tag, find_tagged, may_have_posted, upload_chart
from salesrl.bot.slack.membership import Membership, bot_user_id, digest_audience_filter
from salesrl.bot.slack.web_client import without_blind_retries
from salesrl.bot.slack.templates import Templates
from salesrl.bot.store import DigestSubscription, NotFound, Store
from salesrl.bot.store.digests import DEFAULT_DIGEST_LEASE

log = logging.getLogger(__name__)

DIGEST_EVENT = "salesrl_digest"  # message metadata event type of a posted digest
RETRY_DELAY = timedelta(minutes=5)  # after a failed post, before this process tries that run again


def digest_tag(sub: DigestSubscription, period: Period) -> Tag:
    """The message metadata of the digest of `sub` for `period`."""
    return Tag(DIGEST_EVENT, {"subscription_id": sub.id, "period": period.key})


@dataclass(frozen=True)
class DigestOutcome:
    """What became of one subscription's digest for one period in a call of `run_due`: posted, failed or
    skipped. (The store's DigestRun is the database's claim on that period.)"""

    workspace_id: str
    subscription_id: int
    channel_id: str
    period_key: str
    message_ts: str | None = None  # posted
    error: str | None = None  # failed: what went wrong, in one line


@dataclass
class RunReport:
    posted: list[DigestOutcome] = field(default_factory=list)
    failed: list[DigestOutcome] = field(default_factory=list)
    skipped: list[DigestOutcome] = field(default_factory=list)  # missed by more than the grace window

    def summary(self) -> str:
        return (f"{len(self.posted)} digest{'s' if len(self.posted) != 1 else ''} posted, "
                f"{len(self.failed)} failed, {len(self.skipped)} skipped (missed by more than the grace window)")


class DigestRunner:
    """`run_due` with memory across ticks: runs it posted or saw posted are not asked about again,
    a failed run waits RETRY_DELAY, and each missed period is logged once."""

    def __init__(
        self,
        store: Store,
        slack: WebClient | ClientLookup,
        *,
        templates: Templates | None = None,
        grace: timedelta = DEFAULT_GRACE,
        lease: timedelta = DEFAULT_DIGEST_LEASE,
        at_risk_below: float = 0.35,
        with_chart: bool = True,
    ) -> None:
        self.store = store
        self.clients: ClientLookup = one_client(slack) if isinstance(slack, WebClient) else slack
        self.templates = templates or Templates()
        self.grace = grace
        self.lease = lease
        self.at_risk_below = at_risk_below
        self.with_chart = with_chart
        self._done: set[tuple[int, str]] = set()
        self._not_before: dict[tuple[int, str], datetime] = {}
        self._reported_missed: set[tuple[int, str]] = set()

    def run_due(self, now: datetime) -> RunReport:
        if now.tzinfo is None:
            raise ValueError("pass an aware datetime (UTC) as now")
        report = RunReport()
        for workspace in self.store.workspaces.list():
            for sub in self.store.digests.list_subscriptions(workspace.id):
                try:
                    for period in due_periods(sub, now, self.grace):
                        self._run_one(sub, period, now, report)
                    self._note_missed(sub, now, report)
                except Exception:
                    log.exception("digest subscription %s could not be run", sub.id)
        if report.posted or report.failed or report.skipped:
            log.info("digests: %s", report.summary())
        return report

    # ----------------------------------------------------------------------------------------------

    def _run_one(self, sub: DigestSubscription, period: Period, now: datetime, report: RunReport) -> None:
        key = (sub.id, period.key)
        if key in self._done or self._not_before.get(key, now) > now:
            return
        client = self.clients(sub.workspace_id)
        if client is None:
            self._fail(sub, period, now, report, "the app is not installed in this workspace any more")
            return
        try:
            claimed = self.store.digests.claim_run(sub.workspace_id, sub.id, period.key, lease=self.lease, now=now)
        except NotFound:  # unsubscribed since it was listed
            return
        if not claimed:
            run = self.store.digests.get_run(sub.workspace_id, sub.id, period.key)
            if run is not None and run.state == "posted":
                self._done.add(key)
            return  # posted, or another process is posting it now
        posting = False
        try:
            run = self.store.digests.get_run(sub.workspace_id, sub.id, period.key)
            # claimed before: by a process that died, or by a post whose answer was lost
            earlier = find_tagged(client, sub.channel_id, digest_tag(sub, period)) if run and run.claim_count > 1 \
                else None
            earlier_ts = str(earlier["ts"]) if earlier is not None else None
            if earlier_ts is not None:
                log.warning("digest %s/%s was posted by a process that died before recording it; recorded now",
                            sub.id, period.key)
                self.store.digests.mark_posted(sub.workspace_id, sub.id, period.key, earlier_ts)
                self._done.add(key)
                report.posted.append(DigestOutcome(sub.workspace_id, sub.id, sub.channel_id, period.key, earlier_ts))
                return
            content = channel_digest(self.store, client, sub.workspace_id, sub.channel_id, period,
                                     owner_id=sub.owner_id, at_risk_below=self.at_risk_below)
            message = render_digest(self.templates, content)
            posting = True
            sent = without_blind_retries(client).chat_postMessage(
                channel=sub.channel_id, unfurl_links=False, unfurl_media=False,
                metadata=digest_tag(sub, period).metadata(), **message.as_kwargs(),
            )
        except Exception as e:
            if posting and may_have_posted(e):
                # Slack may have posted it and lost the answer: the claim is kept, so once it expires
                # the run is claimed again and looks in the channel before posting.
                log.warning("digest %s/%s: the post's outcome is unknown; checking the channel after the lease",
                            sub.id, period.key)
            else:
                self._release(sub, period)
            self._fail(sub, period, now, report, _one_line(e))
            return
        ts = str(sent["ts"])
        try:
            self.store.digests.mark_posted(sub.workspace_id, sub.id, period.key, ts)
        except NotFound:
            log.info("digest subscription %s was removed while its digest was posted", sub.id)
        # Any other database error propagates: the claim then expires and the next claimer finds
        # this message by its metadata instead of posting again.
        self._done.add(key)
        self._not_before.pop(key, None)
        report.posted.append(DigestOutcome(sub.workspace_id, sub.id, sub.channel_id, period.key, ts))
        log.info("digest %s/%s posted in %s (%s)", sub.id, period.key, sub.channel_id, ts)
        if self.with_chart:
            self._upload_chart(client, content, Posted(str(sent["channel"]), ts, ts, False))

    def _upload_chart(self, client: WebClient, content: DigestContent, posted: Posted) -> None:
        try:
            png = render_digest_chart_png(content)
            title = f"{HEADINGS.get(content.period.cadence, 'Pipeline digest')}, {content.period.label}"
            # one attempt, and a look if its outcome is unknown: the runner's thread must not wait out an outage
            upload_chart("the digest chart", client, posted, png, "pipeline-digest.png", title, chart_alt_text(content),
                         delays=())
        except Exception as e:
            log.warning("the digest chart for %s was not uploaded (%s)", posted.channel_id, _one_line(e))

    def _release(self, sub: DigestSubscription, period: Period) -> None:
        try:
            self.store.digests.release_run(sub.workspace_id, sub.id, period.key)
        except Exception as e:  # the claim then expires after the lease instead
            log.warning("could not release the claim on digest %s/%s (%s)", sub.id, period.key, _one_line(e))

    def _fail(self, sub: DigestSubscription, period: Period, now: datetime, report: RunReport, error: str) -> None:
        self._not_before[(sub.id, period.key)] = now + RETRY_DELAY
        report.failed.append(DigestOutcome(sub.workspace_id, sub.id, sub.channel_id, period.key, error=error))
        log.warning("digest %s/%s for %s not posted (%s); retrying in %d minutes",
                    sub.id, period.key, sub.channel_id, error, RETRY_DELAY.seconds // 60)

    def _note_missed(self, sub: DigestSubscription, now: datetime, report: RunReport) -> None:
        period = missed_period(sub, now, self.grace)
        if period is None or (sub.id, period.key) in self._reported_missed:
            return
        self._reported_missed.add((sub.id, period.key))
        run = self.store.digests.get_run(sub.workspace_id, sub.id, period.key)
        if run is not None and run.state == "posted":
            return
        report.skipped.append(DigestOutcome(sub.workspace_id, sub.id, sub.channel_id, period.key))
        log.warning("digest %s/%s for %s skipped: its slot passed %s ago, more than the grace window of %s",
                    sub.id, period.key, sub.channel_id, _hours(now - period.end), _hours(self.grace))


def channel_digest(store: Store, client: WebClient, workspace_id: str, channel_id: str, period: Period, *,
                   owner_id: str | None, at_risk_below: float) -> DigestContent:
    """The digest of `channel_id` for `period`, as posted there: it names only deals every member of
    the channel may see (`salesrl digest preview --channel` shows the same)."""
    shown = digest_audience_filter(Membership(), client, workspace_id, channel_id, bot_user_id=bot_user_id(client))
    return build_digest(store, workspace_id, period, owner_id=owner_id, at_risk_below=at_risk_below, shown=shown)


def run_due(store: Store, slack: WebClient | ClientLookup, now: datetime, **options: object) -> RunReport:
    """Run the due digests once (a fresh runner: what `salesrl digest run-due` does)."""
    # options: DigestRunner's keyword arguments, passed through as they are
    return DigestRunner(store, slack, **options).run_due(now)  # type: ignore[arg-type]


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"


def _one_line(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return f"Slack answered {error.response.get('error')}"
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__
