"""Live sessions in the database: the repository that keeps a conversation scored as it happens
in a Slack thread, so that any bot process behind the load balancer can carry it on.

A session row says where it lives (channel, thread, the card's ts), whose deal it is, and how many
turns it has; its turns are kept with their embeddings, so a process that does not hold the session
in memory rebuilds it by replaying them through the policy, without embedding anything again.

Appending is optimistic: the caller says how many turns it built on (`expected_count`). Under a lock
on the session's row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``), the
turns are inserted only if the row still has that count and is open; otherwise the caller learns it
is "behind" (another process appended first: catch up and try again) or that the session "closed".

Ending is a claim, like digest runs: `claim_end` moves open -> ending for exactly one
caller; that caller saves the call and `finish` (ended, turns deleted: the call holds
them now) or, on failure, `release_end` (back to open).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Sequence

import numpy as np
import sqlalchemy as sa

from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.errors import InvalidValue, NotFound, StoreError
from salesrl.bot.store.tables import DEALS, LIVE_SESSIONS, LIVE_TURNS, utcnow


AppendOutcome = Literal["appended", "behind", "closed"]


class LiveSessionExists(StoreError):
    """A thread already has a live session that is not ended."""


@dataclass(frozen=True)
class StoredLiveSession:
    id: int
    workspace_id: str
    deal_id: int
    deal_name: str
    channel_id: str
    thread_ts: str  # the thread whose messages are the conversation
    card_ts: str  # the card the bot edits (the thread's parent, or a reply in a huddle's thread)
    started_by: str | None
    reps: tuple[str, ...]
    state: str  # "open", "ending" or "ended"
    turn_count: int
    last_event_ts: str | None
    last_alert_turn: int | None  # index of the turn the last alert was raised at
    call_id: int | None  # the call it was saved as, once ended
    created_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class LiveTurn:
    """A turn of a live session: what was said, the agent's view after it, and its embedding."""

    index: int
    event_ts: str  # the Slack message it came from (one message may hold several turns)
    posted_by: str | None
    speaker: str
    role: str
    text: str
    is_note: bool
    probability: float
    uncertainty: float
    in_distribution: float
    action_values: tuple[float, ...]
    embedding: np.ndarray  # float32


def _session_record(row: Any) -> StoredLiveSession:
    return StoredLiveSession(
        id=row.id, workspace_id=row.workspace_id, deal_id=row.deal_id, deal_name=row.deal_name,
        channel_id=row.channel_id, thread_ts=row.thread_ts, card_ts=row.card_ts, started_by=row.started_by,
        reps=tuple(row.reps or ()), state=row.state, turn_count=row.turn_count, last_event_ts=row.last_event_ts,
        last_alert_turn=row.last_alert_turn, call_id=row.call_id, created_at=row.created_at, ended_at=row.ended_at,
    )


def _turn_record(row: Any) -> LiveTurn:
    return LiveTurn(
        index=row.idx, event_ts=row.event_ts, posted_by=row.posted_by, speaker=row.speaker, role=row.role,
        text=row.text, is_note=bool(row.is_note), probability=row.probability, uncertainty=row.uncertainty,
        in_distribution=row.in_distribution, action_values=tuple(row.action_values or ()),
        embedding=np.frombuffer(row.embedding, dtype=np.float32).copy(),
    )


def _select_sessions() -> sa.Select:
    return sa.select(LIVE_SESSIONS, DEALS.c.name.label("deal_name")).join(DEALS, DEALS.c.id == LIVE_SESSIONS.c.deal_id)


class LiveSessionRows:
    """Live sessions and their turns (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def start(
        self,
        workspace_id: str,
        deal_id: int,
        *,
        channel_id: str,
        thread_ts: str,
        card_ts: str,
        started_by: str | None = None,
        reps: Sequence[str] = (),
    ) -> StoredLiveSession:
        """A new open session on the thread; LiveSessionExists when the thread already has one."""
        check_workspace(workspace_id)
        if not channel_id or not thread_ts or not card_ts:
            raise InvalidValue("a live session needs a channel, a thread and a card")
        now = utcnow()
        try:
            with self._db.writing() as s:
                found = s.execute(
                    sa.select(DEALS.c.id).where(DEALS.c.id == deal_id, DEALS.c.workspace_id == workspace_id)
                ).scalar_one_or_none()
                if found is None:
                    raise NotFound(f"no deal with id {deal_id} in this workspace")
                sid = s.execute(
                    sa.insert(LIVE_SESSIONS).values(
                        workspace_id=workspace_id, deal_id=deal_id, channel_id=channel_id, thread_ts=thread_ts,
                        card_ts=card_ts, started_by=started_by, reps=list(reps), state="open", turn_count=0,
                        created_at=now, updated_at=now,
                    )
                ).inserted_primary_key[0]
        except sa.exc.IntegrityError:
            raise LiveSessionExists("this thread already has a live session; write `end` in it first") from None
        session = self.get(workspace_id, int(sid))
        assert session is not None
        return session

    def get(self, workspace_id: str, session_id: int) -> StoredLiveSession | None:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            row = s.execute(
                _select_sessions().where(LIVE_SESSIONS.c.workspace_id == workspace_id, LIVE_SESSIONS.c.id == session_id)
            ).one_or_none()
        return _session_record(row) if row else None

    def find(
        self, workspace_id: str, channel_id: str, thread_ts: str, *, include_ended: bool = False
    ) -> StoredLiveSession | None:
        """The thread's session that is not ended (or, with include_ended, its latest one)."""
        check_workspace(workspace_id)
        stmt = _select_sessions().where(
            LIVE_SESSIONS.c.workspace_id == workspace_id,
            LIVE_SESSIONS.c.channel_id == channel_id,
            LIVE_SESSIONS.c.thread_ts == thread_ts,
        )
        if not include_ended:
            stmt = stmt.where(LIVE_SESSIONS.c.state != "ended")
        with self._db.reading() as s:
            row = s.execute(stmt.order_by(LIVE_SESSIONS.c.id.desc()).limit(1)).one_or_none()
        return _session_record(row) if row else None

    def turns(self, workspace_id: str, session_id: int, *, from_index: int = 0) -> list[LiveTurn]:
        """The session's turns from `from_index` on, in order."""
        check_workspace(workspace_id)
        with self._db.reading() as s:
            rows = s.execute(
                sa.select(LIVE_TURNS)
                .join(LIVE_SESSIONS, LIVE_SESSIONS.c.id == LIVE_TURNS.c.session_id)
                .where(
                    LIVE_SESSIONS.c.workspace_id == workspace_id,
                    LIVE_TURNS.c.session_id == session_id,
                    LIVE_TURNS.c.idx >= from_index,
                )
                .order_by(LIVE_TURNS.c.idx)
            ).all()
        return [_turn_record(x) for x in rows]

    def append(
        self,
        workspace_id: str,
        session_id: int,
        turns: Sequence[LiveTurn],
        *,
        expected_count: int,
        alert_turn: int | None = None,
    ) -> AppendOutcome:
        """Add turns numbered from `expected_count`, if the session still has exactly that many and
        is open. `alert_turn` records an alert raised at that turn."""
        check_workspace(workspace_id)
        if not turns:
            raise InvalidValue("nothing to append")
        if [t.index for t in turns] != list(range(expected_count, expected_count + len(turns))):
            raise InvalidValue("live turns must be numbered on from the session's turn count")
        with self._db.writing() as s:
            row = s.execute(
                sa.select(LIVE_SESSIONS.c.state, LIVE_SESSIONS.c.turn_count)
                .where(LIVE_SESSIONS.c.workspace_id == workspace_id, LIVE_SESSIONS.c.id == session_id)
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise NotFound(f"no live session with id {session_id} in this workspace")
            if row.state != "open":
                return "closed"
            if row.turn_count != expected_count:
                return "behind"
            s.execute(sa.insert(LIVE_TURNS), [
                {
                    "session_id": session_id, "idx": t.index, "event_ts": t.event_ts, "posted_by": t.posted_by,
                    "speaker": t.speaker[:200], "role": t.role, "text": t.text, "is_note": t.is_note,
                    "probability": float(t.probability), "uncertainty": float(t.uncertainty),
                    "in_distribution": float(t.in_distribution),
                    "action_values": [float(v) for v in t.action_values] or None,
                    "embedding": np.asarray(t.embedding, dtype=np.float32).tobytes(),
                }
                for t in turns
            ])
            values: dict[str, Any] = {
                "turn_count": expected_count + len(turns), "last_event_ts": turns[-1].event_ts, "updated_at": utcnow(),
            }
            if alert_turn is not None:
                values["last_alert_turn"] = alert_turn
            s.execute(sa.update(LIVE_SESSIONS).where(LIVE_SESSIONS.c.id == session_id).values(**values))
        return "appended"

    def claim_end(self, workspace_id: str, session_id: int) -> bool:
        """True for exactly one caller (across processes): that caller saves the session as a call."""
        check_workspace(workspace_id)
        with self._db.writing() as s:
            return s.execute(
                sa.update(LIVE_SESSIONS)
                .where(LIVE_SESSIONS.c.workspace_id == workspace_id, LIVE_SESSIONS.c.id == session_id,
                       LIVE_SESSIONS.c.state == "open")
                .values(state="ending", updated_at=utcnow())
            ).rowcount == 1

    def release_end(self, workspace_id: str, session_id: int) -> None:
        """Saving failed: the session is open again and can take turns or be ended later."""
        check_workspace(workspace_id)
        with self._db.writing() as s:
            s.execute(
                sa.update(LIVE_SESSIONS)
                .where(LIVE_SESSIONS.c.workspace_id == workspace_id, LIVE_SESSIONS.c.id == session_id,
                       LIVE_SESSIONS.c.state == "ending")
                .values(state="open", updated_at=utcnow())
            )

    def finish(self, workspace_id: str, session_id: int, call_id: int | None) -> None:
        """The claimed session was saved as `call_id` (None: it had no turns): mark it ended and drop
        its turns, which the call now holds (so the retention purge of calls covers them)."""
        check_workspace(workspace_id)
        now = utcnow()
        with self._db.writing() as s:
            done = s.execute(
                sa.update(LIVE_SESSIONS)
                .where(LIVE_SESSIONS.c.workspace_id == workspace_id, LIVE_SESSIONS.c.id == session_id,
                       LIVE_SESSIONS.c.state == "ending")
                .values(state="ended", call_id=call_id, ended_at=now, updated_at=now)
            ).rowcount
            if not done:
                raise NotFound(f"no live session {session_id} being ended in this workspace")
            s.execute(sa.delete(LIVE_TURNS).where(LIVE_TURNS.c.session_id == session_id))
