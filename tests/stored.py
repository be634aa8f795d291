"""Reads tests need and the product does not: the questions saved in a workspace (the bot reads one
question at a time, by id). Read through the store's own repository so the records are the product's."""

from __future__ import annotations

import sqlalchemy as sa

from salesrl.bot.store import SavedQuestion, Store
from salesrl.bot.store.tables import QUESTIONS


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
