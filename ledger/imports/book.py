"""Preview an import, then commit it all or nothing.

The preview says, per row, what would be created, what is a duplicate of something already in
the ledger (by the mapping's natural key: the order number for Binance, the payment reference
or else a hash of the normalised row for sheets), which rows repeat an earlier row of the same
file (to be confirmed by the organiser, never dropped silently), which are ignored and why, and
every error by row, column and reason. ``commit_import`` refuses the whole file while any error
or unconfirmed repeat remains; otherwise it posts every new row in the caller's transaction.

Keys: ``import:<mapping>:<natural key>`` (``#<n>`` for the n-th confirmed repeat in a file). A
row whose entry was reversed is imported again under ``~<generation>``, so any sequence of
import, reverse and re-import leaves the balances of importing the final set once.
"""

from __future__ import annotations

import enum
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ledger.accounts import marketplace_fees_account, royalties_account, sales_account
from ledger.documents import store_document
from ledger.errors import LedgerError
from ledger.imports.mapping import Mapping
from ledger.imports.parse import ParsedRow, RowError, parse_file
from ledger.journal import EntrySpec, Evidence, PostingSpec, open_account, post_entry
from ledger.models import (
    Artwork,
    Asset,
    Beneficiary,
    Disbursement,
    DisbursementMethod,
    EvidenceKind,
    Gift,
    JournalEntry,
    Person,
)
from ledger.routing.attribute import Attribution, find_edition
from ledger.routing.disburse import BankPayout, DisbursementError, record_bank_disbursement
from ledger.routing.route import record_attribution, route_pending

_OPAQUE_REF = re.compile(r"^[A-Za-z0-9_-]{4,40}$")


class ImportRejectedError(LedgerError):
    """The file has errors or unconfirmed repeated rows: nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class RowStatus(enum.StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"  # already in the ledger (same natural key and content)
    REPEATED = "repeated"  # the same as an earlier row of this file: confirm to import it
    IGNORED = "ignored"
    ERROR = "error"


@dataclass
class PreviewLine:
    row: int
    status: RowStatus
    key: str
    description: str
    reason: str = ""


@dataclass
class Preview:
    mapping: str
    sha256: str
    encoding: str
    delimiter: str
    lines: list[PreviewLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def count(self, status: RowStatus) -> int:
        return sum(1 for line in self.lines if line.status == status)

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s.value}" for s in RowStatus)
        return (
            f"{self.mapping}: {counts} ({len(self.errors)} errors; read as {self.encoding}, "
            f"separator {self.delimiter!r})"
        )


@dataclass(frozen=True)
class _Plan:
    row: ParsedRow
    key: str
    spec: EntrySpec | None
    attribution: Attribution
    person_ref: str | None
    payout: BankPayout | None


def _signature(postings: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    return sorted(postings)


class _Existing:
    """Entries already imported with this mapping, by key without the generation suffix."""

    def __init__(self, session: Session, mapping: str) -> None:
        prefix = f"import:{mapping}:"
        self.by_base: dict[str, list[JournalEntry]] = {}
        entries = session.scalars(
            select(JournalEntry).where(JournalEntry.idempotency_key.startswith(prefix))
        ).all()
        for entry in entries:
            base = entry.idempotency_key.split("~", 1)[0]
            self.by_base.setdefault(base, []).append(entry)
        self.reversed_ids = set(
            session.scalars(
                select(JournalEntry.reverses_entry_id).where(
                    JournalEntry.reverses_entry_id.in_(
                        select(JournalEntry.id).where(
                            JournalEntry.idempotency_key.startswith(prefix)
                        )
                    )
                )
            )
        )

    def live(self, base: str) -> tuple[JournalEntry | None, int]:
        """Return the live (not reversed) entry of ``base`` and how many generations exist."""
        entries = self.by_base.get(base, [])
        live = [e for e in entries if e.id not in self.reversed_ids]
        return (live[0] if live else None), len(entries)


class _Planner:
    def __init__(self, session: Session, mapping: Mapping, sha256: str) -> None:
        self.session = session
        self.mapping = mapping
        self.sha256 = sha256
        self.artworks: dict[str, Artwork] = {}
        for artwork in session.scalars(select(Artwork)):
            self.artworks[artwork.key] = self.artworks[artwork.public_code] = artwork

    def artwork_of(self, row: ParsedRow) -> tuple[Attribution, str | None]:
        channel = self.mapping.channel
        if row.artwork:
            artwork = self.artworks.get(row.artwork)
            if artwork is None:
                return Attribution(channel), f"no artwork {row.artwork!r} in the catalogue"
            return Attribution(channel, artwork_id=artwork.id), None
        if row.chain_id is not None and row.contract and row.token_id is not None:
            collection, artwork_id, edition = find_edition(
                self.session, row.chain_id, row.contract, row.token_id
            )
            return Attribution(channel, collection, artwork_id, edition), None
        return Attribution(channel), None

    def sale_spec(self, row: ParsedRow, key: str) -> EntrySpec:
        m = self.mapping
        fee = row.units * m.fee_bps // 10_000
        income = royalties_account(m.channel) if row.kind == "royalty" else sales_account(m.channel)
        postings = [PostingSpec(m.account, row.asset, row.units - fee)]
        if fee:
            postings.append(PostingSpec(marketplace_fees_account(m.channel), row.asset, fee))
        postings.append(PostingSpec(income, row.asset, -row.units))
        what = "Royalty" if row.kind == "royalty" else "Sale"
        ref = f" {row.reference}" if row.reference else ""
        return EntrySpec(
            idempotency_key=key,
            effective_at=row.at,
            description=f"{what} on {m.channel}{ref} (imported, {m.name} row {row.row})",
            postings=[p for p in postings if p.amount],
            evidence=Evidence(
                kind=EvidenceKind.IMPORT_ROW, document_sha256=self.sha256, import_row=row.row
            ),
        )

    def plan(self, row: ParsedRow, base: str, key: str) -> tuple[_Plan | None, str, str]:
        """Return (plan, status reason, error) for one row."""
        if row.kind == "ignore":
            return None, f"{self.mapping.kind_column} means this is not proceeds", ""
        if self.mapping.kind == "disbursement":
            return self.plan_payout(row, key)
        attribution, problem = self.artwork_of(row)
        if problem:
            return None, "", problem
        if row.buyer is not None and not _OPAQUE_REF.match(row.buyer):
            return None, "", "buyer reference must be an opaque id (letters, digits, - and _)"
        spec = self.sale_spec(row, key)
        return _Plan(row, key, spec, attribution, row.buyer, None), "", ""

    def plan_payout(self, row: ParsedRow, key: str) -> tuple[_Plan | None, str, str]:
        who = row.beneficiary or ""
        beneficiary = self.session.scalars(
            select(Beneficiary).where(
                or_(Beneficiary.key == who, Beneficiary.bank_reference == who)
            )
        ).first()
        if beneficiary is None:
            return None, "", f"no beneficiary with key or bank reference {who!r}"
        payout = BankPayout(
            beneficiary_key=beneficiary.key,
            asset=row.asset,
            amount=row.units,
            bank_reference=row.reference or "",
            paid_at=row.at,
            document=b"",
            document_name="",
            from_account=self.mapping.account,
        )
        return _Plan(row, key, None, Attribution(self.mapping.channel), None, payout), "", ""

    def payout_recorded(self, payout: BankPayout) -> bool:
        return (
            self.session.scalars(
                select(Disbursement.id)
                .join(Beneficiary, Disbursement.beneficiary_id == Beneficiary.id)
                .join(Asset, Disbursement.asset_id == Asset.id)
                .where(
                    Disbursement.method == DisbursementMethod.BANK,
                    Disbursement.reference == payout.bank_reference,
                    Disbursement.amount == payout.amount,
                    Beneficiary.key == payout.beneficiary_key,
                    Asset.code == payout.asset,
                )
            ).first()
            is not None
        )


def _build(
    session: Session,
    data: bytes,
    mapping: Mapping,
    *,
    tz: ZoneInfo,
    encoding: str,
    delimiter: str,
    confirm_repeats: bool,
) -> tuple[Preview, list[_Plan]]:
    decimals = dict(session.execute(select(Asset.code, Asset.decimals)).all())
    parsed = parse_file(
        data, mapping, decimals=decimals, tz=tz, encoding=encoding, delimiter=delimiter
    )
    preview = Preview(mapping.name, parsed.sha256, parsed.encoding, parsed.delimiter)
    preview.errors = list(parsed.errors)
    for error in parsed.errors:
        preview.lines.append(PreviewLine(error.row, RowStatus.ERROR, "", "", str(error)))
    planner = _Planner(session, mapping, parsed.sha256)
    existing = _Existing(session, mapping.name)
    seen: Counter[str] = Counter()
    plans: list[_Plan] = []
    for row in parsed.rows:
        seen[row.natural_key] += 1
        occurrence = seen[row.natural_key]
        base = f"import:{mapping.name}:{row.natural_key}"
        if occurrence > 1:
            base += f"#{occurrence}"
        base = base[:190]
        if occurrence > 1 and not confirm_repeats:
            preview.lines.append(
                PreviewLine(
                    row.row,
                    RowStatus.REPEATED,
                    base,
                    f"{row.units} {row.asset}",
                    "the same as an earlier row of this file: confirm to import both",
                )
            )
            continue
        live, generations = existing.live(base)
        key = base if generations == 0 else f"{base}~{generations + 1}"
        plan, reason, problem = planner.plan(row, base, key)
        if problem:
            column = mapping.artwork.column if mapping.artwork else "row"
            if mapping.kind == "disbursement" and mapping.beneficiary:
                column = mapping.beneficiary.column
            elif "buyer" in problem and mapping.buyer:
                column = mapping.buyer.column
            elif mapping.contract and not mapping.artwork:
                column = mapping.contract.column
            row_error = RowError(row.row, column, problem)
            preview.errors.append(row_error)
            preview.lines.append(PreviewLine(row.row, RowStatus.ERROR, base, "", str(row_error)))
            continue
        if plan is None:
            preview.lines.append(PreviewLine(row.row, RowStatus.IGNORED, base, "", reason))
            continue
        if plan.payout is not None:
            if planner.payout_recorded(plan.payout):
                preview.lines.append(
                    PreviewLine(
                        row.row,
                        RowStatus.DUPLICATE,
                        base,
                        f"payout {plan.payout.bank_reference}",
                        "matches a recorded disbursement by reference and amount",
                    )
                )
                continue
        elif live is not None:
            assert plan.spec is not None
            have = _signature([(p.account.name, p.asset.code, p.amount) for p in live.postings])
            want = _signature([(p.account, p.asset, p.amount) for p in plan.spec.postings])
            if have != want:
                row_error = RowError(
                    row.row,
                    mapping.amount.column,
                    f"conflicts with the row imported as entry {live.id} under the same key "
                    f"{base!r}: reverse that entry first",
                )
                preview.errors.append(row_error)
                preview.lines.append(
                    PreviewLine(row.row, RowStatus.ERROR, base, "", str(row_error))
                )
                continue
            preview.lines.append(
                PreviewLine(
                    row.row, RowStatus.DUPLICATE, base, "", f"already imported (entry {live.id})"
                )
            )
            continue
        description = plan.spec.description if plan.spec else f"payout to {row.beneficiary}"
        preview.lines.append(PreviewLine(row.row, RowStatus.NEW, key, description))
        plans.append(plan)
    preview.lines.sort(key=lambda line: line.row)
    preview.errors.sort(key=lambda e: (e.row, e.column))
    return preview, plans


def preview_import(
    session: Session,
    data: bytes,
    mapping: Mapping,
    *,
    tz: ZoneInfo,
    encoding: str = "",
    delimiter: str = "",
    confirm_repeats: bool = False,
) -> Preview:
    """Say what importing ``data`` would do; change nothing.

    Raises ImportFileError when the file as a whole cannot be read.
    """
    return _build(
        session,
        data,
        mapping,
        tz=tz,
        encoding=encoding,
        delimiter=delimiter,
        confirm_repeats=confirm_repeats,
    )[0]


def commit_import(
    session: Session,
    documents_dir: Path,
    data: bytes,
    filename: str,
    mapping: Mapping,
    *,
    tz: ZoneInfo,
    encoding: str = "",
    delimiter: str = "",
    confirm_repeats: bool = False,
) -> Preview:
    """Import every new row of ``data``, or nothing; return the preview it acted on.

    Raises ImportRejectedError (nothing written) when any row has an error or a repeated row
    is not confirmed, and ImportFileError when the file cannot be read.
    """
    preview, plans = _build(
        session,
        data,
        mapping,
        tz=tz,
        encoding=encoding,
        delimiter=delimiter,
        confirm_repeats=confirm_repeats,
    )
    problems = [str(e) for e in preview.errors]
    problems += [
        f"row {line.row}: {line.reason}"
        for line in preview.lines
        if line.status == RowStatus.REPEATED
    ]
    if problems:
        raise ImportRejectedError(problems)
    document = store_document(session, documents_dir, data, filename)
    for plan in plans:
        if plan.payout is not None:
            payout = BankPayout(
                **{**plan.payout.__dict__, "document": data, "document_name": filename}
            )
            try:
                record_bank_disbursement(session, documents_dir, payout)
            except DisbursementError as exc:
                raise ImportRejectedError([f"row {plan.row.row}: {exc}"]) from exc
            continue
        assert plan.spec is not None
        for posting in plan.spec.postings:
            open_account(session, posting.account)
        person = _person(session, plan.person_ref) if plan.person_ref else None
        spec = plan.spec
        if person is not None:
            spec = EntrySpec(
                spec.idempotency_key,
                spec.effective_at,
                spec.description,
                spec.postings,
                spec.evidence,
                person.id,
            )
        assert document.sha256 == spec.evidence.document_sha256
        entry = post_entry(session, spec)
        record_attribution(session, entry, plan.attribution)
        if person is not None:
            session.add(
                Gift(entry_id=entry.id, person_id=person.id, receipt_code=new_receipt_code())
            )
    session.flush()
    route_pending(session)
    return preview


def new_receipt_code() -> str:
    """A random receipt code: 128 bits, URL-safe (it cannot be guessed or derived)."""
    return secrets.token_urlsafe(16)


def _person(session: Session, ref: str) -> Person:
    person = session.scalars(select(Person).where(Person.ref == ref)).one_or_none()
    if person is None:
        person = Person(ref=ref)
        session.add(person)
        session.flush()
    return person
