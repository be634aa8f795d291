"""Calls: scored conversations with their turns, scores and tips.

A call is saved with its turns, scores and tips in one transaction, under a lock on its deal's row,
so that the deal's latest probability, trend and call count move with it (a crash mid-save leaves
nothing behind). The transcript text handed in must already be redacted (agent.redact).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from salesrl.agent.dataset import Conversation
from salesrl.agent.types import ScoreResult, Turn
from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.deals import Deal
from salesrl.bot.store.errors import InvalidValue, NotFound
from salesrl.bot.store.pending import PendingCallTaken
from salesrl.bot.store.tables import CALL_SOURCES, CALLS, DEALS, PENDING_CALLS, TIPS, TURN_SCORES, utcnow

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Call:
    """A scored call without its turns."""

    id: int
    workspace_id: str
    deal_id: int | None
    source: str
    user_id: str | None
    channel_id: str | None
    thread_ts: str | None
    format: str
    model_id: str
    status: str
    turn_count: int
    first_probability: float
    final_probability: float
    final_uncertainty: float
    final_in_distribution: float
    created_at: datetime
    transcript_purged: bool


@dataclass(frozen=True)
class TurnScore:
    index: int
    speaker: str
    role: str
    text: str | None  # None once the transcript was purged
    start: float | None
    is_note: bool
    probability: float
    uncertainty: float
    in_distribution: float
    action_values: tuple[float, ...]


@dataclass(frozen=True)
class StoredTip:
    kind: str
    turn: int | None
    text: str


@dataclass(frozen=True)
class CallDetail:
    """A call with everything saved about it."""

    call: Call
    transcript_text: str | None  # None once purged
    roles_decided_by: str
    model_info: dict
    turns: tuple[TurnScore, ...]
    tips: tuple[StoredTip, ...]

    @property
    def probabilities(self) -> list[float]:
        return [t.probability for t in self.turns]


@dataclass(frozen=True)
class SavedCall:
    call_id: int
    deal: Deal


def call_record(row: Any) -> Call:
    return Call(
        id=row.id, workspace_id=row.workspace_id, deal_id=row.deal_id, source=row.source,
        user_id=row.user_id, channel_id=row.channel_id, thread_ts=row.thread_ts, format=row.format,
        model_id=row.model_id, status=row.status, turn_count=row.turn_count,
        first_probability=row.first_probability, final_probability=row.final_probability,
        final_uncertainty=row.final_uncertainty, final_in_distribution=row.final_in_distribution,
        created_at=row.created_at, transcript_purged=row.transcript_purged_at is not None,
    )


def turn_record(row: Any) -> TurnScore:
    return TurnScore(
        index=row.idx, speaker=row.speaker, role=row.role, text=row.text, start=row.start,
        is_note=bool(row.is_note), probability=row.probability, uncertainty=row.uncertainty,
        in_distribution=row.in_distribution, action_values=tuple(row.action_values or ()),
    )


def turn_rows(result: ScoreResult) -> list[dict[str, Any]]:
    transcript_turns = result.transcript.turns
    rows = []
    for p in result.points:
        source = transcript_turns[p.index] if 0 <= p.index < len(transcript_turns) else None
        rows.append(
            {
                "idx": int(p.index),
                "speaker": p.speaker,
                "role": p.role,
                "text": p.text,
                "start": None if source is None or source.start is None else float(source.start),
                "is_note": bool(source.is_note) if source is not None else False,
                "probability": checked_probability(p.probability, p.index),
                "uncertainty": float(p.uncertainty),
                "in_distribution": float(p.in_distribution),
                "action_values": [float(v) for v in p.action_values] if len(p.action_values) else None,
            }
        )
    return rows


def checked_probability(value: float, index: int) -> float:
    value = float(value)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise InvalidValue(f"turn {index} has probability {value}, outside [0, 1]")
    return value


def model_id_of(model: dict[str, Any]) -> str:
    for key in ("id", "model_id", "name", "version"):
        if model.get(key):
            return str(model[key])[:200]
    return ""


def jsonable(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value or {}, default=str))


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check_targets(s: Session, workspace_id: str, deal_id: int | None, call_id: int | None) -> int | None:
    """Raise NotFound unless the deal and call belong to the workspace; returns the deal id
    (the call's deal when only a call is given). For flags and questions, which point at either."""
    if call_id is not None:
        call_deal = s.execute(
            sa.select(CALLS.c.deal_id).where(CALLS.c.id == call_id, CALLS.c.workspace_id == workspace_id)
        ).one_or_none()
        if call_deal is None:
            raise NotFound(f"no call with id {call_id} in this workspace")
        if deal_id is None:
            deal_id = call_deal.deal_id
    if deal_id is not None:
        found = s.execute(
            sa.select(DEALS.c.id).where(DEALS.c.id == deal_id, DEALS.c.workspace_id == workspace_id)
        ).scalar_one_or_none()
        if found is None:
            raise NotFound(f"no deal with id {deal_id} in this workspace")
    return deal_id


class Calls:
    def __init__(self, db: Database) -> None:
        self._db = db

    def save(
        self,
        workspace_id: str,
        deal_id: int | None,
        result: ScoreResult,
        source: str,
        transcript_text: str | None,
        user_id: str | None = None,
        channel_id: str | None = None,
        thread_ts: str | None = None,
        pending_id: int | None = None,
    ) -> int:
        """Save a scored call with its turns, scores and tips in one transaction; returns its id.

        `transcript_text` must already be redacted. With a deal, the deal's latest probability,
        trend and call count move in the same transaction, under a lock on the deal's row. With a
        `pending_id` (bot.store.pending), that row learns the call's id in it too; when the
        row has a call already, or is gone, nothing is saved (PendingCallTaken).
        """
        check_workspace(workspace_id)
        if source not in CALL_SOURCES:
            raise InvalidValue(f"unknown call source {source!r}; expected one of {', '.join(CALL_SOURCES)}")
        if not result.points:
            raise InvalidValue("a call without scored turns cannot be saved")
        turns = turn_rows(result)
        first = float(result.points[0].probability)
        final = result.final
        model_id = model_id_of(result.model)
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            latest: float | None = None
            if deal_id is not None:
                locked = s.execute(
                    sa.select(DEALS.c.id, DEALS.c.latest_probability)
                    .where(DEALS.c.id == deal_id, DEALS.c.workspace_id == workspace_id)
                    .with_for_update(key_share=True)
                ).one_or_none()
                if locked is None:
                    raise NotFound(f"no deal with id {deal_id} in this workspace")
                latest = locked.latest_probability
            # Taken under the deal's lock (SQLite: the database write lock), so calls of a deal
            # are timestamped in the order they change the deal's latest probability and trend.
            now = utcnow()
            call_id = s.execute(
                sa.insert(CALLS).values(
                    workspace_id=workspace_id,
                    deal_id=deal_id,
                    source=source,
                    user_id=user_id,
                    channel_id=channel_id,
                    thread_ts=thread_ts,
                    transcript_text=transcript_text,
                    format=result.transcript.format,
                    roles_decided_by=result.transcript.roles_decided_by or "",
                    model_id=model_id,
                    model_info=jsonable(result.model),
                    status=result.status or "",
                    turn_count=len(result.points),
                    first_probability=first,
                    final_probability=float(final.probability),
                    final_uncertainty=float(final.uncertainty),
                    final_in_distribution=float(final.in_distribution),
                    created_at=now,
                )
            ).inserted_primary_key[0]
            for row in turns:
                row["call_id"] = call_id
            s.execute(sa.insert(TURN_SCORES), turns)
            if result.tips:
                s.execute(
                    sa.insert(TIPS),
                    [
                        {"call_id": call_id, "position": i, "kind": t.kind, "turn_index": t.turn, "text": t.text}
                        for i, t in enumerate(result.tips)
                    ],
                )
            if pending_id is not None:
                marked = s.execute(sa.update(PENDING_CALLS).where(PENDING_CALLS.c.id == pending_id,
                                                            PENDING_CALLS.c.workspace_id == workspace_id,
                                                            PENDING_CALLS.c.call_id.is_(None))
                                   .values(call_id=call_id)).rowcount
                if not marked:  # saved or answered by another process: nothing of this save is kept
                    raise PendingCallTaken(f"pending call {pending_id} was saved or answered elsewhere")
            if deal_id is not None:
                final_p = float(final.probability)
                s.execute(
                    sa.update(DEALS)
                    .where(DEALS.c.id == deal_id)
                    .values(
                        call_count=DEALS.c.call_count + 1,
                        latest_probability=final_p,
                        trend=final_p - (latest if latest is not None else first),
                        last_call_at=now,
                        updated_at=now,
                    )
                )
        log.info("call %s saved (%d turns, deal %s, source %s)", call_id, len(turns), deal_id, source)
        return int(call_id)

    def of_deal(self, workspace_id: str, deal_id: int) -> list[Call]:
        """A deal's calls, oldest first."""
        check_workspace(workspace_id)
        with self._db.reading() as s:
            rows = s.execute(
                sa.select(CALLS)
                .where(CALLS.c.workspace_id == workspace_id, CALLS.c.deal_id == deal_id)
                .order_by(CALLS.c.created_at, CALLS.c.id)
            ).all()
        return [call_record(x) for x in rows]

    def get(self, workspace_id: str, call_id: int) -> CallDetail | None:
        """A call with its transcript, turn scores and tips."""
        check_workspace(workspace_id)
        with self._db.reading() as s:
            row = s.execute(
                sa.select(CALLS).where(CALLS.c.workspace_id == workspace_id, CALLS.c.id == call_id)
            ).one_or_none()
            if row is None:
                return None
            turns = s.execute(sa.select(TURN_SCORES).where(TURN_SCORES.c.call_id == call_id).order_by(TURN_SCORES.c.idx)).all()
            tips = s.execute(sa.select(TIPS).where(TIPS.c.call_id == call_id).order_by(TIPS.c.position)).all()
        return CallDetail(
            call=call_record(row),
            transcript_text=row.transcript_text,
            roles_decided_by=row.roles_decided_by,
            model_info=dict(row.model_info or {}),
            turns=tuple(turn_record(t) for t in turns),
            tips=tuple(StoredTip(kind=t.kind, turn=t.turn_index, text=t.text) for t in tips),
        )

    def set_thread(self, workspace_id: str, call_id: int, channel_id: str, thread_ts: str) -> None:
        """Remember the Slack message the call's result was posted as."""
        check_workspace(workspace_id)
        with self._db.writing() as s:
            done = s.execute(
                sa.update(CALLS)
                .where(CALLS.c.workspace_id == workspace_id, CALLS.c.id == call_id)
                .values(channel_id=channel_id, thread_ts=thread_ts)
            ).rowcount
        if not done:
            raise NotFound(f"no call with id {call_id} in this workspace")

    def find_by_thread(self, workspace_id: str, channel_id: str, thread_ts: str) -> Call | None:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            row = s.execute(
                sa.select(CALLS)
                .where(
                    CALLS.c.workspace_id == workspace_id,
                    CALLS.c.channel_id == channel_id,
                    CALLS.c.thread_ts == thread_ts,
                )
                .order_by(CALLS.c.id.desc())
                .limit(1)
            ).one_or_none()
        return call_record(row) if row else None

    def export_closed_deals(self, workspace_id: str) -> list[Conversation]:
        """Every call of a won or lost deal as a training conversation (outcome 1 for won).

        Note turns are left out; calls whose transcript was purged cannot be exported and are
        skipped."""
        check_workspace(workspace_id)
        with self._db.reading() as s:
            calls = s.execute(
                sa.select(
                    CALLS.c.id, CALLS.c.source, CALLS.c.format, CALLS.c.model_id, CALLS.c.created_at,
                    DEALS.c.id.label("deal_id"), DEALS.c.name.label("deal_name"), DEALS.c.status,
                )
                .join(DEALS, DEALS.c.id == CALLS.c.deal_id)
                .where(
                    CALLS.c.workspace_id == workspace_id,
                    DEALS.c.workspace_id == workspace_id,
                    DEALS.c.status.in_(("won", "lost")),
                    CALLS.c.transcript_purged_at.is_(None),
                )
                .order_by(DEALS.c.id, CALLS.c.created_at, CALLS.c.id)
            ).all()
            turns_of: dict[int, list[Any]] = {}
            for chunk in chunks([c.id for c in calls], 500):
                for t in s.execute(
                    sa.select(TURN_SCORES.c.call_id, TURN_SCORES.c.speaker, TURN_SCORES.c.role, TURN_SCORES.c.text,
                              TURN_SCORES.c.is_note)
                    .where(TURN_SCORES.c.call_id.in_(chunk))
                    .order_by(TURN_SCORES.c.call_id, TURN_SCORES.c.idx)
                ):
                    turns_of.setdefault(t.call_id, []).append(t)
        conversations = []
        for c in calls:
            turns = tuple(
                Turn(speaker=t.speaker or t.role, role=t.role, text=t.text)
                for t in turns_of.get(c.id, [])
                if not t.is_note and t.text and t.text.strip()
            )
            if not turns:
                continue
            conversations.append(
                Conversation(
                    id=f"call-{c.id}",
                    outcome=1 if c.status == "won" else 0,
                    turns=turns,
                    meta={
                        "deal": c.deal_name,
                        "deal_id": c.deal_id,
                        "call_id": c.id,
                        "source": c.source,
                        "format": c.format,
                        "model_id": c.model_id,
                        "scored_at": c.created_at.isoformat(),
                    },
                )
            )
        return conversations
