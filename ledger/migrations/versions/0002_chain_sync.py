"""Chain sync tables: raw logs, recent blocks, the cursor; who holds each edition.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.types

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('chain_block',
    sa.Column('chain_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=66), nullable=False),
    sa.Column('parent_hash', sa.String(length=66), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('chain_id', 'number', name=op.f('pk_chain_block'))
    )
    op.create_table('chain_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.Integer(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_hash', sa.String(length=66), nullable=False),
    sa.Column('block_timestamp', sa.BigInteger(), nullable=True),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('tx_index', sa.Integer(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=42), nullable=False),
    sa.Column('topic0', sa.String(length=66), nullable=True),
    sa.Column('topic1', sa.String(length=66), nullable=True),
    sa.Column('topic2', sa.String(length=66), nullable=True),
    sa.Column('topic3', sa.String(length=66), nullable=True),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('is_booked', sa.Boolean(), nullable=False),
    sa.CheckConstraint('length(block_hash) = 66 AND length(tx_hash) = 66', name=op.f('ck_chain_log_hash_len')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chain_log'))
    )
    op.create_index('ix_chain_log_block', 'chain_log', ['chain_id', 'block_number'])
    op.create_index('ix_chain_log_pending', 'chain_log', ['chain_id', 'is_booked', 'block_number'])
    op.create_index(
        'uq_chain_log_position', 'chain_log', ['chain_id', 'block_hash', 'log_index'], unique=True
    )

    op.create_table('sync_cursor',
    sa.Column('chain_id', sa.Integer(), nullable=False),
    sa.Column('fetched_to', sa.BigInteger(), nullable=False),
    sa.Column('fetched_hash', sa.String(length=66), nullable=True),
    sa.Column('booked_to', sa.BigInteger(), nullable=False),
    sa.Column('filters_hash', sa.String(length=64), nullable=False),
    sa.Column('halted_reason', sa.Text(), nullable=True),
    sa.Column('updated_at', ledger.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('booked_to <= fetched_to', name=op.f('ck_sync_cursor_booked_within_fetched')),
    sa.PrimaryKeyConstraint('chain_id', name=op.f('pk_sync_cursor'))
    )
    # A plain ADD COLUMN (no batch rebuild) on both databases.
    op.add_column('nft_edition', sa.Column('holder', sa.String(length=42), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('nft_edition', schema=None) as batch_op:
        batch_op.drop_column('holder')
    op.drop_table('sync_cursor')
    op.drop_table('chain_log')
    op.drop_table('chain_block')
