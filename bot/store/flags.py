"""Flags: a call or deal someone (or the agent) flagged for attention, until cleared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

import sqlalchemy as sa

from salesrl.agent.transcript import without_invisible
from salesrl.bot.store.calls import check_targets
from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.deals import deal_filters
from salesrl.bot.store.errors import InvalidValue, NotFound
from salesrl.bot.store.tables import DEALS, FLAGS, utcnow



@dataclass(frozen=True)
class Flag:
    id: int
    workspace_id: str
    deal_id: int | None
    deal_name: str | None
    call_id: int | None
    turn_index: int | None
    reason: str
    flagged_by: str | None
    channel_id: str | None
    thread_ts: str | None
    created_at: datetime
    cleared_at: datetime | None
    cleared_by: str | None


def flag_record(row: Any) -> Flag:
    return Flag(
        id=row.id, workspace_id=row.workspace_id, deal_id=row.deal_id, deal_name=row.deal_name,
        call_id=row.call_id, turn_index=row.turn_index, reason=row.reason, flagged_by=row.flagged_by,
        channel_id=row.channel_id, thread_ts=row.thread_ts, created_at=row.created_at,
        cleared_at=row.cleared_at, cleared_by=row.cleared_by,
    )


class Flags:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        workspace_id: str,
        *,
        reason: str,
        deal_id: int | None = None,
        call_id: int | None = None,
        turn_index: int | None = None,
        flagged_by: str | None = None,
        channel_id: str | None = None,
        thread_ts: str | None = None,
    ) -> Flag:
        """Flag a call (and so its deal) or a deal for attention."""
        check_workspace(workspace_id)
        reason = without_invisible(reason or "").strip()
        if not reason:
            raise InvalidValue("a flag needs a reason")
        if deal_id is None and call_id is None:
            raise InvalidValue("a flag needs a deal or a call")
        with self._db.writing() as s:
            deal_id = check_targets(s, workspace_id, deal_id, call_id)
            flag_id = s.execute(
                sa.insert(FLAGS).values(
                    workspace_id=workspace_id, deal_id=deal_id, call_id=call_id, turn_index=turn_index,
                    reason=reason, flagged_by=flagged_by, channel_id=channel_id,
                    thread_ts=thread_ts, created_at=utcnow(),
                )
            ).inserted_primary_key[0]
        flag = self.get(workspace_id, int(flag_id))
        assert flag is not None
        return flag

    def get(self, workspace_id: str, flag_id: int) -> Flag | None:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            row = s.execute(
                self._query(workspace_id).where(FLAGS.c.id == flag_id)
            ).one_or_none()
        return flag_record(row) if row else None

    def set_thread(self, workspace_id: str, flag_id: int, channel_id: str, thread_ts: str) -> None:
        """Remember the Slack thread where the flag was posted."""
        check_workspace(workspace_id)
        with self._db.writing() as s:
            done = s.execute(
                sa.update(FLAGS)
                .where(FLAGS.c.workspace_id == workspace_id, FLAGS.c.id == flag_id)
                .values(channel_id=channel_id, thread_ts=thread_ts)
            ).rowcount
        if not done:
            raise NotFound(f"no flag with id {flag_id} in this workspace")

    def find_by_thread(self, workspace_id: str, channel_id: str, thread_ts: str) -> Flag | None:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            row = s.execute(
                self._query(workspace_id)
                .where(FLAGS.c.channel_id == channel_id, FLAGS.c.thread_ts == thread_ts)
                .order_by(FLAGS.c.id.desc())
                .limit(1)
            ).one_or_none()
        return flag_record(row) if row else None

    def clear(
        self, workspace_id: str, flag_id: int, cleared_by: str | None = None, *, now: datetime | None = None
    ) -> bool:
        """Clear an open flag; False when it was already cleared. Raises NotFound for an unknown flag."""
        check_workspace(workspace_id)
        with self._db.writing() as s:
            exists = s.execute(
                sa.select(FLAGS.c.id).where(FLAGS.c.workspace_id == workspace_id, FLAGS.c.id == flag_id)
            ).scalar_one_or_none()
            if exists is None:
                raise NotFound(f"no flag with id {flag_id} in this workspace")
            return (
                s.execute(
                    sa.update(FLAGS)
                    .where(FLAGS.c.id == flag_id, FLAGS.c.cleared_at.is_(None))
                    .values(cleared_at=now or utcnow(), cleared_by=cleared_by)
                ).rowcount
                > 0
            )

    def list_open(
        self,
        workspace_id: str,
        deal_id: int | None = None,
        *,
        owner_id: str | None = None,
        channel_ids: Sequence[str] | None = None,
    ) -> list[Flag]:
        """Flags not yet cleared, oldest first."""
        check_workspace(workspace_id)
        stmt = self._query(workspace_id).where(FLAGS.c.cleared_at.is_(None))
        if deal_id is not None:
            stmt = stmt.where(FLAGS.c.deal_id == deal_id)
        stmt = deal_filters(stmt, owner_id, channel_ids)
        with self._db.reading() as s:
            rows = s.execute(stmt.order_by(FLAGS.c.created_at, FLAGS.c.id)).all()
        return [flag_record(x) for x in rows]

    def _query(self, workspace_id: str) -> sa.Select:
        return (
            sa.select(FLAGS, DEALS.c.name.label("deal_name"))
            .outerjoin(DEALS, DEALS.c.id == FLAGS.c.deal_id)
            .where(FLAGS.c.workspace_id == workspace_id)
        )
