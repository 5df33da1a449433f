"""The double-entry journal: assets, accounts, entries and postings.

Entries and postings are append-only: database triggers (created by the migrations) refuse
UPDATE and DELETE; a correction is a new entry that reverses the old one.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models.base import Base, str_enum, utcnow
from ledger.types import Amount

APPEND_ONLY_TABLES = ("journal_entry", "posting", "audit_log", "reconcile_event")


class AssetKind(enum.StrEnum):
    NATIVE = "native"  # a chain's own coin (BNB)
    TOKEN = "token"  # noqa: S105 - not a secret; a BEP-20 / ERC-20 contract (WBNB, USDT, BUSD)
    FIAT = "fiat"  # KZT, USD


class Asset(Base):
    """What an amount is counted in. Balances are per asset; nothing is converted in storage."""

    __tablename__ = "asset"
    __table_args__ = (
        UniqueConstraint("chain_id", "contract"),
        CheckConstraint(
            "(kind = 'fiat' AND chain_id IS NULL AND contract IS NULL)"
            " OR (kind = 'native' AND chain_id IS NOT NULL AND contract IS NULL)"
            " OR (kind = 'token' AND chain_id IS NOT NULL AND contract IS NOT NULL"
            " AND contract = lower(contract) AND length(contract) = 42)",
            name="kind_shape",
        ),
        CheckConstraint("decimals BETWEEN 0 AND 36", name="decimals_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. BNB, WBNB, USDT, KZT
    symbol: Mapped[str] = mapped_column(String(16))
    kind: Mapped[AssetKind] = mapped_column(str_enum(AssetKind, "asset_kind"))
    chain_id: Mapped[int | None] = mapped_column(Integer)
    contract: Mapped[str | None] = mapped_column(String(42))
    decimals: Mapped[int] = mapped_column(Integer)


class AccountType(enum.StrEnum):
    ASSETS = "Assets"
    LIABILITIES = "Liabilities"
    EQUITY = "Equity"
    INCOME = "Income"
    EXPENSES = "Expenses"


class Account(Base):
    """An account named for what it holds, Beancount style (``Assets:Wallet:Treasury``)."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(
            "name LIKE 'Assets:%' OR name LIKE 'Liabilities:%' OR name LIKE 'Equity:%'"
            " OR name LIKE 'Income:%' OR name LIKE 'Expenses:%'",
            name="rooted_name",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(String(300))
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiary.id"))
    wallet_id: Mapped[int | None] = mapped_column(ForeignKey("wallet.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def type(self) -> AccountType:
        return AccountType(self.name.split(":", 1)[0])


class EvidenceKind(enum.StrEnum):
    CHAIN_LOG = "chain_log"  # chain id + block hash + log index
    CHAIN_TX = "chain_tx"  # a transaction without a log (native BNB transfer)
    IMPORT_ROW = "import_row"  # an imported file (by SHA-256) and row number
    DOCUMENT = "document"  # an attached document (by SHA-256), e.g. a bank statement
    MANUAL = "manual"  # an organiser's entry; the description says why
    REVERSAL = "reversal"  # reverses another entry (reverses_entry_id)


class JournalEntry(Base):
    __tablename__ = "journal_entry"
    __table_args__ = (
        CheckConstraint(
            "evidence_kind <> 'chain_log' OR (chain_id IS NOT NULL AND block_hash IS NOT NULL"
            " AND log_index IS NOT NULL AND tx_hash IS NOT NULL)",
            name="chain_log_evidence",
        ),
        CheckConstraint(
            "evidence_kind <> 'chain_tx' OR (chain_id IS NOT NULL AND tx_hash IS NOT NULL)",
            name="chain_tx_evidence",
        ),
        CheckConstraint(
            "evidence_kind <> 'import_row' OR (document_sha256 IS NOT NULL"
            " AND import_row IS NOT NULL)",
            name="import_row_evidence",
        ),
        CheckConstraint(
            "evidence_kind <> 'document' OR document_sha256 IS NOT NULL", name="document_evidence"
        ),
        CheckConstraint(
            "(evidence_kind = 'reversal') = (reverses_entry_id IS NOT NULL)",
            name="reversal_links_entry",
        ),
        CheckConstraint("length(content_hash) = 64", name="content_hash_len"),
        Index("ix_journal_entry_effective_at", "effective_at"),
        Index("ix_journal_entry_chain_block", "chain_id", "block_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    # SHA-256 of the entry's canonical content: the same key with other content is refused.
    content_hash: Mapped[str] = mapped_column(String(64))
    effective_at: Mapped[datetime] = mapped_column()
    description: Mapped[str] = mapped_column(Text)
    evidence_kind: Mapped[EvidenceKind] = mapped_column(str_enum(EvidenceKind, "evidence_kind"))
    chain_id: Mapped[int | None] = mapped_column(Integer)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(String(66))
    log_index: Mapped[int | None] = mapped_column(Integer)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    import_row: Mapped[int | None] = mapped_column(Integer)
    # An opaque person reference (never a name): see ledger.models.people.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reverses_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entry.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    postings: Mapped[list[Posting]] = relationship(
        back_populates="entry", order_by="Posting.id", lazy="selectin"
    )


class Posting(Base):
    """One leg of an entry: a signed amount (debit positive) of one asset on one account."""

    __tablename__ = "posting"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="nonzero"),
        Index("ix_posting_account_asset", "account_id", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    amount: Mapped[int] = mapped_column(Amount())
    memo: Mapped[str | None] = mapped_column(String(300))

    entry: Mapped[JournalEntry] = relationship(back_populates="postings")
    account: Mapped[Account] = relationship(lazy="joined")
    asset: Mapped[Asset] = relationship(lazy="joined")
