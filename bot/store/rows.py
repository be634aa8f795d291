"""Conversions between table rows and the values the store takes and gives, with the checks
that turn bad arguments into one-line InvalidValue/NotFound errors."""

from __future__ import annotations

import json
import math
from dataclasses import fields
from decimal import Decimal
from typing import Any, Iterator, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from salesrl.agent.transcript import clean_text
from salesrl.agent.types import ScoreResult
from salesrl.bot.store import records as r
from salesrl.bot.store.errors import InvalidValue, NotFound
from salesrl.bot.store.models import DIGEST_CADENCES, DealRow

DEALS = DealRow.__table__
MAX_NAME_LENGTH = 200

def normalise_deal_name(name: str) -> tuple[str, str]:
    """(display name, lookup key): invisible characters (bidi controls included) removed, whitespace
    collapsed; the key is also casefolded."""
    clean = clean_text(str(name))
    if not clean:
        raise InvalidValue("a deal needs a name")
    if len(clean) > MAX_NAME_LENGTH:
        raise InvalidValue(f"deal names are at most {MAX_NAME_LENGTH} characters")
    return clean, clean.casefold()




def check_workspace(workspace_id: str) -> None:
    if not isinstance(workspace_id, str) or not workspace_id or len(workspace_id) > 64:
        raise InvalidValue("a workspace id (the Slack team id, or 'local') is required")


def no_deal(name: str) -> NotFound:
    return NotFound(f"no deal named {' '.join(str(name).split())!r}; `salesrl deals` lists them")


def deal_filters(stmt: sa.Select, owner_id: str | None, channel_ids: Sequence[str] | None) -> sa.Select:
    if owner_id is not None:
        stmt = stmt.where(DEALS.c.owner_id == owner_id)
    if channel_ids is not None:
        stmt = stmt.where(DEALS.c.channel_id.in_(list(channel_ids)))
    return stmt


# The columns of a deal in the order of the fields of records.Deal, so that a row converts
# positionally (a digest can list thousands of deals; attribute access per field is the slow part).
DEAL_COLUMNS = tuple(DEALS.c[f.name] for f in fields(r.Deal))


def select_deals() -> sa.Select:
    """SELECT of the deal columns that deal_record expects."""
    return sa.select(*DEAL_COLUMNS)


def deal_record(row: Any) -> r.Deal:
    """A row of select_deals() as a record."""
    return r.Deal(*row)


def call_record(row: Any) -> r.Call:
    return r.Call(
        id=row.id, workspace_id=row.workspace_id, deal_id=row.deal_id, source=row.source,
        user_id=row.user_id, channel_id=row.channel_id, thread_ts=row.thread_ts, format=row.format,
        model_id=row.model_id, status=row.status, turn_count=row.turn_count,
        first_probability=row.first_probability, final_probability=row.final_probability,
        final_uncertainty=row.final_uncertainty, final_in_distribution=row.final_in_distribution,
        created_at=row.created_at, transcript_purged=row.transcript_purged_at is not None,
    )


def turn_record(row: Any) -> r.TurnScore:
    return r.TurnScore(
        index=row.idx, speaker=row.speaker, role=row.role, text=row.text, start=row.start,
        is_note=bool(row.is_note), probability=row.probability, uncertainty=row.uncertainty,
        in_distribution=row.in_distribution, action_values=tuple(row.action_values or ()),
    )


def flag_record(row: Any) -> r.Flag:
    return r.Flag(
        id=row.id, workspace_id=row.workspace_id, deal_id=row.deal_id, deal_name=row.deal_name,
        call_id=row.call_id, turn_index=row.turn_index, reason=row.reason, flagged_by=row.flagged_by,
        channel_id=row.channel_id, thread_ts=row.thread_ts, created_at=row.created_at,
        cleared_at=row.cleared_at, cleared_by=row.cleared_by,
    )


def subscription_record(row: Any) -> r.DigestSubscription:
    return r.DigestSubscription(
        id=row.id, workspace_id=row.workspace_id, channel_id=row.channel_id, cadence=row.cadence,
        weekday=row.weekday, hour=row.hour, timezone=row.timezone, owner_id=row.owner_id,
        created_by=row.created_by, active=bool(row.active), created_at=row.created_at,
    )


def subscription_values(*, cadence: str, weekday: int | None, hour: int, timezone: str) -> dict[str, Any]:
    if cadence not in DIGEST_CADENCES:
        raise InvalidValue(f"unknown digest cadence {cadence!r}; expected daily or weekly")
    if cadence == "weekly" and (weekday is None or not 0 <= weekday <= 6):
        raise InvalidValue("a weekly digest needs a weekday from 0 (Monday) to 6 (Sunday)")
    if not 0 <= hour <= 23:
        raise InvalidValue("the digest hour must be from 0 to 23")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(f"unknown time zone {timezone!r}; use a name like Europe/Paris") from None
    return {
        "cadence": cadence,
        "weekday": weekday if cadence == "weekly" else None,
        "hour": hour,
        "timezone": timezone,
    }


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


def checked_amount(value: Decimal | float | int | str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except Exception:
        raise InvalidValue(f"amount {value!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidValue("an amount must be a positive number")
    return amount


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def first_line(error: Exception) -> str:
    orig = getattr(error, "orig", None) or error
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__
