"""The CRM sync remembers for a while the deal owners it found no Slack user for, so that each sync does not ask
Slack (and the CRM) about them again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "crm_owner_misses",
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("crm", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("missed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name="fk_crm_owner_misses_workspace_id_workspaces",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id", "crm", "owner", name="pk_crm_owner_misses"),
        sa.CheckConstraint("crm IN ('hubspot', 'salesforce')", name="ck_crm_owner_misses_crm"),
    )


def downgrade() -> None:
    op.drop_table("crm_owner_misses")
