"""Deals: a workspace's named opportunities, with the latest probability and trend of their calls.

A deal row keeps the final probability of its latest call and its change (`trend`), moved in the
transaction that saves a call (bot.store.calls), so that deal lists and digests never scan turn scores.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from salesrl.agent.transcript import clean_text
from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.errors import InvalidValue, NotFound
from salesrl.bot.store.tables import CALLS, DEALS, FLAGS, OUTCOME_SOURCES, utcnow

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 200
_UNSET: Any = object()


@dataclass(frozen=True)
class Deal:
    id: int
    workspace_id: str
    name: str
    owner_id: str | None
    channel_id: str | None
    stage: str | None
    amount: Decimal | None
    status: str  # "open", "won" or "lost"
    closed_at: datetime | None
    call_count: int
    latest_probability: float | None  # final probability of the latest call
    trend: float | None  # change from the call before, or within the only call
    last_call_at: datetime | None
    created_at: datetime
    updated_at: datetime
    close_date: date | None = None  # expected close date, as the team set it (or its CRM says)
    currency: str | None = None  # ISO 4217 code of the amount, when a CRM says
    outcome_source: str | None = None  # who recorded the outcome: "manual", "hubspot" or "salesforce"

    @property
    def is_closed(self) -> bool:
        return self.status != "open"


@dataclass(frozen=True)
class RecordedOutcome:
    deal: Deal  # as the outcome left it
    cleared_flags: tuple[int, ...]  # the open flags its closing cleared, in the same transaction (write_outcome)


# The columns of a deal in the order of Deal's fields, so that a row converts positionally
# (a digest can list thousands of deals; attribute access per field is the slow part).
DEAL_COLUMNS = tuple(DEALS.c[f.name] for f in fields(Deal))


def select_deals() -> sa.Select:
    """SELECT of the deal columns that deal_record expects."""
    return sa.select(*DEAL_COLUMNS)


def deal_record(row: Any) -> Deal:
    """A row of select_deals() as a record."""
    return Deal(*row)


def deal_filters(stmt: sa.Select, owner_id: str | None, channel_ids: Sequence[str] | None) -> sa.Select:
    if owner_id is not None:
        stmt = stmt.where(DEALS.c.owner_id == owner_id)
    if channel_ids is not None:
        stmt = stmt.where(DEALS.c.channel_id.in_(list(channel_ids)))
    return stmt


def normalise_deal_name(name: str) -> tuple[str, str]:
    """(display name, lookup key): invisible characters (bidi controls included) removed, whitespace
    collapsed; the key is also casefolded."""
    clean = clean_text(str(name))
    if not clean:
        raise InvalidValue("a deal needs a name")
    if len(clean) > MAX_NAME_LENGTH:
        raise InvalidValue(f"deal names are at most {MAX_NAME_LENGTH} characters")
    return clean, clean.casefold()


def no_deal(name: str) -> NotFound:
    return NotFound(f"no deal named {' '.join(str(name).split())!r}; `salesrl deals` lists them")


def checked_amount(value: Decimal | float | int | str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except Exception:
        raise InvalidValue(f"amount {value!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidValue("an amount must be a positive number")
    return amount


def write_outcome(s: Session, workspace_id: str, deal_id: int, status: str, *, closed_at: datetime | None,
                  source: str, cleared_by: str | None, fields: dict[str, Any] | None = None) -> list[int]:
    """The one way a deal's outcome changes, whoever records it (`/salesrl outcome`, `salesrl deals outcome`,
    a CRM's sync): its status, when it closed and who said so; closing it also clears its open flags in the
    same transaction, since a closed deal is at risk of nothing (what the flags' threads are told is the
    caller's: bot.flags.flagging.announce_cleared). `fields`: other columns of the deal set in the same write
    (a CRM's amount or stage, changed with its outcome). Returns the ids of the flags it cleared."""
    now = utcnow()
    closed = status != "open"
    s.execute(sa.update(DEALS).where(DEALS.c.workspace_id == workspace_id, DEALS.c.id == deal_id).values(
        **(fields or {}), status=status, closed_at=(closed_at or now) if closed else None,
        outcome_source=source if closed else None, updated_at=now))
    if not closed:
        return []
    open_flags = (FLAGS.c.workspace_id == workspace_id, FLAGS.c.deal_id == deal_id, FLAGS.c.cleared_at.is_(None))
    cleared = list(s.execute(sa.select(FLAGS.c.id).where(*open_flags).order_by(FLAGS.c.id).with_for_update()).scalars())
    if cleared:
        s.execute(sa.update(FLAGS).where(FLAGS.c.id.in_(cleared), FLAGS.c.cleared_at.is_(None))
                  .values(cleared_at=now, cleared_by=cleared_by))
    return cleared


class Deals:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get_or_create(
        self,
        workspace_id: str,
        name: str,
        owner_id: str | None = None,
        channel_id: str | None = None,
    ) -> Deal:
        """The deal of that name (case and spacing ignored), created open if new. An owner or
        channel given here fills in one the deal does not have yet; it never replaces one."""
        check_workspace(workspace_id)
        display, key = normalise_deal_name(name)
        now = utcnow()
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            s.execute(
                self._db.insert(DEALS)
                .values(
                    workspace_id=workspace_id, name=display, name_key=key, owner_id=owner_id,
                    channel_id=channel_id, status="open", call_count=0, created_at=now, updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["workspace_id", "name_key"])
            )
            where = (DEALS.c.workspace_id == workspace_id, DEALS.c.name_key == key)
            if owner_id is not None or channel_id is not None:
                s.execute(
                    sa.update(DEALS)
                    .where(*where)
                    .values(
                        owner_id=sa.func.coalesce(DEALS.c.owner_id, owner_id),
                        channel_id=sa.func.coalesce(DEALS.c.channel_id, channel_id),
                    )
                )
            row = s.execute(select_deals().where(*where)).one()
        return deal_record(row)

    def get(self, workspace_id: str, name: str) -> Deal | None:
        check_workspace(workspace_id)
        _, key = normalise_deal_name(name)
        with self._db.reading() as s:
            row = s.execute(
                select_deals().where(DEALS.c.workspace_id == workspace_id, DEALS.c.name_key == key)
            ).one_or_none()
        return deal_record(row) if row else None

    def get_by_id(self, workspace_id: str, deal_id: int) -> Deal | None:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            row = s.execute(
                select_deals().where(DEALS.c.workspace_id == workspace_id, DEALS.c.id == deal_id)
            ).one_or_none()
        return deal_record(row) if row else None

    def list(
        self,
        workspace_id: str,
        owner_id: str | None = None,
        channel_ids: Sequence[str] | None = None,
        status: str | None = None,
    ) -> list[Deal]:
        """Deals with their latest probability and trend, most recently active first."""
        check_workspace(workspace_id)
        stmt = deal_filters(select_deals().where(DEALS.c.workspace_id == workspace_id), owner_id, channel_ids)
        if status is not None:
            stmt = stmt.where(DEALS.c.status == status)
        stmt = stmt.order_by(DEALS.c.updated_at.desc(), DEALS.c.id.desc())
        with self._db.reading() as s:
            return [deal_record(x) for x in s.execute(stmt).all()]

    def update(
        self,
        workspace_id: str,
        name: str,
        *,
        owner_id: str | None = _UNSET,
        channel_id: str | None = _UNSET,
        stage: str | None = _UNSET,
        amount: Decimal | float | None = _UNSET,
        close_date: date | None = _UNSET,
    ) -> Deal:
        """Set the given fields (None clears one); raises NotFound for an unknown deal."""
        check_workspace(workspace_id)
        normalise_deal_name(name)  # a bad name is refused before a bad amount
        values: dict[str, Any] = {
            k: v
            for k, v in {"owner_id": owner_id, "channel_id": channel_id, "stage": stage,
                         "close_date": close_date}.items()
            if v is not _UNSET
        }
        if amount is not _UNSET:
            values["amount"] = None if amount is None else checked_amount(amount)
        values["updated_at"] = utcnow()
        return self._update_row(workspace_id, name, values)

    def _update_row(self, workspace_id: str, name: str, values: dict[str, Any]) -> Deal:
        _, key = normalise_deal_name(name)
        where = (DEALS.c.workspace_id == workspace_id, DEALS.c.name_key == key)
        with self._db.writing() as s:
            # (no UPDATE ... RETURNING: SQLite before 3.35 lacks it)
            s.execute(sa.update(DEALS).where(*where).values(**values))
            row = s.execute(select_deals().where(*where)).one_or_none()
        if row is None:
            raise no_deal(name)
        return deal_record(row)

    def record_outcome(
        self, workspace_id: str, deal_name: str, won: bool | None, closed_at: datetime | None = None,
        source: str = "manual", cleared_by: str | None = None,
    ) -> RecordedOutcome:
        """Close a deal as won or lost (recording it again corrects it); won=None reopens it. `source`
        says who recorded it: "manual" (someone typed it) or the CRM it came from (bot.crm.sync). Closing
        clears the deal's open flags (write_outcome), as `cleared_by` (a Slack user id, or None): the result
        names exactly those, so their threads can be told why (a flag raised or cleared meanwhile by another
        process is not among them)."""
        check_workspace(workspace_id)
        if source not in OUTCOME_SOURCES:
            raise InvalidValue(f"an outcome comes from one of {', '.join(OUTCOME_SOURCES)}")
        status = "open" if won is None else "won" if won else "lost"
        _, key = normalise_deal_name(deal_name)
        with self._db.writing() as s:
            deal_id = s.execute(sa.select(DEALS.c.id).where(DEALS.c.workspace_id == workspace_id,
                                                             DEALS.c.name_key == key)).scalar_one_or_none()
            if deal_id is None:
                raise no_deal(deal_name)
            cleared = write_outcome(s, workspace_id, deal_id, status, closed_at=closed_at, source=source,
                                    cleared_by=cleared_by)
            deal = deal_record(s.execute(select_deals().where(DEALS.c.id == deal_id)).one())
        log.info("deal %s is now %s (%s)", deal.id, deal.status, source)
        return RecordedOutcome(deal, tuple(cleared))

    def forget(self, workspace_id: str, name: str) -> int:
        """Delete a deal and everything about it: calls, turns, scores, tips, flags, questions,
        answers. Returns the number of calls deleted; raises NotFound for an unknown deal."""
        check_workspace(workspace_id)
        _, key = normalise_deal_name(name)
        with self._db.writing() as s:
            deal_id = s.execute(
                sa.select(DEALS.c.id)
                .where(DEALS.c.workspace_id == workspace_id, DEALS.c.name_key == key)
                .with_for_update()
            ).scalar_one_or_none()
            if deal_id is None:
                raise no_deal(name)
            calls = s.execute(
                sa.select(sa.func.count()).select_from(CALLS).where(CALLS.c.deal_id == deal_id)
            ).scalar_one()
            # Foreign keys cascade to calls, turn scores, tips, flags, questions and answers.
            s.execute(sa.delete(DEALS).where(DEALS.c.id == deal_id))
        log.info("deal %s forgotten with %d calls", deal_id, calls)
        return int(calls)
