"""A change of a deal's contacts alone (one added or removed, an e-mail changed) refreshes the deal's contact
domains: each CRM deal keeps its contacts' ids, and each workspace's sync how far it has read contact changes.
Deals synced before keep no ids until the sync reads their contacts again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("crm_deals", sa.Column("contact_ids", sa.JSON(), nullable=True))
    op.add_column("crm_syncs", sa.Column("contacts_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crm_syncs") as batch:
        batch.drop_column("contacts_since")
    with op.batch_alter_table("crm_deals") as batch:
        batch.drop_column("contact_ids")
