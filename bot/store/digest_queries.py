"""The SELECT statements behind a digest, built once here and executed by `Store`.

Each reads only the workspace it is given. None touches turn scores: deals carry their latest
probability and calls their first and final ones, so a digest over a million turn scores reads
deals and one week of calls through the indexes ix_calls_workspace_created,
ix_calls_deal_created, ix_deals_workspace_status_updated and ix_flags_workspace_open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

import sqlalchemy as sa

from salesrl.bot.store.models import CallRow, DealRow
from salesrl.bot.store.rows import deal_filters, select_deals

CALLS = CallRow.__table__
DEALS = DealRow.__table__


def calls_between(
    workspace_id: str,
    since: datetime,
    until: datetime | None = None,
    *,
    owner_id: str | None = None,
    channel_ids: Sequence[str] | None = None,
) -> sa.Select:
    """Calls scored in [since, until), newest first, with their deal's name (columns in the
    order of records.ScoredCallRow)."""
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


def deal_movers(
    workspace_id: str,
    since: datetime,
    *,
    owner_id: str | None = None,
    channel_ids: Sequence[str] | None = None,
    limit: int | None = None,
) -> sa.Select:
    """Deals with calls since `since`: probability before the period (the last earlier call's
    final probability, else the first turn of the period's first call) and now (the deal's
    latest), largest move first (columns in the order of records.DealMove)."""
    period = (
        sa.select(CALLS.c.deal_id, sa.func.count().label("n"))
        .where(
            CALLS.c.workspace_id == workspace_id,
            CALLS.c.created_at >= since,
            CALLS.c.deal_id.is_not(None),
        )
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
    ranked_first = (
        sa.select(
            CALLS.c.deal_id,
            CALLS.c.first_probability.label("p"),
            sa.func.row_number()
            .over(partition_by=CALLS.c.deal_id, order_by=(CALLS.c.created_at, CALLS.c.id))
            .label("rn"),
        )
        .join(period, period.c.deal_id == CALLS.c.deal_id)
        .where(CALLS.c.created_at >= since)
        .cte("ranked_first")
    )
    before = sa.func.coalesce(ranked_before.c.p, ranked_first.c.p)
    stmt = (
        sa.select(
            DEALS.c.id, DEALS.c.name, DEALS.c.owner_id, before.label("before"),
            DEALS.c.latest_probability.label("after"), period.c.n,
        )
        .select_from(period)
        .join(DEALS, DEALS.c.id == period.c.deal_id)
        .outerjoin(ranked_before, sa.and_(ranked_before.c.deal_id == period.c.deal_id, ranked_before.c.rn == 1))
        .outerjoin(ranked_first, sa.and_(ranked_first.c.deal_id == period.c.deal_id, ranked_first.c.rn == 1))
        .where(DEALS.c.workspace_id == workspace_id)
    )
    stmt = deal_filters(stmt, owner_id, channel_ids)
    stmt = stmt.order_by(sa.func.abs(DEALS.c.latest_probability - before).desc(), DEALS.c.id)
    return stmt if limit is None else stmt.limit(limit)


def stale_deals(
    workspace_id: str,
    cutoff: datetime,
    *,
    owner_id: str | None = None,
    channel_ids: Sequence[str] | None = None,
) -> sa.Select:
    """Open deals not updated since `cutoff`, longest idle first (rows for rows.deal_record)."""
    stmt = select_deals().where(
        DEALS.c.workspace_id == workspace_id, DEALS.c.status == "open", DEALS.c.updated_at < cutoff
    )
    return deal_filters(stmt, owner_id, channel_ids).order_by(DEALS.c.updated_at, DEALS.c.id)


def calls_per_rep(
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


def closed_deal_forecasts(workspace_id: str, since: datetime) -> sa.Select:
    """Deals closed since `since` with the agent's latest probability."""
    return (
        sa.select(DEALS.c.id, DEALS.c.name, DEALS.c.status, DEALS.c.latest_probability, DEALS.c.closed_at)
        .where(
            DEALS.c.workspace_id == workspace_id,
            DEALS.c.status.in_(("won", "lost")),
            DEALS.c.closed_at >= since,
        )
        .order_by(DEALS.c.closed_at, DEALS.c.id)
    )
