"""a partial index of unbooked chain logs for the public pages' fingerprint

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_chain_log_unbooked",
        "chain_log",
        ["id"],
        postgresql_where=sa.text("NOT is_booked"),
        sqlite_where=sa.text("is_booked = 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_chain_log_unbooked", table_name="chain_log")
