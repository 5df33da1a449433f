"""exchange rates

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_asset_id", sa.Integer(), nullable=False),
        sa.Column("quote_asset_id", sa.Integer(), nullable=False),
        sa.Column("rate", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("observed_at", ledger.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", ledger.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "base_asset_id <> quote_asset_id", name=op.f("ck_exchange_rate_two_assets")
        ),
        sa.ForeignKeyConstraint(
            ["base_asset_id"], ["asset.id"], name=op.f("fk_exchange_rate_base_asset_id_asset")
        ),
        sa.ForeignKeyConstraint(
            ["quote_asset_id"], ["asset.id"], name=op.f("fk_exchange_rate_quote_asset_id_asset")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rate")),
        sa.UniqueConstraint(
            "base_asset_id",
            "quote_asset_id",
            "observed_at",
            name=op.f("uq_exchange_rate_base_asset_id_quote_asset_id_observed_at"),
        ),
    )
    with op.batch_alter_table("exchange_rate", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exchange_rate_lookup",
            ["quote_asset_id", "base_asset_id", "observed_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_rate", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_rate_lookup")
    op.drop_table("exchange_rate")
