"""Zoom transcripts (bot.zoom), one row per recording file, claimed once across every process sharing the
database: the claim is an INSERT on the unique (workspace, recording id), so of Zoom's retries and
duplicate deliveries, in any replica, exactly one takes a recording. A claim whose process died (still
"claimed" after STALE_CLAIM) or that failed may be taken again by a later copy of the event.

While the host picks a deal for a meeting that named none, the row keeps the transcript's redacted text;
it goes once the call is filed (or retention purges it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.errors import InvalidValue
from salesrl.bot.store.tables import ZOOM_RECORDINGS, utcnow

STALE_CLAIM = timedelta(minutes=15)  # far beyond a download's retries and a scoring


@dataclass(frozen=True)
class ZoomRecording:
    id: int
    workspace_id: str
    recording_id: str
    state: str  # "claimed", "awaiting_deal", "filed" or "failed"
    topic: str
    host_user_id: str | None
    transcript_text: str | None  # redacted; only while awaiting a deal
    call_id: int | None
    received_at: datetime
    updated_at: datetime


_COLUMNS = tuple(ZOOM_RECORDINGS.c[name] for name in ZoomRecording.__dataclass_fields__)


class ZoomRecordings:
    def __init__(self, db: Database) -> None:
        self._db = db

    def claim(self, workspace_id: str, recording_id: str, topic: str, *, now: datetime | None = None) -> int | None:
        """The row's id when this caller takes the recording (first delivery, or a copy of one that
        failed or whose claim went stale); None when it is taken already."""
        check_workspace(workspace_id)
        if not recording_id or len(recording_id) > 200:
            raise InvalidValue("a Zoom recording needs an id of at most 200 characters")
        now = now or utcnow()
        key = (ZOOM_RECORDINGS.c.workspace_id == workspace_id, ZOOM_RECORDINGS.c.recording_id == recording_id)
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            inserted = s.execute(
                self._db.insert(ZOOM_RECORDINGS)
                .values(workspace_id=workspace_id, recording_id=recording_id, state="claimed", topic=topic[:300],
                        received_at=now, updated_at=now)
                .on_conflict_do_nothing(index_elements=["workspace_id", "recording_id"])
                .execution_options(preserve_rowcount=True)
            ).rowcount
            if not inserted:
                retaken = s.execute(
                    sa.update(ZOOM_RECORDINGS).where(*key, sa.or_(
                        ZOOM_RECORDINGS.c.state == "failed",
                        sa.and_(ZOOM_RECORDINGS.c.state == "claimed", ZOOM_RECORDINGS.c.updated_at < now - STALE_CLAIM),
                    )).values(state="claimed", updated_at=now)
                ).rowcount
                if not retaken:
                    return None
            return int(s.execute(sa.select(ZOOM_RECORDINGS.c.id).where(*key)).scalar_one())

    def get(self, workspace_id: str, row_id: int) -> ZoomRecording | None:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            row = s.execute(sa.select(*_COLUMNS).where(ZOOM_RECORDINGS.c.workspace_id == workspace_id,
                                                       ZOOM_RECORDINGS.c.id == row_id)).one_or_none()
        return ZoomRecording(*row) if row else None

    def await_deal(self, workspace_id: str, row_id: int, transcript_text: str, host_user_id: str) -> None:
        """No deal matched: keep the (redacted) text until the host picks one."""
        self._set(workspace_id, row_id, "claimed", state="awaiting_deal", transcript_text=transcript_text,
                  host_user_id=host_user_id)

    def take_awaiting(self, workspace_id: str, row_id: int) -> ZoomRecording | None:
        """The recording, claimed again for filing, when it is still awaiting a deal; None when another
        click (in any process) took it first."""
        if not self._set(workspace_id, row_id, "awaiting_deal", state="claimed"):
            return None
        return self.get(workspace_id, row_id)

    def give_back(self, workspace_id: str, row_id: int) -> None:
        """Filing a picked deal failed: the host may pick again."""
        self._set(workspace_id, row_id, "claimed", state="awaiting_deal")

    def filed(self, workspace_id: str, row_id: int, call_id: int) -> None:
        self._set(workspace_id, row_id, "claimed", state="filed", call_id=call_id, transcript_text=None)

    def failed(self, workspace_id: str, row_id: int) -> None:
        """It could not be taken (or its host could not be asked): a later copy of the event may try again."""
        self._set(workspace_id, row_id, ("claimed", "awaiting_deal"), state="failed", transcript_text=None)

    def _set(self, workspace_id: str, row_id: int, from_state: str | tuple[str, ...], **values: object) -> bool:
        check_workspace(workspace_id)
        with self._db.writing() as s:
            return bool(s.execute(
                sa.update(ZOOM_RECORDINGS).where(ZOOM_RECORDINGS.c.workspace_id == workspace_id,
                                                 ZOOM_RECORDINGS.c.id == row_id,
                                                 ZOOM_RECORDINGS.c.state.in_(
                                                     (from_state,) if isinstance(from_state, str) else from_state))
                .values(updated_at=utcnow(), **values)
            ).rowcount)
