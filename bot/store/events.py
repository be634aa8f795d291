"""What arrived from Slack already: event ids (Slack retries an event it thinks was lost) and the
signatures of requests (an exact copy of a signed request is a replay: bot.slack.replays).

Both are claims on a unique key (INSERT ... ON CONFLICT DO NOTHING), so in any number of processes
sharing the database exactly one sees an event or a request for the first time. Signed requests
belong to no workspace: they are checked at the HTTP edge, before anything is parsed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.errors import InvalidValue
from salesrl.bot.store.tables import PROCESSED_EVENTS, SEEN_REQUESTS, utcnow



class Events:
    def __init__(self, db: Database) -> None:
        self._db = db

    def mark_processed(self, workspace_id: str, event_id: str, *, now: datetime | None = None) -> bool:
        """True the first time an event id is seen in the workspace, False for Slack's retries
        (in any process sharing the database)."""
        check_workspace(workspace_id)
        if not event_id:
            raise InvalidValue("an event needs an id")
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            return (
                s.execute(
                    self._db.insert(PROCESSED_EVENTS)
                    .values(workspace_id=workspace_id, event_id=event_id, processed_at=now or utcnow())
                    .on_conflict_do_nothing(index_elements=["workspace_id", "event_id"])
                    .execution_options(preserve_rowcount=True)
                ).rowcount
                == 1
            )

    def prune_processed(self, older_than: timedelta = timedelta(days=7), *, now: datetime | None = None) -> int:
        """Forget event ids older than this (all workspaces; Slack retries within minutes)."""
        cutoff = (now or utcnow()) - older_than
        with self._db.writing() as s:
            return s.execute(sa.delete(PROCESSED_EVENTS).where(PROCESSED_EVENTS.c.processed_at < cutoff)).rowcount

    def first_time_request(self, digest: str, *, now: datetime | None = None) -> bool:
        """True the first time a signed Slack request (the hash of its signature) is recorded, False
        for an exact copy, in any process sharing the database."""
        with self._db.writing() as s:
            return (
                s.execute(
                    self._db.insert(SEEN_REQUESTS)
                    .values(digest=digest, seen_at=now or utcnow())
                    .on_conflict_do_nothing(index_elements=["digest"])
                    .execution_options(preserve_rowcount=True)
                ).rowcount
                == 1
            )

    def forget_request(self, digest: str) -> None:
        """Forget a request recorded by `first_time_request`, so that a copy of it is taken again."""
        with self._db.writing() as s:
            s.execute(sa.delete(SEEN_REQUESTS).where(SEEN_REQUESTS.c.digest == digest))

    def prune_seen_requests(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Forget requests recorded longer ago than this (their signatures no longer verify)."""
        cutoff = (now or utcnow()) - older_than
        with self._db.writing() as s:
            return s.execute(sa.delete(SEEN_REQUESTS).where(SEEN_REQUESTS.c.seen_at < cutoff)).rowcount
