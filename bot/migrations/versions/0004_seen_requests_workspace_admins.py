"""Security: signed Slack requests already received are kept (hashed) for five minutes in the database,
so an exact copy is refused by every process sharing it (bot.slack.replays); a workspace may name its
SalesRL admins, who may change its settings besides Slack's admins and owners.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "seen_requests",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("seen_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_seen_requests"),
    )
    op.create_index("ix_seen_requests_seen_at", "seen_requests", ["seen_at"])
    with op.batch_alter_table("workspace_configs") as batch:
        batch.add_column(sa.Column("admin_user_ids", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspace_configs") as batch:
        batch.drop_column("admin_user_ids")
    op.drop_index("ix_seen_requests_seen_at", table_name="seen_requests")
    op.drop_table("seen_requests")
