"""Deals and opportunities come from HubSpot and Salesforce (bot.crm): a mirror of each CRM deal with the
SalesRL deal it is linked to and what write-back last wrote, each workspace's sync cursor and claim, a deal's
currency and who recorded its outcome (the outcomes recorded so far were typed: manual), and the
workspace's write-back switch.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=f"fk_{table}_workspace_id_workspaces",
                                   ondelete="CASCADE")


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("currency", sa.String(3), nullable=True))
        batch.add_column(sa.Column("outcome_source", sa.String(16), nullable=True))
        batch.create_check_constraint(
            "outcome_source", "outcome_source IS NULL OR outcome_source IN ('manual', 'hubspot', 'salesforce')")
    op.execute("UPDATE deals SET outcome_source = 'manual' WHERE status IN ('won', 'lost')")
    op.add_column("workspace_configs", sa.Column("crm_writeback", sa.Boolean(), nullable=True))
    op.create_table(
        "crm_deals",
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("crm", sa.String(16), nullable=False),
        sa.Column("crm_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("match_key", sa.String(200), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("stage", sa.String(100), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("modified_at", TS, nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("linked_by", sa.String(8), nullable=True),
        sa.Column("written", sa.JSON(), nullable=True),
        sa.Column("written_at", TS, nullable=True),
        _workspace_fk("crm_deals"),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name="fk_crm_deals_deal_id_deals", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("workspace_id", "crm", "crm_id", name="pk_crm_deals"),
        sa.UniqueConstraint("workspace_id", "crm", "deal_id", name="uq_crm_deals_workspace_crm_deal"),
        sa.CheckConstraint("crm IN ('hubspot', 'salesforce')", name="ck_crm_deals_crm"),
        sa.CheckConstraint("status IN ('open', 'won', 'lost')", name="ck_crm_deals_status"),
        sa.CheckConstraint("linked_by IS NULL OR linked_by IN ('explicit', 'name')", name="ck_crm_deals_linked_by"),
    )
    op.create_index("ix_crm_deals_match", "crm_deals", ["workspace_id", "crm", "match_key"])
    op.create_table(
        "crm_syncs",
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("crm", sa.String(16), nullable=False),
        sa.Column("modified_since", TS, nullable=True),
        sa.Column("next_run_at", TS, nullable=True),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("succeeded_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _workspace_fk("crm_syncs"),
        sa.PrimaryKeyConstraint("workspace_id", "crm", name="pk_crm_syncs"),
        sa.CheckConstraint("crm IN ('hubspot', 'salesforce')", name="ck_crm_syncs_crm"),
    )


def downgrade() -> None:
    op.drop_table("crm_syncs")
    op.drop_index("ix_crm_deals_match", table_name="crm_deals")
    op.drop_table("crm_deals")
    op.drop_column("workspace_configs", "crm_writeback")
    with op.batch_alter_table("deals") as batch:
        batch.drop_constraint(op.f("ck_deals_outcome_source"), type_="check")  # the name as it is, no convention
        batch.drop_column("outcome_source")
        batch.drop_column("currency")
