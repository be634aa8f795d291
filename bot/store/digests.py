"""Digests: channels subscribed to a digest on a schedule, and the runs that post them.

A run is claimed for exactly one process per (subscription, period) with a unique constraint, posted,
then marked posted; a claim never marked posted (its process died) expires after a lease.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.errors import InvalidValue, NotFound
from salesrl.bot.store.tables import DIGEST_CADENCES, DIGEST_RUNS, DIGEST_SUBSCRIPTIONS, utcnow

log = logging.getLogger(__name__)

DEFAULT_DIGEST_LEASE = timedelta(minutes=15)
_UNSET: Any = object()


@dataclass(frozen=True)
class DigestSubscription:
    id: int
    workspace_id: str
    channel_id: str
    cadence: str  # "daily" or "weekly"
    weekday: int | None  # 0 = Monday; weekly digests only
    hour: int  # local hour of day, 0-23
    timezone: str  # IANA name
    owner_id: str | None  # only this rep's deals, when set
    created_by: str | None
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class DigestRun:
    id: int
    workspace_id: str
    subscription_id: int
    period_key: str
    state: str  # "claimed" or "posted"
    claimed_at: datetime
    claim_count: int
    posted_at: datetime | None
    message_ts: str | None


def subscription_record(row: Any) -> DigestSubscription:
    return DigestSubscription(
        id=row.id, workspace_id=row.workspace_id, channel_id=row.channel_id, cadence=row.cadence,
        weekday=row.weekday, hour=row.hour, timezone=row.timezone, owner_id=row.owner_id,
        created_by=row.created_by, active=bool(row.active), created_at=row.created_at,
    )


def subscription_values(*, cadence: str, weekday: int | None, hour: int, timezone: str) -> dict[str, Any]:
    if cadence not in DIGEST_CADENCES:
        raise InvalidValue(f"unknown digest cadence {cadence!r}; expected daily or weekly")
    if cadence == "weekly" and (weekday is None or not 0 <= weekday <= 6):
        raise InvalidValue("a weekly digest needs a weekday from 0 (Monday) to 6 (Sunday)")
    if not 0 <= hour <= 23:
        raise InvalidValue("the digest hour must be from 0 to 23")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(f"unknown time zone {timezone!r}; use a name like Europe/Paris") from None
    return {
        "cadence": cadence,
        "weekday": weekday if cadence == "weekly" else None,
        "hour": hour,
        "timezone": timezone,
    }


class Digests:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add_subscription(
        self,
        workspace_id: str,
        channel_id: str,
        *,
        cadence: str = "weekly",
        weekday: int | None = 0,
        hour: int = 9,
        timezone: str = "UTC",
        owner_id: str | None = None,
        created_by: str | None = None,
    ) -> DigestSubscription:
        check_workspace(workspace_id)
        if not channel_id:
            raise InvalidValue("a digest needs a channel to post in")
        values = subscription_values(cadence=cadence, weekday=weekday, hour=hour, timezone=timezone)
        now = utcnow()
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            sid = s.execute(
                sa.insert(DIGEST_SUBSCRIPTIONS).values(
                    workspace_id=workspace_id, channel_id=channel_id, owner_id=owner_id,
                    created_by=created_by, active=True, created_at=now, updated_at=now, **values,
                )
            ).inserted_primary_key[0]
        sub = self.get_subscription(workspace_id, int(sid))
        assert sub is not None
        return sub

    def get_subscription(self, workspace_id: str, subscription_id: int) -> DigestSubscription | None:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            row = s.execute(
                sa.select(DIGEST_SUBSCRIPTIONS).where(
                    DIGEST_SUBSCRIPTIONS.c.workspace_id == workspace_id, DIGEST_SUBSCRIPTIONS.c.id == subscription_id
                )
            ).one_or_none()
        return subscription_record(row) if row else None

    def list_subscriptions(self, workspace_id: str, *, active_only: bool = True) -> list[DigestSubscription]:
        check_workspace(workspace_id)
        stmt = sa.select(DIGEST_SUBSCRIPTIONS).where(DIGEST_SUBSCRIPTIONS.c.workspace_id == workspace_id)
        if active_only:
            stmt = stmt.where(DIGEST_SUBSCRIPTIONS.c.active.is_(True))
        with self._db.reading() as s:
            return [subscription_record(x) for x in s.execute(stmt.order_by(DIGEST_SUBSCRIPTIONS.c.id)).all()]

    def update_subscription(
        self,
        workspace_id: str,
        subscription_id: int,
        *,
        cadence: str = _UNSET,
        weekday: int | None = _UNSET,
        hour: int = _UNSET,
        timezone: str = _UNSET,
        owner_id: str | None = _UNSET,
        channel_id: str = _UNSET,
        active: bool = _UNSET,
    ) -> DigestSubscription:
        check_workspace(workspace_id)
        current = self.get_subscription(workspace_id, subscription_id)
        if current is None:
            raise NotFound(f"no digest subscription with id {subscription_id} in this workspace")
        values = subscription_values(
            cadence=current.cadence if cadence is _UNSET else cadence,
            weekday=current.weekday if weekday is _UNSET else weekday,
            hour=current.hour if hour is _UNSET else hour,
            timezone=current.timezone if timezone is _UNSET else timezone,
        )
        for key, value in (("owner_id", owner_id), ("channel_id", channel_id), ("active", active)):
            if value is not _UNSET:
                values[key] = value
        values["updated_at"] = utcnow()
        with self._db.writing() as s:
            s.execute(
                sa.update(DIGEST_SUBSCRIPTIONS)
                .where(DIGEST_SUBSCRIPTIONS.c.workspace_id == workspace_id, DIGEST_SUBSCRIPTIONS.c.id == subscription_id)
                .values(**values)
            )
        updated = self.get_subscription(workspace_id, subscription_id)
        if updated is None:
            raise NotFound(f"no digest subscription with id {subscription_id} in this workspace")
        return updated

    def delete_subscription(self, workspace_id: str, subscription_id: int) -> bool:
        check_workspace(workspace_id)
        with self._db.writing() as s:
            return (
                s.execute(
                    sa.delete(DIGEST_SUBSCRIPTIONS).where(
                        DIGEST_SUBSCRIPTIONS.c.workspace_id == workspace_id, DIGEST_SUBSCRIPTIONS.c.id == subscription_id
                    )
                ).rowcount
                > 0
            )

    def claim_run(
        self,
        workspace_id: str,
        subscription_id: int,
        period_key: str,
        *,
        lease: timedelta = DEFAULT_DIGEST_LEASE,
        now: datetime | None = None,
    ) -> bool:
        """True for exactly one caller per (subscription, period), across processes: that caller
        builds and posts the digest, then calls `mark_digest_posted`. A claim that was never
        marked posted (the process died) can be claimed again once `lease` has passed; a posted
        run is never claimed again. `lease` must comfortably exceed the time a post takes."""
        check_workspace(workspace_id)
        if not period_key:
            raise InvalidValue("a digest run needs a period key")
        now = now or utcnow()
        with self._db.writing() as s:
            owner = s.execute(
                sa.select(DIGEST_SUBSCRIPTIONS.c.id).where(
                    DIGEST_SUBSCRIPTIONS.c.workspace_id == workspace_id, DIGEST_SUBSCRIPTIONS.c.id == subscription_id
                )
            ).scalar_one_or_none()
            if owner is None:
                raise NotFound(f"no digest subscription with id {subscription_id} in this workspace")
            inserted = s.execute(
                self._db.insert(DIGEST_RUNS)
                .values(
                    workspace_id=workspace_id, subscription_id=subscription_id, period_key=period_key,
                    state="claimed", claimed_at=now, claim_count=1,
                )
                .on_conflict_do_nothing(index_elements=["subscription_id", "period_key"])
                .execution_options(preserve_rowcount=True)
            ).rowcount
            if inserted == 1:
                return True
            # Taken before: take it over only if it is an expired, unposted claim. One UPDATE
            # with the condition in its WHERE clause, so two processes cannot both win.
            retaken = s.execute(
                sa.update(DIGEST_RUNS)
                .where(
                    DIGEST_RUNS.c.subscription_id == subscription_id,
                    DIGEST_RUNS.c.period_key == period_key,
                    DIGEST_RUNS.c.state == "claimed",
                    DIGEST_RUNS.c.claimed_at <= now - lease,
                )
                .values(claimed_at=now, claim_count=DIGEST_RUNS.c.claim_count + 1)
            ).rowcount
        if retaken:
            log.warning(
                "digest run %s/%s reclaimed after an expired claim (a process died before posting)",
                subscription_id, period_key,
            )
        return retaken == 1

    def mark_posted(
        self,
        workspace_id: str,
        subscription_id: int,
        period_key: str,
        message_ts: str | None = None,
        *,
        now: datetime | None = None,
    ) -> None:
        check_workspace(workspace_id)
        with self._db.writing() as s:
            done = s.execute(
                sa.update(DIGEST_RUNS)
                .where(
                    DIGEST_RUNS.c.workspace_id == workspace_id,
                    DIGEST_RUNS.c.subscription_id == subscription_id,
                    DIGEST_RUNS.c.period_key == period_key,
                )
                .values(state="posted", posted_at=now or utcnow(), message_ts=message_ts)
            ).rowcount
        if not done:
            raise NotFound(f"no digest run {period_key} claimed for subscription {subscription_id}")

    def release_run(self, workspace_id: str, subscription_id: int, period_key: str) -> bool:
        """Give up a claim that could not be posted (e.g. Slack refused it), so it can be retried
        at once. A posted run is kept."""
        check_workspace(workspace_id)
        with self._db.writing() as s:
            return (
                s.execute(
                    sa.delete(DIGEST_RUNS).where(
                        DIGEST_RUNS.c.workspace_id == workspace_id,
                        DIGEST_RUNS.c.subscription_id == subscription_id,
                        DIGEST_RUNS.c.period_key == period_key,
                        DIGEST_RUNS.c.state == "claimed",
                    )
                ).rowcount
                > 0
            )

    def get_run(self, workspace_id: str, subscription_id: int, period_key: str) -> DigestRun | None:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            row = s.execute(
                sa.select(DIGEST_RUNS).where(
                    DIGEST_RUNS.c.workspace_id == workspace_id,
                    DIGEST_RUNS.c.subscription_id == subscription_id,
                    DIGEST_RUNS.c.period_key == period_key,
                )
            ).one_or_none()
        if row is None:
            return None
        return DigestRun(
            id=row.id, workspace_id=row.workspace_id, subscription_id=row.subscription_id,
            period_key=row.period_key, state=row.state, claimed_at=row.claimed_at,
            claim_count=row.claim_count, posted_at=row.posted_at, message_ts=row.message_ts,
        )
