"""Initial schema: workspaces, users, deals, calls with turn scores and tips, flags, questions
and answers, digest subscriptions and runs, processed Slack events.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Timestamps are UTC (bot.store.tables.UTCDateTime); migrations use the plain type so they
# never depend on application code that may change later.
TS = sa.DateTime(timezone=True)


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"], ["workspaces.id"], name=f"fk_{table}_workspace_id_workspaces", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
    )
    op.create_table(
        "users",
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        _workspace_fk("users"),
        sa.PrimaryKeyConstraint("workspace_id", "id", name="pk_users"),
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=True),
        sa.Column("channel_id", sa.String(64), nullable=True),
        sa.Column("stage", sa.String(100), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("status", sa.String(8), server_default="open", nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("call_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("latest_probability", sa.Float(), nullable=True),
        sa.Column("trend", sa.Float(), nullable=True),
        sa.Column("last_call_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("status IN ('open', 'won', 'lost')", name="ck_deals_status"),
        _workspace_fk("deals"),
        sa.PrimaryKeyConstraint("id", name="pk_deals"),
        sa.UniqueConstraint("workspace_id", "name_key", name="uq_deals_workspace_name"),
    )
    op.create_index("ix_deals_workspace_owner", "deals", ["workspace_id", "owner_id"])
    op.create_index("ix_deals_workspace_status_updated", "deals", ["workspace_id", "status", "updated_at"])

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("channel_id", sa.String(64), nullable=True),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("transcript_text", sa.Text(), nullable=True),
        sa.Column("transcript_purged_at", TS, nullable=True),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("roles_decided_by", sa.Text(), server_default="", nullable=False),
        sa.Column("model_id", sa.String(200), server_default="", nullable=False),
        sa.Column("model_info", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(32), server_default="", nullable=False),
        sa.Column("turn_count", sa.Integer(), nullable=False),
        sa.Column("first_probability", sa.Float(), nullable=False),
        sa.Column("final_probability", sa.Float(), nullable=False),
        sa.Column("final_uncertainty", sa.Float(), nullable=False),
        sa.Column("final_in_distribution", sa.Float(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(
            "source IN ('slash_command', 'file', 'shortcut', 'live_session', 'cli')", name="ck_calls_source"
        ),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name="fk_calls_deal_id_deals", ondelete="CASCADE"),
        _workspace_fk("calls"),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
    )
    # digests: calls of a period; deal view: a deal's calls in order
    op.create_index("ix_calls_workspace_created", "calls", ["workspace_id", "created_at"])
    op.create_index("ix_calls_deal_created", "calls", ["deal_id", "created_at"])

    op.create_table(
        "turn_scores",
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("speaker", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("is_note", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("uncertainty", sa.Float(), nullable=False),
        sa.Column("in_distribution", sa.Float(), nullable=False),
        sa.Column("action_values", sa.JSON(), nullable=True),
        sa.CheckConstraint("probability >= 0 AND probability <= 1", name="ck_turn_scores_probability"),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name="fk_turn_scores_call_id_calls", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("call_id", "idx", name="pk_turn_scores"),
    )
    op.create_table(
        "tips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("turn_index", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_tips_call_id_calls", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_tips"),
        sa.UniqueConstraint("call_id", "position", name="uq_tips_call_position"),
    )

    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("turn_index", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("flagged_by", sa.String(64), nullable=True),
        sa.Column("channel_id", sa.String(64), nullable=True),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("cleared_at", TS, nullable=True),
        sa.Column("cleared_by", sa.String(64), nullable=True),
        sa.CheckConstraint("deal_id IS NOT NULL OR call_id IS NOT NULL", name="ck_flags_target"),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_flags_call_id_calls", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name="fk_flags_deal_id_deals", ondelete="CASCADE"),
        _workspace_fk("flags"),
        sa.PrimaryKeyConstraint("id", name="pk_flags"),
    )
    op.create_index("ix_flags_call_id", "flags", ["call_id"])
    op.create_index("ix_flags_deal_id", "flags", ["deal_id"])
    # open flags of a workspace, for the digest
    op.create_index(
        "ix_flags_workspace_open",
        "flags",
        ["workspace_id", "created_at"],
        sqlite_where=sa.text("cleared_at IS NULL"),
        postgresql_where=sa.text("cleared_at IS NULL"),
    )

    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("asked_by", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=True),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_questions_call_id_calls", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name="fk_questions_deal_id_deals", ondelete="CASCADE"),
        _workspace_fk("questions"),
        sa.PrimaryKeyConstraint("id", name="pk_questions"),
    )
    op.create_index("ix_questions_call_id", "questions", ["call_id"])
    op.create_index("ix_questions_deal_id", "questions", ["deal_id"])
    op.create_index("ix_questions_workspace_created", "questions", ["workspace_id", "created_at"])

    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("model_id", sa.String(200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name="fk_answers_question_id_questions", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_answers"),
    )
    op.create_index("ix_answers_question_id", "answers", ["question_id"])

    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("cadence", sa.String(8), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), server_default="UTC", nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("cadence IN ('daily', 'weekly')", name="ck_digest_subscriptions_cadence"),
        sa.CheckConstraint("hour >= 0 AND hour <= 23", name="ck_digest_subscriptions_hour"),
        sa.CheckConstraint(
            "weekday IS NULL OR (weekday >= 0 AND weekday <= 6)", name="ck_digest_subscriptions_weekday"
        ),
        _workspace_fk("digest_subscriptions"),
        sa.PrimaryKeyConstraint("id", name="pk_digest_subscriptions"),
    )
    op.create_index("ix_digest_subscriptions_workspace", "digest_subscriptions", ["workspace_id"])

    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(64), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("claim_count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("posted_at", TS, nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.CheckConstraint("state IN ('claimed', 'posted')", name="ck_digest_runs_state"),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscriptions.id"],
            name="fk_digest_runs_subscription_id_digest_subscriptions",
            ondelete="CASCADE",
        ),
        _workspace_fk("digest_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_digest_runs"),
        # one run per subscription and period, whichever process gets there first
        sa.UniqueConstraint("subscription_id", "period_key", name="uq_digest_runs_subscription_period"),
    )
    op.create_index("ix_digest_runs_workspace", "digest_runs", ["workspace_id"])

    op.create_table(
        "processed_events",
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("processed_at", TS, nullable=False),
        _workspace_fk("processed_events"),
        sa.PrimaryKeyConstraint("workspace_id", "event_id", name="pk_processed_events"),
    )
    op.create_index("ix_processed_events_processed_at", "processed_events", ["processed_at"])


def downgrade() -> None:
    for table in (
        "processed_events",
        "digest_runs",
        "digest_subscriptions",
        "answers",
        "questions",
        "flags",
        "tips",
        "turn_scores",
        "calls",
        "deals",
        "users",
        "workspaces",
    ):
        op.drop_table(table)
