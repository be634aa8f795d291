"""The tables that keep everything the bot learns, as SQLModel classes.

Every row that belongs to a Slack team carries ``workspace_id`` (turn scores, tips and answers
belong to a call or question that does). Deal rows also keep the latest probability and trend so
that deal lists and digests never have to scan turn scores.

These classes are the storage schema, used only inside ``bot.store``; the repository hands out
the frozen records of ``bot.store.records`` instead. A change here needs an Alembic migration in
``bot/migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Named constraints keep migrations portable (SQLite batch mode needs names to drop them).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DEAL_STATUSES = ("open", "won", "lost")
CALL_SOURCES = ("slash_command", "file", "shortcut", "live_session", "cli")
DIGEST_CADENCES = ("daily", "weekly")
DIGEST_RUN_STATES = ("claimed", "posted")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _workspace_fk() -> Any:
    return sa.Column(
        "workspace_id",
        sa.String(64),
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    )


def _ts(name: str, nullable: bool = False) -> Any:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


class WorkspaceRow(SQLModel, table=True):
    """A Slack team (or "local" for the command line)."""

    __tablename__ = "workspaces"

    id: str = Field(sa_column=sa.Column("id", sa.String(64), primary_key=True))
    name: str | None = Field(default=None, sa_column=sa.Column("name", sa.String(200)))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts("created_at"))


class UserRow(SQLModel, table=True):
    """A Slack user of a workspace, with the name we show for them."""

    __tablename__ = "users"

    workspace_id: str = Field(
        sa_column=sa.Column(
            "workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    id: str = Field(sa_column=sa.Column("id", sa.String(64), primary_key=True))
    display_name: str | None = Field(default=None, sa_column=sa.Column("display_name", sa.String(200)))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts("updated_at"))


class DealRow(SQLModel, table=True):
    __tablename__ = "deals"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "name_key", name="uq_deals_workspace_name"),
        sa.CheckConstraint(_in("status", DEAL_STATUSES), name="status"),
        sa.Index("ix_deals_workspace_status_updated", "workspace_id", "status", "updated_at"),
        sa.Index("ix_deals_workspace_owner", "workspace_id", "owner_id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column("id", sa.Integer, primary_key=True))
    workspace_id: str = Field(sa_column=_workspace_fk())
    name: str = Field(sa_column=sa.Column("name", sa.String(200), nullable=False))
    # casefolded, whitespace-collapsed name: "Acme  Corp" and "acme corp" are one deal
    name_key: str = Field(sa_column=sa.Column("name_key", sa.String(200), nullable=False))
    owner_id: str | None = Field(default=None, sa_column=sa.Column("owner_id", sa.String(64)))
    channel_id: str | None = Field(default=None, sa_column=sa.Column("channel_id", sa.String(64)))
    stage: str | None = Field(default=None, sa_column=sa.Column("stage", sa.String(100)))
    amount: Decimal | None = Field(default=None, sa_column=sa.Column("amount", sa.Numeric(14, 2)))
    status: str = Field(
        default="open",
        sa_column=sa.Column("status", sa.String(8), nullable=False, server_default="open"),
    )
    closed_at: datetime | None = Field(default=None, sa_column=_ts("closed_at", nullable=True))
    call_count: int = Field(
        default=0, sa_column=sa.Column("call_count", sa.Integer, nullable=False, server_default="0")
    )
    # final probability of the latest call, and its change from the call before (or, for a
    # deal with one call, from that call's first turn to its last)
    latest_probability: float | None = Field(default=None, sa_column=sa.Column("latest_probability", sa.Float))
    trend: float | None = Field(default=None, sa_column=sa.Column("trend", sa.Float))
    last_call_at: datetime | None = Field(default=None, sa_column=_ts("last_call_at", nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts("created_at"))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts("updated_at"))


class CallRow(SQLModel, table=True):
    """One scored conversation: where it came from, its (redacted) text and its summary scores."""

    __tablename__ = "calls"
    __table_args__ = (
        sa.CheckConstraint(_in("source", CALL_SOURCES), name="source"),
        sa.Index("ix_calls_workspace_created", "workspace_id", "created_at"),
        sa.Index("ix_calls_deal_created", "deal_id", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column("id", sa.Integer, primary_key=True))
    workspace_id: str = Field(sa_column=_workspace_fk())
    deal_id: int | None = Field(
        default=None,
        sa_column=sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE")),
    )
    source: str = Field(sa_column=sa.Column("source", sa.String(16), nullable=False))
    user_id: str | None = Field(default=None, sa_column=sa.Column("user_id", sa.String(64)))
    channel_id: str | None = Field(default=None, sa_column=sa.Column("channel_id", sa.String(64)))
    thread_ts: str | None = Field(default=None, sa_column=sa.Column("thread_ts", sa.String(32)))
    transcript_text: str | None = Field(default=None, sa_column=sa.Column("transcript_text", sa.Text))
    transcript_purged_at: datetime | None = Field(
        default=None, sa_column=_ts("transcript_purged_at", nullable=True)
    )
    format: str = Field(sa_column=sa.Column("format", sa.String(32), nullable=False))
    roles_decided_by: str = Field(
        default="", sa_column=sa.Column("roles_decided_by", sa.Text, nullable=False, server_default="")
    )
    model_id: str = Field(
        default="", sa_column=sa.Column("model_id", sa.String(200), nullable=False, server_default="")
    )
    model_info: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column("model_info", sa.JSON, nullable=False)
    )
    status: str = Field(
        default="", sa_column=sa.Column("status", sa.String(32), nullable=False, server_default="")
    )
    turn_count: int = Field(sa_column=sa.Column("turn_count", sa.Integer, nullable=False))
    first_probability: float = Field(sa_column=sa.Column("first_probability", sa.Float, nullable=False))
    final_probability: float = Field(sa_column=sa.Column("final_probability", sa.Float, nullable=False))
    final_uncertainty: float = Field(sa_column=sa.Column("final_uncertainty", sa.Float, nullable=False))
    final_in_distribution: float = Field(
        sa_column=sa.Column("final_in_distribution", sa.Float, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts("created_at"))


class TurnScoreRow(SQLModel, table=True):
    """One turn of a call and the agent's view after it."""

    __tablename__ = "turn_scores"
    __table_args__ = (
        sa.CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
    )

    call_id: int = Field(
        sa_column=sa.Column(
            "call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
        )
    )
    idx: int = Field(sa_column=sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False))
    speaker: str = Field(sa_column=sa.Column("speaker", sa.String(200), nullable=False))
    role: str = Field(sa_column=sa.Column("role", sa.String(16), nullable=False))
    text: str | None = Field(default=None, sa_column=sa.Column("text", sa.Text))  # NULL once purged
    start: float | None = Field(default=None, sa_column=sa.Column("start", sa.Float))
    is_note: bool = Field(
        default=False, sa_column=sa.Column("is_note", sa.Boolean, nullable=False, server_default=sa.false())
    )
    probability: float = Field(sa_column=sa.Column("probability", sa.Float, nullable=False))
    uncertainty: float = Field(sa_column=sa.Column("uncertainty", sa.Float, nullable=False))
    in_distribution: float = Field(sa_column=sa.Column("in_distribution", sa.Float, nullable=False))
    action_values: list[float] | None = Field(default=None, sa_column=sa.Column("action_values", sa.JSON))


class TipRow(SQLModel, table=True):
    __tablename__ = "tips"
    __table_args__ = (sa.UniqueConstraint("call_id", "position", name="uq_tips_call_position"),)

    id: int | None = Field(default=None, sa_column=sa.Column("id", sa.Integer, primary_key=True))
    call_id: int = Field(
        sa_column=sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False)
    )
    position: int = Field(sa_column=sa.Column("position", sa.Integer, nullable=False))
    kind: str = Field(sa_column=sa.Column("kind", sa.String(32), nullable=False))
    turn_index: int | None = Field(default=None, sa_column=sa.Column("turn_index", sa.Integer))
    text: str = Field(sa_column=sa.Column("text", sa.Text, nullable=False))


class FlagRow(SQLModel, table=True):
    """A rep or manager flagged a deal or call for attention; cleared when handled."""

    __tablename__ = "flags"
    __table_args__ = (
        sa.CheckConstraint("deal_id IS NOT NULL OR call_id IS NOT NULL", name="target"),
        sa.Index(
            "ix_flags_workspace_open",
            "workspace_id",
            "created_at",
            sqlite_where=sa.text("cleared_at IS NULL"),
            postgresql_where=sa.text("cleared_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_column=sa.Column("id", sa.Integer, primary_key=True))
    workspace_id: str = Field(sa_column=_workspace_fk())
    deal_id: int | None = Field(
        default=None,
        sa_column=sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), index=True),
    )
    call_id: int | None = Field(
        default=None,
        sa_column=sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), index=True),
    )
    turn_index: int | None = Field(default=None, sa_column=sa.Column("turn_index", sa.Integer))
    reason: str = Field(sa_column=sa.Column("reason", sa.Text, nullable=False))
    flagged_by: str | None = Field(default=None, sa_column=sa.Column("flagged_by", sa.String(64)))
    channel_id: str | None = Field(default=None, sa_column=sa.Column("channel_id", sa.String(64)))
    thread_ts: str | None = Field(default=None, sa_column=sa.Column("thread_ts", sa.String(32)))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts("created_at"))
    cleared_at: datetime | None = Field(default=None, sa_column=_ts("cleared_at", nullable=True))
    cleared_by: str | None = Field(default=None, sa_column=sa.Column("cleared_by", sa.String(64)))


class QuestionRow(SQLModel, table=True):
    """A question someone asked about a call or deal."""

    __tablename__ = "questions"
    __table_args__ = (sa.Index("ix_questions_workspace_created", "workspace_id", "created_at"),)

    id: int | None = Field(default=None, sa_column=sa.Column("id", sa.Integer, primary_key=True))
    workspace_id: str = Field(sa_column=_workspace_fk())
    deal_id: int | None = Field(
        default=None,
        sa_column=sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), index=True),
    )
    call_id: int | None = Field(
        default=None,
        sa_column=sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), index=True),
    )
    asked_by: str | None = Field(default=None, sa_column=sa.Column("asked_by", sa.String(64)))
    text: str = Field(sa_column=sa.Column("text", sa.Text, nullable=False))
    channel_id: str | None = Field(default=None, sa_column=sa.Column("channel_id", sa.String(64)))
    thread_ts: str | None = Field(default=None, sa_column=sa.Column("thread_ts", sa.String(32)))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts("created_at"))


class AnswerRow(SQLModel, table=True):
    __tablename__ = "answers"

    id: int | None = Field(default=None, sa_column=sa.Column("id", sa.Integer, primary_key=True))
    question_id: int = Field(
        sa_column=sa.Column(
            "question_id", sa.Integer, sa.ForeignKey("questions.id", ondelete="CASCADE"),
            nullable=False, index=True,
        )
    )
    text: str = Field(sa_column=sa.Column("text", sa.Text, nullable=False))
    model_id: str | None = Field(default=None, sa_column=sa.Column("model_id", sa.String(200)))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts("created_at"))


class DigestSubscriptionRow(SQLModel, table=True):
    """A channel that receives a digest on a schedule."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (
        sa.CheckConstraint(_in("cadence", DIGEST_CADENCES), name="cadence"),
        sa.CheckConstraint("weekday IS NULL OR (weekday >= 0 AND weekday <= 6)", name="weekday"),
        sa.CheckConstraint("hour >= 0 AND hour <= 23", name="hour"),
        sa.Index("ix_digest_subscriptions_workspace", "workspace_id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column("id", sa.Integer, primary_key=True))
    workspace_id: str = Field(sa_column=_workspace_fk())
    channel_id: str = Field(sa_column=sa.Column("channel_id", sa.String(64), nullable=False))
    cadence: str = Field(sa_column=sa.Column("cadence", sa.String(8), nullable=False))
    weekday: int | None = Field(default=None, sa_column=sa.Column("weekday", sa.Integer))  # 0 = Monday
    hour: int = Field(sa_column=sa.Column("hour", sa.Integer, nullable=False))
    timezone: str = Field(
        default="UTC", sa_column=sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC")
    )
    owner_id: str | None = Field(default=None, sa_column=sa.Column("owner_id", sa.String(64)))
    created_by: str | None = Field(default=None, sa_column=sa.Column("created_by", sa.String(64)))
    active: bool = Field(
        default=True, sa_column=sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true())
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts("created_at"))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts("updated_at"))


class DigestRunRow(SQLModel, table=True):
    """One digest of one subscription for one period: claimed by a process, then posted."""

    __tablename__ = "digest_runs"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "period_key", name="uq_digest_runs_subscription_period"),
        sa.CheckConstraint(_in("state", DIGEST_RUN_STATES), name="state"),
        sa.Index("ix_digest_runs_workspace", "workspace_id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column("id", sa.Integer, primary_key=True))
    workspace_id: str = Field(sa_column=_workspace_fk())
    subscription_id: int = Field(
        sa_column=sa.Column(
            "subscription_id", sa.Integer,
            sa.ForeignKey("digest_subscriptions.id", ondelete="CASCADE"), nullable=False,
        )
    )
    period_key: str = Field(sa_column=sa.Column("period_key", sa.String(64), nullable=False))
    state: str = Field(sa_column=sa.Column("state", sa.String(8), nullable=False))
    claimed_at: datetime = Field(sa_column=_ts("claimed_at"))
    claim_count: int = Field(
        default=1, sa_column=sa.Column("claim_count", sa.Integer, nullable=False, server_default="1")
    )
    posted_at: datetime | None = Field(default=None, sa_column=_ts("posted_at", nullable=True))
    message_ts: str | None = Field(default=None, sa_column=sa.Column("message_ts", sa.String(32)))


class ProcessedEventRow(SQLModel, table=True):
    """A Slack event id already handled: Slack retries deliveries, the bot acts once."""

    __tablename__ = "processed_events"
    __table_args__ = (sa.Index("ix_processed_events_processed_at", "processed_at"),)

    workspace_id: str = Field(
        sa_column=sa.Column(
            "workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    event_id: str = Field(sa_column=sa.Column("event_id", sa.String(128), primary_key=True))
    processed_at: datetime = Field(default_factory=utcnow, sa_column=_ts("processed_at"))


class SeenRequestRow(SQLModel, table=True):
    """A signed Slack request already received (the SHA-256 of its signature), kept for the five
    minutes a signature is valid, so an exact copy is refused by every process sharing the database."""

    __tablename__ = "seen_requests"
    __table_args__ = (sa.Index("ix_seen_requests_seen_at", "seen_at"),)

    digest: str = Field(sa_column=sa.Column("digest", sa.String(64), primary_key=True))
    seen_at: datetime = Field(default_factory=utcnow, sa_column=_ts("seen_at"))


LIVE_SESSION_STATES = ("open", "ending", "ended")


class WorkspaceConfigRow(SQLModel, table=True):
    """A workspace's choices for flags and live alerts; a missing row or NULL means the default."""

    __tablename__ = "workspace_configs"
    __table_args__ = (
        sa.CheckConstraint("flag_threshold IS NULL OR (flag_threshold >= 0 AND flag_threshold <= 1)",
                           name="flag_threshold"),
        sa.CheckConstraint("drop_threshold IS NULL OR (drop_threshold > 0 AND drop_threshold <= 1)",
                           name="drop_threshold"),
    )

    workspace_id: str = Field(
        sa_column=sa.Column(
            "workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    review_channel_id: str | None = Field(default=None, sa_column=sa.Column("review_channel_id", sa.String(64)))
    flag_threshold: float | None = Field(default=None, sa_column=sa.Column("flag_threshold", sa.Float))
    drop_threshold: float | None = Field(default=None, sa_column=sa.Column("drop_threshold", sa.Float))
    # Slack user ids who may change these settings besides the workspace's admins and owners
    admin_user_ids: list[str] | None = Field(default=None, sa_column=sa.Column("admin_user_ids", sa.JSON))
    updated_by: str | None = Field(default=None, sa_column=sa.Column("updated_by", sa.String(64)))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts("updated_at"))


class LiveSessionRow(SQLModel, table=True):
    """A conversation scored as it happens in a Slack thread, until it is ended and saved as a call."""

    __tablename__ = "live_sessions"
    __table_args__ = (
        sa.CheckConstraint(_in("state", LIVE_SESSION_STATES), name="state"),
        # one session at a time per thread; an ended one leaves room for the next
        sa.Index(
            "ix_live_sessions_open_thread",
            "workspace_id", "channel_id", "thread_ts",
            unique=True,
            sqlite_where=sa.text("state <> 'ended'"),
            postgresql_where=sa.text("state <> 'ended'"),
        ),
        sa.Index("ix_live_sessions_thread", "workspace_id", "channel_id", "thread_ts"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column("id", sa.Integer, primary_key=True))
    workspace_id: str = Field(sa_column=_workspace_fk())
    deal_id: int = Field(
        sa_column=sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), nullable=False)
    )
    channel_id: str = Field(sa_column=sa.Column("channel_id", sa.String(64), nullable=False))
    thread_ts: str = Field(sa_column=sa.Column("thread_ts", sa.String(32), nullable=False))
    card_ts: str = Field(sa_column=sa.Column("card_ts", sa.String(32), nullable=False))
    started_by: str | None = Field(default=None, sa_column=sa.Column("started_by", sa.String(64)))
    reps: list[str] = Field(default_factory=list, sa_column=sa.Column("reps", sa.JSON, nullable=False))
    state: str = Field(
        default="open", sa_column=sa.Column("state", sa.String(8), nullable=False, server_default="open")
    )
    turn_count: int = Field(
        default=0, sa_column=sa.Column("turn_count", sa.Integer, nullable=False, server_default="0")
    )
    last_event_ts: str | None = Field(default=None, sa_column=sa.Column("last_event_ts", sa.String(32)))
    last_alert_turn: int | None = Field(default=None, sa_column=sa.Column("last_alert_turn", sa.Integer))
    call_id: int | None = Field(
        default=None,
        sa_column=sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="SET NULL")),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts("created_at"))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts("updated_at"))
    ended_at: datetime | None = Field(default=None, sa_column=_ts("ended_at", nullable=True))


class LiveTurnRow(SQLModel, table=True):
    """One turn of an open live session, with its embedding, so any process can rebuild the
    session without embedding its turns again. Deleted when the session is saved as a call."""

    __tablename__ = "live_turns"

    session_id: int = Field(
        sa_column=sa.Column(
            "session_id", sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True
        )
    )
    idx: int = Field(sa_column=sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False))
    event_ts: str = Field(sa_column=sa.Column("event_ts", sa.String(32), nullable=False))
    posted_by: str | None = Field(default=None, sa_column=sa.Column("posted_by", sa.String(64)))
    speaker: str = Field(sa_column=sa.Column("speaker", sa.String(200), nullable=False))
    role: str = Field(sa_column=sa.Column("role", sa.String(16), nullable=False))
    text: str = Field(sa_column=sa.Column("text", sa.Text, nullable=False))
    is_note: bool = Field(
        default=False, sa_column=sa.Column("is_note", sa.Boolean, nullable=False, server_default=sa.false())
    )
    probability: float = Field(sa_column=sa.Column("probability", sa.Float, nullable=False))
    uncertainty: float = Field(sa_column=sa.Column("uncertainty", sa.Float, nullable=False))
    in_distribution: float = Field(sa_column=sa.Column("in_distribution", sa.Float, nullable=False))
    action_values: list[float] | None = Field(default=None, sa_column=sa.Column("action_values", sa.JSON))
    embedding: bytes = Field(sa_column=sa.Column("embedding", sa.LargeBinary, nullable=False))


class PendingCallRow(SQLModel, table=True):
    """A call asked for in Slack, from the moment it is accepted until its answer is delivered (or the
    asker is told it could not be). A process that dies while scoring or posting leaves its rows
    behind; another process, or the same one restarted, takes them over (bot.slack.pending): it
    scores the call again, or, when the call was saved already (`call_id`), tells the asker where it
    is. `text` is the pasted transcript, redacted; a file is downloaded from Slack again instead."""

    __tablename__ = "pending_calls"
    __table_args__ = (sa.Index("ix_pending_calls_claimed_at", "claimed_at"),)

    id: int | None = Field(default=None, sa_column=sa.Column("id", sa.Integer, primary_key=True))
    workspace_id: str = Field(sa_column=_workspace_fk())
    request: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column("request", sa.JSON, nullable=False))
    text: str | None = Field(default=None, sa_column=sa.Column("text", sa.Text))
    call_id: int | None = Field(
        default=None,
        sa_column=sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE")),
    )
    owner: str = Field(sa_column=sa.Column("owner", sa.String(200), nullable=False))
    attempts: int = Field(
        default=1, sa_column=sa.Column("attempts", sa.Integer, nullable=False, server_default="1")
    )
    claimed_at: datetime = Field(default_factory=utcnow, sa_column=_ts("claimed_at"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts("created_at"))
