"""Calls may arrive over `POST /ingest` with a workspace's API token (kept only as a SHA-256), so the
calls' source may be "ingest".

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)
SOURCES = "'slash_command', 'file', 'shortcut', 'live_session', 'cli'"


def upgrade() -> None:
    op.create_table(
        "ingest_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), server_default="", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name="fk_ingest_tokens_workspace_id_workspaces",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_ingest_tokens_token_hash"),
    )
    with op.batch_alter_table("calls") as batch:
        batch.drop_constraint("ck_calls_source", type_="check")
        batch.create_check_constraint("source", f"source IN ({SOURCES}, 'ingest')")


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_constraint("ck_calls_source", type_="check")
        batch.create_check_constraint("source", f"source IN ({SOURCES})")
    op.drop_table("ingest_tokens")
