"""What tests need of the store and the product does not: the questions saved in a workspace (the bot
reads one question at a time, by id), one pending call written or read alone (the bot writes a request's
calls together and reads them only as it claims them). Through the store's own tables and records."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from salesrl.bot.store import SavedQuestion, Store
from salesrl.bot.store.pending import PendingCall, pending_record
from salesrl.bot.store.tables import PENDING_CALLS, QUESTIONS


def questions(store: Store, workspace_id: str, *, call_id: int | None = None,
              deal_id: int | None = None) -> list[SavedQuestion]:
    """The workspace's questions with their answers, oldest first; only a call's or a deal's when given."""
    stmt = sa.select(QUESTIONS.c.id).where(QUESTIONS.c.workspace_id == workspace_id)
    if call_id is not None:
        stmt = stmt.where(QUESTIONS.c.call_id == call_id)
    if deal_id is not None:
        stmt = stmt.where(QUESTIONS.c.deal_id == deal_id)
    with store.database.reading() as s:
        ids = s.execute(stmt.order_by(QUESTIONS.c.created_at, QUESTIONS.c.id)).scalars().all()
    found = [store.questions.get(workspace_id, i) for i in ids]
    return [q for q in found if q is not None]


def add_pending(store: Store, workspace_id: str, request: dict[str, Any], text: str | None, owner: str) -> int:
    (pending_id,) = store.pending.add(workspace_id, [(request, text)], owner)
    return pending_id


def pending_call(store: Store, workspace_id: str, pending_id: int) -> PendingCall | None:
    with store.database.reading() as s:
        row = s.execute(sa.select(PENDING_CALLS).where(PENDING_CALLS.c.workspace_id == workspace_id,
                                                       PENDING_CALLS.c.id == pending_id)).one_or_none()
    return pending_record(row) if row else None
