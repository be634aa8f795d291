"""Questions asked about a call or deal, and the answers given to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from salesrl.agent.transcript import without_invisible
from salesrl.bot.store.calls import check_targets, chunks
from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.errors import InvalidValue, NotFound
from salesrl.bot.store.tables import ANSWERS, QUESTIONS, utcnow



@dataclass(frozen=True)
class SavedAnswer:
    id: int
    question_id: int
    text: str
    model_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class SavedQuestion:
    id: int
    workspace_id: str
    deal_id: int | None
    call_id: int | None
    asked_by: str | None
    text: str
    channel_id: str | None
    thread_ts: str | None
    created_at: datetime
    answers: tuple[SavedAnswer, ...]


class Questions:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        workspace_id: str,
        text: str,
        *,
        call_id: int | None = None,
        deal_id: int | None = None,
        asked_by: str | None = None,
        channel_id: str | None = None,
        thread_ts: str | None = None,
    ) -> SavedQuestion:
        check_workspace(workspace_id)
        text = without_invisible(text or "").strip()
        if not text:
            raise InvalidValue("a question needs some text")
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            deal_id = check_targets(s, workspace_id, deal_id, call_id)
            qid = s.execute(
                sa.insert(QUESTIONS).values(
                    workspace_id=workspace_id, deal_id=deal_id, call_id=call_id, asked_by=asked_by,
                    text=text, channel_id=channel_id, thread_ts=thread_ts, created_at=utcnow(),
                )
            ).inserted_primary_key[0]
        question = self.get(workspace_id, int(qid))
        assert question is not None
        return question

    def add_answer(
        self, workspace_id: str, question_id: int, text: str, model_id: str | None = None
    ) -> SavedAnswer:
        check_workspace(workspace_id)
        if not text or not text.strip():
            raise InvalidValue("an answer needs some text")
        now = utcnow()
        with self._db.writing() as s:
            found = s.execute(
                sa.select(QUESTIONS.c.id).where(
                    QUESTIONS.c.workspace_id == workspace_id, QUESTIONS.c.id == question_id
                )
            ).scalar_one_or_none()
            if found is None:
                raise NotFound(f"no question with id {question_id} in this workspace")
            aid = s.execute(
                sa.insert(ANSWERS).values(question_id=question_id, text=text.strip(), model_id=model_id, created_at=now)
            ).inserted_primary_key[0]
        return SavedAnswer(id=int(aid), question_id=question_id, text=text.strip(), model_id=model_id, created_at=now)

    def get(self, workspace_id: str, question_id: int) -> SavedQuestion | None:
        found = self._questions(workspace_id, QUESTIONS.c.id == question_id)
        return found[0] if found else None

    def _questions(self, workspace_id: str, *conditions: Any) -> list[SavedQuestion]:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            rows = s.execute(
                sa.select(QUESTIONS)
                .where(QUESTIONS.c.workspace_id == workspace_id, *conditions)
                .order_by(QUESTIONS.c.created_at, QUESTIONS.c.id)
            ).all()
            answers: dict[int, list[SavedAnswer]] = {}
            for chunk in chunks([q.id for q in rows], 500):
                for a in s.execute(
                    sa.select(ANSWERS).where(ANSWERS.c.question_id.in_(chunk)).order_by(ANSWERS.c.id)
                ):
                    answers.setdefault(a.question_id, []).append(
                        SavedAnswer(id=a.id, question_id=a.question_id, text=a.text, model_id=a.model_id,
                                      created_at=a.created_at)
                    )
        return [
            SavedQuestion(
                id=q.id, workspace_id=q.workspace_id, deal_id=q.deal_id, call_id=q.call_id,
                asked_by=q.asked_by, text=q.text, channel_id=q.channel_id, thread_ts=q.thread_ts,
                created_at=q.created_at, answers=tuple(answers.get(q.id, ())),
            )
            for q in rows
        ]
