"""scan counts per artwork and day

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scan_count",
        sa.Column("artwork_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 1", name=op.f("ck_scan_count_positive")),
        sa.ForeignKeyConstraint(
            ["artwork_id"],
            ["artwork.id"],
            name=op.f("fk_scan_count_artwork_id_artwork"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("artwork_id", "day", name=op.f("pk_scan_count")),
    )


def downgrade() -> None:
    op.drop_table("scan_count")
