"""Zoom transcripts (bot.zoom): each recording is claimed once in zoom_recordings, and calls' source may
be "zoom".

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)
SOURCES = "'slash_command', 'file', 'shortcut', 'live_session', 'cli', 'ingest'"


def upgrade() -> None:
    op.create_table(
        "zoom_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("recording_id", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(300), server_default="", nullable=False),
        sa.Column("host_user_id", sa.String(64), nullable=True),
        sa.Column("transcript_text", sa.Text(), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("state IN ('claimed', 'awaiting_deal', 'filed', 'failed')", name="ck_zoom_recordings_state"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name="fk_zoom_recordings_workspace_id_workspaces",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_zoom_recordings_call_id_calls", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_zoom_recordings"),
        sa.UniqueConstraint("workspace_id", "recording_id", name="uq_zoom_recordings_workspace_recording"),
    )
    with op.batch_alter_table("calls") as batch:
        batch.drop_constraint(op.f("ck_calls_source"), type_="check")
        batch.create_check_constraint("source", f"source IN ({SOURCES}, 'zoom')")


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_constraint(op.f("ck_calls_source"), type_="check")
        batch.create_check_constraint("source", f"source IN ({SOURCES})")
    op.drop_table("zoom_recordings")
