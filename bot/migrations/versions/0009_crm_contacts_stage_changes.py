"""Zoom calls are matched by their participants' company: each CRM deal keeps its contacts' e-mail domains
(domains, never addresses); and the digest shows stage changes: each change of a CRM deal's stage the sync
sees is recorded (from, to, when).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("crm_deals", sa.Column("contact_domains", sa.JSON(), nullable=True))
    op.create_table(
        "crm_stage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("crm", sa.String(16), nullable=False),
        sa.Column("crm_id", sa.String(64), nullable=False),
        sa.Column("from_stage", sa.String(100), nullable=True),
        sa.Column("to_stage", sa.String(100), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id", "crm", "crm_id"], ["crm_deals.workspace_id", "crm_deals.crm",
                                                                    "crm_deals.crm_id"],
                                name="fk_crm_stage_changes_workspace_id_crm_deals", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_crm_stage_changes"),
    )
    op.create_index("ix_crm_stage_changes_when", "crm_stage_changes", ["workspace_id", "changed_at"])


def downgrade() -> None:
    op.drop_index("ix_crm_stage_changes_when", table_name="crm_stage_changes")
    op.drop_table("crm_stage_changes")
    with op.batch_alter_table("crm_deals") as batch:
        batch.drop_column("contact_domains")
