"""Live sessions (a conversation scored as it happens in a Slack thread) with their turns, and
per-workspace configuration of flags and alerts (review channel, thresholds).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"], ["workspaces.id"], name=f"fk_{table}_workspace_id_workspaces", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "workspace_configs",
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("review_channel_id", sa.String(64), nullable=True),
        sa.Column("flag_threshold", sa.Float(), nullable=True),
        sa.Column("drop_threshold", sa.Float(), nullable=True),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "flag_threshold IS NULL OR (flag_threshold >= 0 AND flag_threshold <= 1)",
            name="ck_workspace_configs_flag_threshold",
        ),
        sa.CheckConstraint(
            "drop_threshold IS NULL OR (drop_threshold > 0 AND drop_threshold <= 1)",
            name="ck_workspace_configs_drop_threshold",
        ),
        _workspace_fk("workspace_configs"),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_workspace_configs"),
    )

    op.create_table(
        "live_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
        sa.Column("card_ts", sa.String(32), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=True),
        sa.Column("reps", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(8), server_default="open", nullable=False),
        sa.Column("turn_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_event_ts", sa.String(32), nullable=True),
        sa.Column("last_alert_turn", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.CheckConstraint("state IN ('open', 'ending', 'ended')", name="ck_live_sessions_state"),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_live_sessions_call_id_calls", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name="fk_live_sessions_deal_id_deals", ondelete="CASCADE"),
        _workspace_fk("live_sessions"),
        sa.PrimaryKeyConstraint("id", name="pk_live_sessions"),
    )
    # one open session per thread (an ended one leaves room for the next), and the thread lookup
    op.create_index(
        "ix_live_sessions_open_thread",
        "live_sessions",
        ["workspace_id", "channel_id", "thread_ts"],
        unique=True,
        sqlite_where=sa.text("state <> 'ended'"),
        postgresql_where=sa.text("state <> 'ended'"),
    )
    op.create_index("ix_live_sessions_thread", "live_sessions", ["workspace_id", "channel_id", "thread_ts"])

    op.create_table(
        "live_turns",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_ts", sa.String(32), nullable=False),
        sa.Column("posted_by", sa.String(64), nullable=True),
        sa.Column("speaker", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("is_note", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("uncertainty", sa.Float(), nullable=False),
        sa.Column("in_distribution", sa.Float(), nullable=False),
        sa.Column("action_values", sa.JSON(), nullable=True),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["live_sessions.id"], name="fk_live_turns_session_id_live_sessions", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("session_id", "idx", name="pk_live_turns"),
    )


def downgrade() -> None:
    op.drop_table("live_turns")
    op.drop_index("ix_live_sessions_thread", table_name="live_sessions")
    op.drop_index("ix_live_sessions_open_thread", table_name="live_sessions")
    op.drop_table("live_sessions")
    op.drop_table("workspace_configs")
