"""Read the journal into the rows every export format renders.

Only public columns are read (ledger/privacy.py): the entry's wording, evidence and postings,
account names, asset codes. ``journal_entry.person_id`` is left out, and nothing is read from
``person``, ``person_contact``, ``gift`` or ``wallet``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Account, Asset, JournalEntry


@dataclass(frozen=True)
class ExportAsset:
    code: str
    symbol: str
    kind: str
    decimals: int
    chain_id: int | None
    contract: str | None


@dataclass(frozen=True)
class ExportPosting:
    account: str
    asset: str
    amount: int  # signed, debit positive, in the asset's smallest unit
    memo: str | None


@dataclass(frozen=True)
class ExportEntry:
    id: int
    key: str
    effective_at: datetime  # UTC
    local_date: date  # the effective date in the configured time zone
    description: str
    evidence_kind: str
    chain_id: int | None
    block_number: int | None
    log_index: int | None
    tx_hash: str | None
    explorer_url: str | None
    document_sha256: str | None
    import_row: int | None
    reverses_key: str | None
    postings: tuple[ExportPosting, ...]


@dataclass(frozen=True)
class ExportData:
    """Everything an export says, with the settings it was made under."""

    generated_at: datetime
    timezone: str
    explorer_tx_url: Mapping[str, str]
    operating_currency: str
    assets: tuple[ExportAsset, ...]
    accounts: tuple[str, ...]
    entries: tuple[ExportEntry, ...]

    @property
    def decimals(self) -> dict[str, int]:
        return {asset.code: asset.decimals for asset in self.assets}

    def settings(self) -> dict[str, str]:
        """The settings the export was made under, by name."""
        explorers = ", ".join(f"{k}={v}" for k, v in sorted(self.explorer_tx_url.items()))
        return {
            "generated_at": self.generated_at.isoformat(),
            "reports.timezone": f"{self.timezone} (local_date column; effective_at is UTC)",
            "chain.explorer_tx_url": explorers or "-",
            "exports.operating_currency": self.operating_currency,
        }

    def notes(self) -> list[str]:
        """What the amounts are, and the rates used (none: an export never converts)."""
        return [
            "rates: none used; every amount is in its own asset, never converted",
            "amounts: amount_units is the exact integer in the asset's smallest unit; amount is "
            "the same value as an exact decimal with the asset's decimals",
        ]

    def settings_lines(self) -> list[str]:
        """The settings and notes as ``name: value`` lines, for a file's header."""
        return [f"{name}: {value}" for name, value in self.settings().items()] + self.notes()


def explorer_link(templates: Mapping[str, str], chain_id: int | None, tx_hash: str | None) -> str:
    """Return the explorer URL of a transaction, or "" when its chain has no explorer set."""
    if chain_id is None or not tx_hash:
        return ""
    template = templates.get(str(chain_id))
    return template.replace("{hash}", tx_hash) if template else ""


def get_export_data(
    session: Session,
    *,
    tz: ZoneInfo,
    explorer_tx_url: Mapping[str, str],
    operating_currency: str,
    generated_at: datetime,
) -> ExportData:
    """Read every asset, account and entry (in effective date, then id order)."""
    assets = tuple(
        ExportAsset(a.code, a.symbol, a.kind.value, a.decimals, a.chain_id, a.contract)
        for a in session.scalars(select(Asset).order_by(Asset.code))
    )
    accounts = tuple(session.scalars(select(Account.name).order_by(Account.name)))
    keys_by_id = dict(session.execute(select(JournalEntry.id, JournalEntry.idempotency_key)).all())
    entries = []
    query = select(JournalEntry).order_by(JournalEntry.effective_at, JournalEntry.id)
    for entry in session.scalars(query):
        entries.append(
            ExportEntry(
                id=entry.id,
                key=entry.idempotency_key,
                effective_at=entry.effective_at,
                local_date=entry.effective_at.astimezone(tz).date(),
                description=entry.description,
                evidence_kind=entry.evidence_kind.value,
                chain_id=entry.chain_id,
                block_number=entry.block_number,
                log_index=entry.log_index,
                tx_hash=entry.tx_hash,
                explorer_url=explorer_link(explorer_tx_url, entry.chain_id, entry.tx_hash) or None,
                document_sha256=entry.document_sha256,
                import_row=entry.import_row,
                reverses_key=keys_by_id.get(entry.reverses_entry_id)
                if entry.reverses_entry_id
                else None,
                postings=tuple(
                    ExportPosting(p.account.name, p.asset.code, p.amount, p.memo)
                    for p in entry.postings
                ),
            )
        )
    return ExportData(
        generated_at=generated_at,
        timezone=tz.key,
        explorer_tx_url=dict(explorer_tx_url),
        operating_currency=operating_currency,
        assets=assets,
        accounts=accounts,
        entries=tuple(entries),
    )
