"""change stamps for the public page cache

Revision ID: 0008
Revises: 0007 (to become 0007 when merged after the console's migration)
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    stamp = op.create_table(
        "change_stamp",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_stamp")),
    )
    op.bulk_insert(stamp, [{"name": "public", "value": 0}])


def downgrade() -> None:
    op.drop_table("change_stamp")
