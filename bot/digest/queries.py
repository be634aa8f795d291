"""The read queries behind a digest, beside the digest code that uses them.

Each reads only the workspace it is given. None touches turn scores: deals carry their latest
probability and calls their first and final ones, so a digest over a million turn scores reads
deals and one week of calls through the indexes ix_calls_workspace_created,
ix_calls_deal_created, ix_deals_workspace_status_updated and ix_flags_workspace_open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

import sqlalchemy as sa

from salesrl.bot.store import Store
from salesrl.bot.store.database import check_workspace
from salesrl.bot.store.deals import deal_filters
from salesrl.bot.store.tables import CALLS, DEALS


@dataclass(frozen=True)
class ScoredCallRow:
    """A call in a digest: when, which deal, who, how it ended."""

    call_id: int
    deal_id: int | None
    deal_name: str | None
    user_id: str | None
    source: str
    final_probability: float
    status: str
    created_at: datetime


@dataclass(frozen=True)
class DealMove:
    """How a deal's probability moved over a period: from where it stood before (the last call before
    the period, or the call before the period's last one) to the period's last call."""

    deal_id: int
    deal_name: str
    owner_id: str | None
    before: float
    after: float
    calls_in_period: int

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class RepActivity:
    user_id: str | None
    display_name: str | None
    calls: int
    average_final_probability: float


def calls_between(
    store: Store,
    workspace_id: str,
    since: datetime,
    until: datetime | None = None,
    *,
    owner_id: str | None = None,
    channel_ids: Sequence[str] | None = None,
) -> list[ScoredCallRow]:
    """Calls scored in [since, until), newest first, with their deal's name."""
    check_workspace(workspace_id)
    stmt = _calls_between(workspace_id, since, until, owner_id=owner_id, channel_ids=channel_ids)
    with store.database.reading() as s:
        rows = s.execute(stmt).all()
    return [ScoredCallRow(*x) for x in rows]  # columns in the record's field order


def deal_movers(
    store: Store,
    workspace_id: str,
    since: datetime,
    until: datetime | None = None,
    *,
    owner_id: str | None = None,
    channel_ids: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[DealMove]:
    """Deals with calls in [`since`, `until`) and how far their probability moved: from where the deal
    stood before (the last call before the period, or the call before the period's last one) to the
    period's last call. Largest moves first."""
    check_workspace(workspace_id)
    stmt = _deal_movers(workspace_id, since, until, owner_id=owner_id, channel_ids=channel_ids, limit=limit)
    with store.database.reading() as s:
        rows = s.execute(stmt).all()
    return [DealMove(*x) for x in rows]  # columns in the record's field order


def calls_per_rep(
    store: Store,
    workspace_id: str,
    since: datetime,
    until: datetime | None = None,
    *,
    owner_id: str | None = None,
    channel_ids: Sequence[str] | None = None,
) -> list[RepActivity]:
    """How many calls each rep had scored in the period (the rep who submitted the call,
    else the deal's owner), most calls first."""
    check_workspace(workspace_id)
    stmt = _calls_per_rep(workspace_id, since, until, owner_id=owner_id, channel_ids=channel_ids)
    with store.database.reading() as s:
        rows = s.execute(stmt).all()
    names = store.workspaces.user_names(workspace_id, [x.rep for x in rows if x.rep])
    out = [
        RepActivity(
            user_id=x.rep, display_name=names.get(x.rep) if x.rep else None, calls=int(x.n),
            average_final_probability=float(x.avg_p),
        )
        for x in rows
    ]
    return sorted(out, key=lambda a: (-a.calls, a.user_id or ""))


def _calls_between(
    workspace_id: str,
    since: datetime,
    until: datetime | None = None,
    *,
    owner_id: str | None = None,
    channel_ids: Sequence[str] | None = None,
) -> sa.Select:
    """Calls scored in [since, until), newest first, with their deal's name (columns in the
    order of ScoredCallRow)."""
    stmt = (
        sa.select(
            CALLS.c.id, CALLS.c.deal_id, DEALS.c.name.label("deal_name"), CALLS.c.user_id,
            CALLS.c.source, CALLS.c.final_probability, CALLS.c.status, CALLS.c.created_at,
        )
        .select_from(CALLS)
        .outerjoin(DEALS, DEALS.c.id == CALLS.c.deal_id)
        .where(CALLS.c.workspace_id == workspace_id, CALLS.c.created_at >= since)
    )
    if until is not None:
        stmt = stmt.where(CALLS.c.created_at < until)
    if owner_id is not None:
        stmt = stmt.where(DEALS.c.owner_id == owner_id)
    if channel_ids is not None:
        ids = list(channel_ids)
        stmt = stmt.where(sa.or_(CALLS.c.channel_id.in_(ids), DEALS.c.channel_id.in_(ids)))
    return stmt.order_by(CALLS.c.created_at.desc(), CALLS.c.id.desc())


def _deal_movers(
    workspace_id: str,
    since: datetime,
    until: datetime | None = None,
    *,
    owner_id: str | None = None,
    channel_ids: Sequence[str] | None = None,
    limit: int | None = None,
) -> sa.Select:
    """Deals with calls in [`since`, `until`): the probability before the period (the last earlier
    call's final probability, else that of the call before the period's last one) and at its end (the
    final probability of the period's last call), largest move first (columns in the order of
    DealMove). A deal whose only call is in the period has nothing to move from: its first turn is
    the model's opening guess, not where the deal stood."""
    in_period = [CALLS.c.workspace_id == workspace_id, CALLS.c.created_at >= since, CALLS.c.deal_id.is_not(None)]
    if until is not None:
        in_period.append(CALLS.c.created_at < until)
    period = (
        sa.select(CALLS.c.deal_id, sa.func.count().label("n"))
        .where(*in_period)
        .group_by(CALLS.c.deal_id)
        .cte("period")
    )
    ranked_before = (
        sa.select(
            CALLS.c.deal_id,
            CALLS.c.final_probability.label("p"),
            sa.func.row_number()
            .over(partition_by=CALLS.c.deal_id, order_by=(CALLS.c.created_at.desc(), CALLS.c.id.desc()))
            .label("rn"),
        )
        .join(period, period.c.deal_id == CALLS.c.deal_id)
        .where(CALLS.c.created_at < since)
        .cte("ranked_before")
    )
    ranked_in = (  # the period's calls, latest first: rn 1 is where the deal ends, rn 2 the call before it
        sa.select(
            CALLS.c.deal_id,
            CALLS.c.final_probability.label("p"),
            sa.func.row_number()
            .over(partition_by=CALLS.c.deal_id, order_by=(CALLS.c.created_at.desc(), CALLS.c.id.desc()))
            .label("rn"),
        )
        .join(period, period.c.deal_id == CALLS.c.deal_id)
        .where(*in_period)
        .cte("ranked_in")
    )
    last, previous = ranked_in.alias("last_in"), ranked_in.alias("previous_in")
    before = sa.func.coalesce(ranked_before.c.p, previous.c.p)
    stmt = (
        sa.select(DEALS.c.id, DEALS.c.name, DEALS.c.owner_id, before.label("before"), last.c.p.label("after"),
                  period.c.n)
        .select_from(period)
        .join(DEALS, DEALS.c.id == period.c.deal_id)
        .join(last, sa.and_(last.c.deal_id == period.c.deal_id, last.c.rn == 1))
        .outerjoin(previous, sa.and_(previous.c.deal_id == period.c.deal_id, previous.c.rn == 2))
        .outerjoin(ranked_before, sa.and_(ranked_before.c.deal_id == period.c.deal_id, ranked_before.c.rn == 1))
        .where(DEALS.c.workspace_id == workspace_id, before.is_not(None))
    )
    stmt = deal_filters(stmt, owner_id, channel_ids)
    stmt = stmt.order_by(sa.func.abs(last.c.p - before).desc(), DEALS.c.id)
    return stmt if limit is None else stmt.limit(limit)


def _calls_per_rep(
    workspace_id: str,
    since: datetime,
    until: datetime | None = None,
    *,
    owner_id: str | None = None,
    channel_ids: Sequence[str] | None = None,
) -> sa.Select:
    """Calls and average final probability per rep (who submitted the call, else the deal owner)."""
    rep = sa.func.coalesce(CALLS.c.user_id, DEALS.c.owner_id).label("rep")
    stmt = (
        sa.select(rep, sa.func.count().label("n"), sa.func.avg(CALLS.c.final_probability).label("avg_p"))
        .select_from(CALLS)
        .outerjoin(DEALS, DEALS.c.id == CALLS.c.deal_id)
        .where(CALLS.c.workspace_id == workspace_id, CALLS.c.created_at >= since)
        .group_by(rep)
    )
    if until is not None:
        stmt = stmt.where(CALLS.c.created_at < until)
    return deal_filters(stmt, owner_id, channel_ids)
