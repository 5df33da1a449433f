"""The chain sync's own tables: raw logs, recent block hashes and the cursor.

Unlike the journal these rows change: logs of blocks that are not final yet are deleted when a
reorganisation drops their block. What the ledger took as final is booked in the journal, which
never changes; the raw log of a booked fact stays here as its evidence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models.base import Base, utcnow


class ChainLog(Base):
    """One raw log the sync fetched, keyed by where it is: chain id, block hash and log index."""

    __tablename__ = "chain_log"
    __table_args__ = (
        Index("uq_chain_log_position", "chain_id", "block_hash", "log_index", unique=True),
        Index("ix_chain_log_block", "chain_id", "block_number"),
        Index("ix_chain_log_pending", "chain_id", "is_booked", "block_number"),
        # The unbooked logs alone: the public pages' fingerprint counts them on every request
        # (ledger.reports.public.get_ledger_version), which must not scan every booked log.
        Index(
            "ix_chain_log_unbooked",
            "id",
            postgresql_where=text("NOT is_booked"),
            sqlite_where=text("is_booked = 0"),
        ),
        CheckConstraint("length(block_hash) = 66 AND length(tx_hash) = 66", name="hash_len"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    block_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))
    tx_index: Mapped[int] = mapped_column(Integer)
    log_index: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(42))
    topic0: Mapped[str | None] = mapped_column(String(66))
    topic1: Mapped[str | None] = mapped_column(String(66))
    topic2: Mapped[str | None] = mapped_column(String(66))
    topic3: Mapped[str | None] = mapped_column(String(66))
    data: Mapped[str] = mapped_column(Text)
    # True once the log's block was final and its transaction was interpreted into the journal
    # (in the same database transaction as the entries).
    is_booked: Mapped[bool] = mapped_column(Boolean, default=False)

    def to_raw_log(self) -> dict[str, Any]:
        """Return the log as ``eth_getLogs`` gave it (what ``ledger.chain.decode`` reads)."""
        return raw_log(*(getattr(self, name) for name in RAW_LOG_COLUMNS))


# raw_log's arguments, in order: select these columns to rebuild logs without ORM objects.
RAW_LOG_COLUMNS = (
    "address",
    "topic0",
    "topic1",
    "topic2",
    "topic3",
    "data",
    "block_hash",
    "block_number",
    "block_timestamp",
    "tx_hash",
    "tx_index",
    "log_index",
)


def raw_log(
    address: str,
    topic0: str | None,
    topic1: str | None,
    topic2: str | None,
    topic3: str | None,
    data: str,
    block_hash: str,
    block_number: int,
    block_timestamp: int | None,
    tx_hash: str,
    tx_index: int,
    log_index: int,
) -> dict[str, Any]:
    """A stored log's columns (RAW_LOG_COLUMNS) as ``eth_getLogs`` gave the log."""
    return {
        "address": address,
        "topics": [t for t in (topic0, topic1, topic2, topic3) if t],
        "data": data,
        "blockHash": block_hash,
        "blockNumber": hex(block_number),
        "blockTimestamp": hex(block_timestamp) if block_timestamp is not None else None,
        "transactionHash": tx_hash,
        "transactionIndex": hex(tx_index),
        "logIndex": hex(log_index),
    }


class ChainBlock(Base):
    """A recent block the sync saw: its hash and parent hash detect reorganisations."""

    __tablename__ = "chain_block"

    chain_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(66))
    parent_hash: Mapped[str] = mapped_column(String(66))
    timestamp: Mapped[int] = mapped_column(BigInteger)


class SyncCursor(Base):
    """How far the sync has read (fetched) and booked (final) on one chain.

    Written in the same database transaction as the rows it covers, so it is never ahead of them.
    """

    __tablename__ = "sync_cursor"
    __table_args__ = (CheckConstraint("booked_to <= fetched_to", name="booked_within_fetched"),)

    chain_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fetched_to: Mapped[int] = mapped_column(BigInteger)
    fetched_hash: Mapped[str | None] = mapped_column(String(66))
    booked_to: Mapped[int] = mapped_column(BigInteger)
    # SHA-256 of what is followed (contracts, wallets, topics): a change re-reads from the start.
    filters_hash: Mapped[str] = mapped_column(String(64))
    halted_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SyncRun(Base):
    """One sync pass as it ended: where the chain and the cursor stood, what it stored, or the
    error that stopped it. Written after the pass (never inside its transactions); the console's
    chain page reads the last error and the event rate from here. Only recent runs are kept.
    """

    __tablename__ = "sync_run"
    __table_args__ = (
        Index("ix_sync_run_chain", "chain_id", "id"),
        CheckConstraint("duration_ms >= 0 AND logs_stored >= 0", name="counts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column()
    duration_ms: Mapped[int] = mapped_column(BigInteger)
    # The node's head and final block as the pass saw them (None when it failed before).
    head: Mapped[int | None] = mapped_column(BigInteger)
    final: Mapped[int | None] = mapped_column(BigInteger)
    logs_stored: Mapped[int] = mapped_column(BigInteger, default=0)
    entries_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    # The error that ended the pass, RPC URLs reduced to their host (they can carry API keys).
    error: Mapped[str | None] = mapped_column(Text)
