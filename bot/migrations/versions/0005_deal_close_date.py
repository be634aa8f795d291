"""Deals have an expected close date, beside the amount and stage a team sets with `/salesrl deal NAME
amount 40k stage negotiation close 2027-01-31`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("deals", sa.Column("close_date", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("deals", "close_date")
