"""Retention: how long transcripts and the text around them are kept (SALESRL_RETENTION_DAYS).

Works across workspaces and returns only counts: it is maintenance, run daily by the scheduler.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from salesrl.bot.store.calls import chunks
from salesrl.bot.store.database import Database
from salesrl.bot.store.errors import InvalidValue
from salesrl.bot.store.tables import (CALLS, LIVE_SESSIONS, PENDING_CALLS, QUESTIONS, TURN_SCORES, ZOOM_RECORDINGS,
                                     utcnow)

log = logging.getLogger(__name__)


class Retention:
    def __init__(self, db: Database) -> None:
        self._db = db

    def purge_transcripts(self, older_than_days: int, *, now: datetime | None = None) -> int:
        """Delete the text of calls older than this (all workspaces): the transcript and each
        turn's text. Scores, tips and outcomes stay. Questions and answers older than this (they
        quote turns) and live sessions idle since before it (their turns) are deleted too.
        Returns the number of calls purged."""
        if older_than_days < 0:
            raise InvalidValue("older_than_days cannot be negative")
        now = now or utcnow()
        cutoff = now - timedelta(days=older_than_days)
        with self._db.writing() as s:
            ids = s.execute(
                sa.select(CALLS.c.id).where(CALLS.c.created_at < cutoff, CALLS.c.transcript_purged_at.is_(None))
            ).scalars().all()
            for chunk in chunks(ids, 500):
                s.execute(sa.update(TURN_SCORES).where(TURN_SCORES.c.call_id.in_(chunk)).values(text=None))
                s.execute(
                    sa.update(CALLS)
                    .where(CALLS.c.id.in_(chunk))
                    .values(transcript_text=None, transcript_purged_at=now)
                )
            # answers cascade with their questions, live turns with their sessions
            questions = s.execute(sa.delete(QUESTIONS).where(QUESTIONS.c.created_at < cutoff)).rowcount
            sessions = s.execute(sa.delete(LIVE_SESSIONS).where(LIVE_SESSIONS.c.updated_at < cutoff)).rowcount
            s.execute(sa.delete(PENDING_CALLS).where(PENDING_CALLS.c.created_at < cutoff))  # never answered: nobody waits now
            # a Zoom transcript whose host never picked a deal
            s.execute(sa.update(ZOOM_RECORDINGS).where(ZOOM_RECORDINGS.c.received_at < cutoff,
                                                       ZOOM_RECORDINGS.c.transcript_text.is_not(None))
                      .values(transcript_text=None, state="failed"))
        if questions or sessions:
            log.info("purged %d questions with their answers and %d idle live sessions older than %d days",
                     questions, sessions, older_than_days)
        if ids:
            log.info("purged the transcripts of %d calls older than %d days", len(ids), older_than_days)
        return len(ids)
