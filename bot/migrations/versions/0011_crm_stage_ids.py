"""A CRM deal's stage is kept by its id as well as its label, and a stage change is told by the id: a stage
renamed in HubSpot is no change, nor is the first sync of a deal stored while its stage was kept by its id.
Deals stored before keep no id (NULL) until their next sync: their `stage` may hold the id or the label.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("crm_deals", sa.Column("stage_id", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crm_deals") as batch:
        batch.drop_column("stage_id")
