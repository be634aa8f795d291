"""When a subscription's digests are due, and which stretch of time each one covers.

A subscription posts at a *slot*: its hour, in its time zone, every day (daily) or on its weekday
(weekly). The digest posted at a slot covers the time since the previous slot, [previous, slot),
computed on local dates so a day across a daylight-saving change is 23 or 25 hours long.

Each slot has a *period key*, the label under which the database claims it exactly once:
the slot's local ISO week for weekly digests ("2026-W49"), its local date for daily ones
("2026-11-26"). A slot is *due* from its time until the grace window has passed; a slot older than
that was *missed* (the bot was down) and is skipped. Slots before the subscription was created
are neither: a new subscription starts with the next slot.

Everything here is pure: the current time is always an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

from salesrl.bot.store import DigestSubscription

UTC = timezone.utc
DEFAULT_GRACE = timedelta(hours=6)
PREVIEW_KEY = "preview"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Period:
    """The stretch of time one digest covers; `end` is the slot it is posted at."""

    key: str  # "2026-W49", "2026-11-26", or "preview"
    cadence: str  # "weekly" or "daily"
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    timezone: str  # IANA name the period is described in

    @property
    def label(self) -> str:
        """The covered dates in the subscription's time zone: "23–30 Nov 2026" for a week, the
        date the period ends on for a day ("Thu 26 Nov 2026": the 24 hours up to that morning)."""
        tz = ZoneInfo(self.timezone)
        first = self.start.astimezone(tz)
        last = (self.end - timedelta(microseconds=1)).astimezone(tz)
        if self.cadence == "daily" or first.date() == last.date():
            return f"{last:%a} {last.day} {last:%b %Y}"
        if (first.year, first.month) == (last.year, last.month):
            return f"{first.day}–{last.day} {last:%b %Y}"
        if first.year == last.year:
            return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def _slot_on(day: date, sub: DigestSubscription) -> datetime:
    """The subscription's slot on a local date, in UTC. A local hour that a daylight-saving change
    skips is read with the offset before the change (02:00 becomes 03:00); one that happens twice
    is its first occurrence."""
    local = datetime.combine(day, time(sub.hour), tzinfo=ZoneInfo(sub.timezone))
    return local.astimezone(UTC)


def _step(sub: DigestSubscription) -> timedelta:
    return timedelta(days=7 if sub.cadence == "weekly" else 1)


def _period_at(sub: DigestSubscription, day: date) -> Period:
    """The period whose slot falls on local date `day`."""
    if sub.cadence == "weekly":
        year, week, _ = day.isocalendar()
        key = f"{year}-W{week:02d}"
    else:
        key = day.isoformat()
    return Period(key=key, cadence=sub.cadence, start=_slot_on(day - _step(sub), sub),
                  end=_slot_on(day, sub), timezone=sub.timezone)


def _slot_days_back(sub: DigestSubscription, now: datetime) -> Iterator[date]:
    """Local dates of the subscription's slots going back in time, from the latest slot at or
    before `now` (callers stop at the grace window or the subscription's creation)."""
    day = now.astimezone(ZoneInfo(sub.timezone)).date()
    if sub.cadence == "weekly":
        assert sub.weekday is not None, "a weekly subscription has a weekday"
        day -= timedelta(days=(day.weekday() - sub.weekday) % 7)
    if _slot_on(day, sub) > now:
        day -= _step(sub)
    while True:
        yield day
        day -= _step(sub)


def _check(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime (UTC) as now")


def due_periods(sub: DigestSubscription, now: datetime, grace: timedelta = DEFAULT_GRACE) -> list[Period]:
    """Periods whose slot has passed, by no more than `grace`, and was not before the subscription
    existed; oldest first. Usually none or one; more only with a grace window over a day."""
    _check(now)
    if not sub.active:
        return []
    due = []
    for day in _slot_days_back(sub, now):
        slot = _slot_on(day, sub)
        if now - slot > grace or slot < sub.created_at:
            break
        due.append(_period_at(sub, day))
    return due[::-1]


def missed_period(sub: DigestSubscription, now: datetime, grace: timedelta = DEFAULT_GRACE) -> Period | None:
    """The latest period whose slot is more than `grace` ago (and after the subscription was
    created): a digest that should have gone out while nothing was running. Whether it did is
    for the database to say."""
    _check(now)
    if not sub.active:
        return None
    for day in _slot_days_back(sub, now):
        slot = _slot_on(day, sub)
        if slot < sub.created_at:
            return None
        if now - slot > grace:
            return _period_at(sub, day)
    return None


def next_slot(sub: DigestSubscription, now: datetime) -> datetime:
    """The first slot after `now` (and not before the subscription was created), in UTC."""
    _check(now)
    day = next(_slot_days_back(sub, now)) + _step(sub)
    while _slot_on(day, sub) < max(now, sub.created_at):
        day += _step(sub)
    return _slot_on(day, sub)


def preview_period(cadence: str, tz: str, now: datetime) -> Period:
    """What a digest would cover if it went out now: the last 7 days (weekly) or 24 hours (daily)."""
    _check(now)
    length = timedelta(days=7 if cadence == "weekly" else 1)
    return Period(key=PREVIEW_KEY, cadence=cadence, start=now - length, end=now, timezone=tz)


def describe_schedule(sub: DigestSubscription) -> str:
    """"weekly on Mondays at 09:00 (Europe/Paris)" / "daily at 08:00 (UTC)"."""
    at = f"at {sub.hour:02d}:00 ({sub.timezone})"
    if sub.cadence == "weekly" and sub.weekday is not None:
        return f"weekly on {WEEKDAYS[sub.weekday]}s {at}"
    return f"daily {at}"


def describe_slot(slot: datetime, tz: str) -> str:
    """A slot in its time zone: "Mon 30 Nov 09:00"."""
    local = slot.astimezone(ZoneInfo(tz))
    return f"{local:%a} {local.day} {local:%b %H:%M}"
