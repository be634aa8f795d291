"""The tables that keep everything the bot learns, as SQLAlchemy Core tables.

Every row that belongs to a Slack team carries ``workspace_id`` (turn scores, tips and answers
belong to a call or question that does). Deal rows also keep the latest probability and trend so
that deal lists and digests never have to scan turn scores.

These tables are the storage schema, used only inside ``bot.store``: the repositories read and write
them with Core statements and hand out frozen dataclasses, each defined beside its repository, as the
one representation of a record. (They were SQLModel classes, but every column was an `sa_column`,
nothing used them as models, and a copy of each record existed as a dataclass and a row converter
besides: three shapes of one record. Core tables keep the exact DDL with one shape for the schema and
one for what callers get: immutable values that can never lazy-load or be written back by accident,
and that a row converts to positionally, which a digest listing thousands of deals relies on.)
A change here needs an Alembic migration in ``bot/migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

# Named constraints keep migrations portable (SQLite batch mode needs names to drop them).
metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

DEAL_STATUSES = ("open", "won", "lost")
CRMS = ("hubspot", "salesforce")
OUTCOME_SOURCES = ("manual", *CRMS)  # who recorded a deal's outcome
CRM_LINK_KINDS = ("explicit", "name")  # linked by someone's command, or by names equal once normalised
CALL_SOURCES = ("slash_command", "file", "shortcut", "live_session", "cli", "ingest", "zoom")
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


# A Slack team (or "local" for the command line).
WORKSPACES = sa.Table(
    "workspaces",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200)),
    _ts("created_at"),
)


# A Slack user of a workspace, with the name we show for them.
USERS = sa.Table(
    "users",
    metadata,
    sa.Column(
        "workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(200)),
    _ts("updated_at"),
)


DEALS = sa.Table(
    "deals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _workspace_fk(),
    sa.Column("name", sa.String(200), nullable=False),
    # casefolded, whitespace-collapsed name: "Acme  Corp" and "acme corp" are one deal
    sa.Column("name_key", sa.String(200), nullable=False),
    sa.Column("owner_id", sa.String(64)),
    sa.Column("channel_id", sa.String(64)),
    sa.Column("stage", sa.String(100)),
    sa.Column("amount", sa.Numeric(14, 2)),
    sa.Column("currency", sa.String(3)),  # ISO 4217, when a CRM says; NULL: the team's one currency
    sa.Column("close_date", sa.Date),  # expected, as the team set it (closed_at: when it did close)
    sa.Column("status", sa.String(8), nullable=False, server_default="open"),
    _ts("closed_at", nullable=True),
    sa.Column("outcome_source", sa.String(16)),  # who closed it: manual, hubspot or salesforce
    sa.Column("call_count", sa.Integer, nullable=False, server_default="0"),
    # final probability of the latest call, and its change from the call before (or, for a
    # deal with one call, from that call's first turn to its last)
    sa.Column("latest_probability", sa.Float),
    sa.Column("trend", sa.Float),
    _ts("last_call_at", nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
    sa.UniqueConstraint("workspace_id", "name_key", name="uq_deals_workspace_name"),
    sa.CheckConstraint(_in("status", DEAL_STATUSES), name="status"),
    sa.CheckConstraint(f"outcome_source IS NULL OR {_in('outcome_source', OUTCOME_SOURCES)}", name="outcome_source"),
    sa.Index("ix_deals_workspace_status_updated", "workspace_id", "status", "updated_at"),
    sa.Index("ix_deals_workspace_owner", "workspace_id", "owner_id"),
)


# One scored conversation: where it came from, its (redacted) text and its summary scores.
CALLS = sa.Table(
    "calls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _workspace_fk(),
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE")),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("user_id", sa.String(64)),
    sa.Column("channel_id", sa.String(64)),
    sa.Column("thread_ts", sa.String(32)),
    sa.Column("transcript_text", sa.Text),
    _ts("transcript_purged_at", nullable=True),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("roles_decided_by", sa.Text, nullable=False, server_default=""),
    sa.Column("model_id", sa.String(200), nullable=False, server_default=""),
    sa.Column("model_info", sa.JSON, nullable=False),
    sa.Column("status", sa.String(32), nullable=False, server_default=""),
    sa.Column("turn_count", sa.Integer, nullable=False),
    sa.Column("first_probability", sa.Float, nullable=False),
    sa.Column("final_probability", sa.Float, nullable=False),
    sa.Column("final_uncertainty", sa.Float, nullable=False),
    sa.Column("final_in_distribution", sa.Float, nullable=False),
    _ts("created_at"),
    sa.CheckConstraint(_in("source", CALL_SOURCES), name="source"),
    sa.Index("ix_calls_workspace_created", "workspace_id", "created_at"),
    sa.Index("ix_calls_deal_created", "deal_id", "created_at"),
)


# One turn of a call and the agent's view after it.
TURN_SCORES = sa.Table(
    "turn_scores",
    metadata,
    sa.Column(
        "call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("speaker", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("text", sa.Text),  # NULL once purged
    sa.Column("start", sa.Float),
    sa.Column("is_note", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("uncertainty", sa.Float, nullable=False),
    sa.Column("in_distribution", sa.Float, nullable=False),
    sa.Column("action_values", sa.JSON),
    sa.CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
)


TIPS = sa.Table(
    "tips",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("turn_index", sa.Integer),
    sa.Column("text", sa.Text, nullable=False),
    sa.UniqueConstraint("call_id", "position", name="uq_tips_call_position"),
)


# A rep or manager flagged a deal or call for attention; cleared when handled.
FLAGS = sa.Table(
    "flags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _workspace_fk(),
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), index=True),
    sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), index=True),
    sa.Column("turn_index", sa.Integer),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("flagged_by", sa.String(64)),
    sa.Column("channel_id", sa.String(64)),
    sa.Column("thread_ts", sa.String(32)),
    _ts("created_at"),
    _ts("cleared_at", nullable=True),
    sa.Column("cleared_by", sa.String(64)),
    sa.CheckConstraint("deal_id IS NOT NULL OR call_id IS NOT NULL", name="target"),
    sa.Index(
        "ix_flags_workspace_open",
        "workspace_id",
        "created_at",
        sqlite_where=sa.text("cleared_at IS NULL"),
        postgresql_where=sa.text("cleared_at IS NULL"),
    ),
)


# A question someone asked about a call or deal.
QUESTIONS = sa.Table(
    "questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _workspace_fk(),
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), index=True),
    sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), index=True),
    sa.Column("asked_by", sa.String(64)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("channel_id", sa.String(64)),
    sa.Column("thread_ts", sa.String(32)),
    _ts("created_at"),
    sa.Index("ix_questions_workspace_created", "workspace_id", "created_at"),
)


ANSWERS = sa.Table(
    "answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "question_id", sa.Integer, sa.ForeignKey("questions.id", ondelete="CASCADE"),
        nullable=False, index=True,
    ),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("model_id", sa.String(200)),
    _ts("created_at"),
)


# A channel that receives a digest on a schedule.
DIGEST_SUBSCRIPTIONS = sa.Table(
    "digest_subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _workspace_fk(),
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("cadence", sa.String(8), nullable=False),
    sa.Column("weekday", sa.Integer),  # 0 = Monday
    sa.Column("hour", sa.Integer, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("owner_id", sa.String(64)),
    sa.Column("created_by", sa.String(64)),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    _ts("created_at"),
    _ts("updated_at"),
    sa.CheckConstraint(_in("cadence", DIGEST_CADENCES), name="cadence"),
    sa.CheckConstraint("weekday IS NULL OR (weekday >= 0 AND weekday <= 6)", name="weekday"),
    sa.CheckConstraint("hour >= 0 AND hour <= 23", name="hour"),
    sa.Index("ix_digest_subscriptions_workspace", "workspace_id"),
)


# One digest of one subscription for one period: claimed by a process, then posted.
DIGEST_RUNS = sa.Table(
    "digest_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _workspace_fk(),
    sa.Column(
        "subscription_id", sa.Integer,
        sa.ForeignKey("digest_subscriptions.id", ondelete="CASCADE"), nullable=False,
    ),
    sa.Column("period_key", sa.String(64), nullable=False),
    sa.Column("state", sa.String(8), nullable=False),
    _ts("claimed_at"),
    sa.Column("claim_count", sa.Integer, nullable=False, server_default="1"),
    _ts("posted_at", nullable=True),
    sa.Column("message_ts", sa.String(32)),
    sa.UniqueConstraint("subscription_id", "period_key", name="uq_digest_runs_subscription_period"),
    sa.CheckConstraint(_in("state", DIGEST_RUN_STATES), name="state"),
    sa.Index("ix_digest_runs_workspace", "workspace_id"),
)


# A Slack event id already handled: Slack retries deliveries, the bot acts once.
PROCESSED_EVENTS = sa.Table(
    "processed_events",
    metadata,
    sa.Column(
        "workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("event_id", sa.String(128), primary_key=True),
    _ts("processed_at"),
    sa.Index("ix_processed_events_processed_at", "processed_at"),
)


# A signed Slack request already received (the SHA-256 of its signature), kept for the five
# minutes a signature is valid, so an exact copy is refused by every process sharing the database.
SEEN_REQUESTS = sa.Table(
    "seen_requests",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    _ts("seen_at"),
    sa.Index("ix_seen_requests_seen_at", "seen_at"),
)


# API tokens of `POST /ingest`, one workspace each; only a SHA-256 of the token is kept
INGEST_TOKENS = sa.Table(
    "ingest_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _workspace_fk(),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("label", sa.String(200), nullable=False, server_default=""),
    _ts("created_at"),
    _ts("revoked_at", nullable=True),
    sa.UniqueConstraint("token_hash", name="uq_ingest_tokens_token_hash"),
)


# A Zoom transcript (bot.zoom), claimed once by its recording file's id across every process: while it is
# downloaded and scored ("claimed"), while its host picks a deal ("awaiting_deal", its redacted text kept
# until then), once it is a call ("filed"), or when it could not be taken ("failed": a copy may try again)
ZOOM_RECORDING_STATES = ("claimed", "awaiting_deal", "filed", "failed")
ZOOM_RECORDINGS = sa.Table(
    "zoom_recordings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _workspace_fk(),
    sa.Column("recording_id", sa.String(200), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("topic", sa.String(300), nullable=False, server_default=""),
    sa.Column("host_user_id", sa.String(64)),
    sa.Column("transcript_text", sa.Text),
    sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="SET NULL")),
    _ts("received_at"),
    _ts("updated_at"),
    sa.UniqueConstraint("workspace_id", "recording_id", name="uq_zoom_recordings_workspace_recording"),
    sa.CheckConstraint(_in("state", ZOOM_RECORDING_STATES), name="state"),
)

# A deal or opportunity of a workspace's CRM as the last sync saw it, and the SalesRL deal it is linked
# to (bot.crm). `written`: what write-back last wrote into it, so an unchanged value is not written again.
CRM_DEALS = sa.Table(
    "crm_deals",
    metadata,
    sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("crm", sa.String(16), primary_key=True),
    sa.Column("crm_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("match_key", sa.String(200), nullable=False),  # bot.crm.matching.match_key of the name
    sa.Column("amount", sa.Numeric(14, 2)),
    sa.Column("currency", sa.String(3)),
    sa.Column("stage", sa.String(100)),  # as people see it (HubSpot: the stage's label)
    # the stage's id in the CRM (HubSpot's pipeline stage id; Salesforce's StageName): a stage renamed keeps it.
    # NULL for a deal stored before ids were kept, whose `stage` holds the id or the label (bot.store.crm)
    sa.Column("stage_id", sa.String(100)),
    sa.Column("close_date", sa.Date),
    sa.Column("owner", sa.String(64)),  # the CRM's owner id (not a Slack user)
    sa.Column("status", sa.String(8), nullable=False),
    _ts("modified_at"),
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="SET NULL")),
    sa.Column("linked_by", sa.String(8)),
    sa.Column("written", sa.JSON),
    _ts("written_at", nullable=True),
    # the e-mail domains of the deal's contacts (sorted; never their addresses), for matching Zoom meetings
    sa.Column("contact_domains", sa.JSON),
    # the ids the CRM names those contacts by (HubSpot: contact ids; Salesforce: contact role ids): a contact
    # that leaves the deal is found among them, as the CRM no longer links the two. NULL: not read since they were
    # kept (bot.crm.sync reads them at its first sync that reads contact changes)
    sa.Column("contact_ids", sa.JSON),
    sa.UniqueConstraint("workspace_id", "crm", "deal_id", name="uq_crm_deals_workspace_crm_deal"),
    sa.CheckConstraint(_in("crm", CRMS), name="crm"),
    sa.CheckConstraint(_in("status", DEAL_STATUSES), name="status"),
    sa.CheckConstraint(f"linked_by IS NULL OR {_in('linked_by', CRM_LINK_KINDS)}", name="linked_by"),
    sa.Index("ix_crm_deals_match", "workspace_id", "crm", "match_key"),
)


# A change of a CRM deal's stage as the sync saw it (`changed_at`: the deal's modification time in the
# CRM), for the digest's "stage changes this week".
CRM_STAGE_CHANGES = sa.Table(
    "crm_stage_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.String(64), nullable=False),
    sa.Column("crm", sa.String(16), nullable=False),
    sa.Column("crm_id", sa.String(64), nullable=False),
    sa.Column("from_stage", sa.String(100)),
    sa.Column("to_stage", sa.String(100)),
    _ts("changed_at"),
    sa.ForeignKeyConstraint(["workspace_id", "crm", "crm_id"],
                            ["crm_deals.workspace_id", "crm_deals.crm", "crm_deals.crm_id"], ondelete="CASCADE"),
    sa.Index("ix_crm_stage_changes_when", "workspace_id", "changed_at"),
)


# Each workspace's sync with each CRM: how far it has read (deals modified since `modified_since`), the
# claim of the process running it (several replicas sync once), when it is due and how its last run ended.
CRM_SYNCS = sa.Table(
    "crm_syncs",
    metadata,
    sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("crm", sa.String(16), primary_key=True),
    _ts("modified_since", nullable=True),
    _ts("contacts_since", nullable=True),  # and the deals' contacts changed since then (bot.crm.sync)
    _ts("next_run_at", nullable=True),
    _ts("claimed_until", nullable=True),
    sa.Column("claimed_by", sa.String(200)),
    _ts("succeeded_at", nullable=True),
    sa.Column("last_error", sa.Text),  # NULL after a run that succeeded
    sa.CheckConstraint(_in("crm", CRMS), name="crm"),
)


# A CRM owner the sync found no Slack user for (the CRM had no e-mail for them, or Slack no user with it), and
# when: the sync does not ask again for a while (bot.crm.sync). Their e-mail address is not kept.
CRM_OWNER_MISSES = sa.Table(
    "crm_owner_misses",
    metadata,
    sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("crm", sa.String(16), primary_key=True),
    sa.Column("owner", sa.String(64), primary_key=True),  # the CRM's owner id
    _ts("missed_at"),
    sa.CheckConstraint(_in("crm", CRMS), name="crm"),
)


LIVE_SESSION_STATES = ("open", "ending", "ended")


# A workspace's choices for flags and live alerts; a missing row or NULL means the default.
WORKSPACE_CONFIGS = sa.Table(
    "workspace_configs",
    metadata,
    sa.Column(
        "workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("review_channel_id", sa.String(64)),
    sa.Column("flag_threshold", sa.Float),
    sa.Column("drop_threshold", sa.Float),
    # Slack user ids who may change these settings besides the workspace's admins and owners
    sa.Column("admin_user_ids", sa.JSON),
    # write the latest score and open gaps back into the workspace's CRM (bot.crm.writeback); NULL: off
    sa.Column("crm_writeback", sa.Boolean),
    sa.Column("updated_by", sa.String(64)),
    _ts("updated_at"),
    sa.CheckConstraint("flag_threshold IS NULL OR (flag_threshold >= 0 AND flag_threshold <= 1)",
                       name="flag_threshold"),
    sa.CheckConstraint("drop_threshold IS NULL OR (drop_threshold > 0 AND drop_threshold <= 1)",
                       name="drop_threshold"),
)


# A conversation scored as it happens in a Slack thread, until it is ended and saved as a call.
LIVE_SESSIONS = sa.Table(
    "live_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _workspace_fk(),
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("thread_ts", sa.String(32), nullable=False),
    sa.Column("card_ts", sa.String(32), nullable=False),
    sa.Column("started_by", sa.String(64)),
    sa.Column("reps", sa.JSON, nullable=False),
    sa.Column("state", sa.String(8), nullable=False, server_default="open"),
    sa.Column("turn_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_event_ts", sa.String(32)),
    sa.Column("last_alert_turn", sa.Integer),
    sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="SET NULL")),
    _ts("created_at"),
    _ts("updated_at"),
    _ts("ended_at", nullable=True),
    sa.CheckConstraint(_in("state", LIVE_SESSION_STATES), name="state"),
    sa.Index(
        "ix_live_sessions_open_thread",
        "workspace_id", "channel_id", "thread_ts",
        unique=True,
        sqlite_where=sa.text("state <> 'ended'"),
        postgresql_where=sa.text("state <> 'ended'"),
    ),
    sa.Index("ix_live_sessions_thread", "workspace_id", "channel_id", "thread_ts"),
)


# One turn of an open live session, with its embedding, so any process can rebuild the
# session without embedding its turns again. Deleted when the session is saved as a call.
LIVE_TURNS = sa.Table(
    "live_turns",
    metadata,
    sa.Column(
        "session_id", sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("event_ts", sa.String(32), nullable=False),
    sa.Column("posted_by", sa.String(64)),
    sa.Column("speaker", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("is_note", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("uncertainty", sa.Float, nullable=False),
    sa.Column("in_distribution", sa.Float, nullable=False),
    sa.Column("action_values", sa.JSON),
    sa.Column("embedding", sa.LargeBinary, nullable=False),
)


# A call asked for in Slack, from the moment it is accepted until its answer is delivered (or the
# asker is told it could not be). A process that dies while scoring or posting leaves its rows
# behind; another process, or the same one restarted, takes them over (bot.slack.pending): it
# scores the call again, or, when the call was saved already (`call_id`), tells the asker where it
# is. `text` is the pasted transcript, redacted; a file is downloaded from Slack again instead.
PENDING_CALLS = sa.Table(
    "pending_calls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _workspace_fk(),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("text", sa.Text),
    sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE")),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    _ts("claimed_at"),
    _ts("created_at"),
    sa.Index("ix_pending_calls_claimed_at", "claimed_at"),
)
