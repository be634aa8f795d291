"""Calls asked for in Slack and not yet answered: the repository behind bot.slack.pending.

A row is written when a call is accepted, marked with the call's id in the transaction that saves
the call (`Calls.save(..., pending_id=...)`), and deleted once the answer is delivered or the
asker told it could not be. Each row has an owner (the process working on it) and `claimed_at`,
which that process refreshes while it lives; rows of a process that died are taken over with one
conditional UPDATE each, so two processes never both take the same row. A row is marked with one
call only: a second save for it (a process that lost the database for longer than the lease, while
another took its row over) is rolled back with PendingCallTaken.

Like the retention purge, `touch` works across workspaces and returns only a count;
everything else takes the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

import sqlalchemy as sa

from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.errors import StoreError
from salesrl.bot.store.tables import PENDING_CALLS, utcnow



class PendingCallTaken(StoreError):
    """The pending call was saved, or answered, by another process: this one must leave it alone."""


@dataclass(frozen=True)
class PendingCall:
    id: int
    workspace_id: str
    request: dict[str, Any]  # who asked, where, and what (bot.slack.pending)
    text: str | None  # the pasted transcript, redacted; None for a file
    call_id: int | None  # set once the call is saved
    owner: str
    attempts: int
    claimed_at: datetime
    created_at: datetime


def pending_record(row: Any) -> PendingCall:
    return PendingCall(id=row.id, workspace_id=row.workspace_id, request=dict(row.request or {}), text=row.text,
                       call_id=row.call_id, owner=row.owner, attempts=row.attempts, claimed_at=row.claimed_at,
                       created_at=row.created_at)


class PendingCallRows:
    """Calls asked for in Slack and not yet answered (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, workspace_id: str, calls: Sequence[tuple[dict[str, Any], str | None]],
                          owner: str) -> list[int]:
        """Rows for the (request, text) of several calls asked for at once: all of them, or none."""
        check_workspace(workspace_id)
        now = utcnow()
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            return [int(s.execute(sa.insert(PENDING_CALLS).values(
                workspace_id=workspace_id, request=request, text=text, owner=owner, attempts=1,
                claimed_at=now, created_at=now)).inserted_primary_key[0]) for request, text in calls]

    def finish(self, workspace_id: str, pending_id: int) -> None:
        check_workspace(workspace_id)
        with self._db.writing() as s:
            s.execute(sa.delete(PENDING_CALLS).where(PENDING_CALLS.c.workspace_id == workspace_id,
                                                     PENDING_CALLS.c.id == pending_id))

    def touch(self, owner: str, *, now: datetime | None = None) -> int:
        """Renew the claim on every row `owner` holds (a living process says so)."""
        with self._db.writing() as s:
            return s.execute(sa.update(PENDING_CALLS).where(PENDING_CALLS.c.owner == owner)
                             .values(claimed_at=now or utcnow())).rowcount

    def retry(self, workspace_id: str, pending_id: int, owner: str, *,
                           now: datetime | None = None) -> PendingCall | None:
        """Count one more attempt at a row `owner` holds and will work on again; None when the row is
        gone, or another process has taken it over."""
        check_workspace(workspace_id)
        with self._db.writing() as s:
            mine = (PENDING_CALLS.c.workspace_id == workspace_id, PENDING_CALLS.c.id == pending_id,
                    PENDING_CALLS.c.owner == owner)
            if not s.execute(sa.update(PENDING_CALLS).where(*mine)
                             .values(claimed_at=now or utcnow(), attempts=PENDING_CALLS.c.attempts + 1)).rowcount:
                return None
            return pending_record(s.execute(sa.select(PENDING_CALLS).where(*mine)).one())

    def owners(self, workspace_id: str) -> list[str]:
        """The processes holding the workspace's pending calls."""
        check_workspace(workspace_id)
        with self._db.reading() as s:
            return list(s.execute(sa.select(PENDING_CALLS.c.owner).distinct()
                                  .where(PENDING_CALLS.c.workspace_id == workspace_id)).scalars())

    def claim(self, workspace_id: str, owner: str, *, stale_before: datetime,
                            dead_owners: Sequence[str] = (), limit: int = 50,
                            now: datetime | None = None) -> list[PendingCall]:
        """Take over the workspace's rows whose owner has not renewed them since `stale_before`, or is
        known dead; returns them as now claimed by `owner`."""
        check_workspace(workspace_id)
        now = now or utcnow()
        abandoned = sa.or_(PENDING_CALLS.c.claimed_at < stale_before, PENDING_CALLS.c.owner.in_(list(dead_owners)))
        with self._db.reading() as s:
            candidates = s.execute(sa.select(PENDING_CALLS).where(PENDING_CALLS.c.workspace_id == workspace_id,
                                                            PENDING_CALLS.c.owner != owner, abandoned)
                                   .order_by(PENDING_CALLS.c.id).limit(limit)).all()
        taken = []
        for row in candidates:
            with self._db.writing() as s:
                won = s.execute(
                    sa.update(PENDING_CALLS)
                    .where(PENDING_CALLS.c.id == row.id, PENDING_CALLS.c.owner == row.owner,
                           PENDING_CALLS.c.claimed_at == row.claimed_at)
                    .values(owner=owner, claimed_at=now, attempts=PENDING_CALLS.c.attempts + 1)
                ).rowcount
                if won:
                    taken.append(pending_record(s.execute(sa.select(PENDING_CALLS).where(PENDING_CALLS.c.id == row.id)).one()))
        return taken
