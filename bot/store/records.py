"""What the store hands out: frozen values, detached from any database session.

Timestamps are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Workspace:
    id: str
    name: str | None
    created_at: datetime


@dataclass(frozen=True)
class User:
    workspace_id: str
    id: str  # Slack user id
    display_name: str | None


@dataclass(frozen=True)
class Deal:
    id: int
    workspace_id: str
    name: str
    owner_id: str | None
    channel_id: str | None
    stage: str | None
    amount: Decimal | None
    status: str  # "open", "won" or "lost"
    closed_at: datetime | None
    call_count: int
    latest_probability: float | None  # final probability of the latest call
    trend: float | None  # change from the call before, or within the only call
    last_call_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def is_closed(self) -> bool:
        return self.status != "open"


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


@dataclass(frozen=True)
class Flag:
    id: int
    workspace_id: str
    deal_id: int | None
    deal_name: str | None
    call_id: int | None
    turn_index: int | None
    reason: str
    flagged_by: str | None
    channel_id: str | None
    thread_ts: str | None
    created_at: datetime
    cleared_at: datetime | None
    cleared_by: str | None


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


@dataclass(frozen=True)
class DigestSubscription:
    id: int
    workspace_id: str
    channel_id: str
    cadence: str  # "daily" or "weekly"
    weekday: int | None  # 0 = Monday; weekly digests only
    hour: int  # local hour of day, 0-23
    timezone: str  # IANA name
    owner_id: str | None  # only this rep's deals, when set
    created_by: str | None
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class DigestRun:
    id: int
    workspace_id: str
    subscription_id: int
    period_key: str
    state: str  # "claimed" or "posted"
    claimed_at: datetime
    claim_count: int
    posted_at: datetime | None
    message_ts: str | None


@dataclass(frozen=True)
class ScoredCallRow:
    """A call in a digest: when, which deal, who, how it ended."""

    call_id: int
    deal_id: int | None
    deal_name: str | None
    user_id: str | None
    source: str
    final_probability: float
    status: str
    created_at: datetime


@dataclass(frozen=True)
class DealMove:
    """How a deal's probability moved over a period: from the last call before it (or the first
    turn of the period's first call) to the latest call."""

    deal_id: int
    deal_name: str
    owner_id: str | None
    before: float
    after: float
    calls_in_period: int

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class RepActivity:
    user_id: str | None
    display_name: str | None
    calls: int
    average_final_probability: float


@dataclass(frozen=True)
class ClosedDealForecast:
    """A closed deal with the probability the agent last gave it: the digest's calibration."""

    deal_id: int
    deal_name: str
    won: bool
    latest_probability: float | None
    closed_at: datetime | None
