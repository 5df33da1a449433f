"""The public view of the ledger: what donors and visitors may see, and nothing more.

Built from the journal's flows (``iter_flows``): the four figures per asset for the initiative,
per beneficiary and per artwork; every sale and every payout with its proof (a chain
transaction, a bank reference, an imported statement); what the chain sync has seen but not
booked yet (pending, never counted); and when the ledger was last verified.

Never in here: wallet addresses of buyers or donors (chain logs are read only for their
transaction hash and block), person references, receipt codes, entry descriptions (an import's
wording is the organiser's). A receipt (``get_receipt``) shows one gift and where it went, and
nothing that links it to another gift.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from fractions import Fraction
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import Dialect, Select, func, not_, select
from sqlalchemy.orm import Session

from ledger.chain.decode import ElementFill, MalformedLogError, Trade, decode_log
from ledger.errors import LedgerError
from ledger.models import (
    Account,
    Artwork,
    Asset,
    Beneficiary,
    BeneficiaryUpdate,
    ChainBlock,
    ChainLog,
    Disbursement,
    EvidenceKind,
    Gift,
    JournalEntry,
    RoutingRecord,
    SyncCursor,
    TextVariant,
)
from ledger.models.stamps import PUBLIC, ChangeStamp
from ledger.models.text import choose_text
from ledger.rates import RateBook, RateUsed, compute_rate, get_rate_book
from ledger.reports.figures import Figures, FiguresByAsset, add_sums, sum_flows
from ledger.reports.flows import (
    EntryProof,
    Flow,
    FlowBook,
    FlowKind,
    iter_flows,
    read_entry_proofs,
)
from ledger.reports.render import format_units
from ledger.routing.attribute import find_edition

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ProofKind(enum.StrEnum):
    CHAIN = "chain"  # a transaction on a public chain: anyone can look it up
    BANK = "bank"  # a bank transfer: the bank's reference (the statement is kept as a document)
    STATEMENT = "statement"  # a line of an imported bank, exchange or marketplace statement
    MANUAL = "manual"  # an organiser's entry (a cash sale at the exhibition, a correction)


@dataclass(frozen=True)
class Proof:
    kind: ProofKind
    chain_id: int | None = None
    tx_hash: str | None = None
    reference: str | None = None  # a bank transfer's reference
    document_sha256: str | None = None  # the statement or bank document, by content hash


@dataclass(frozen=True)
class PublicEntry:
    """One sale (what it received or pledged) or one payout, per asset, with its proof."""

    entry_id: int
    at: datetime
    kind: str  # "sale" or "disbursement"
    asset: str
    received: int  # sale: received (may be 0 when only pledged); payout: the amount paid
    pledged: int
    artwork_id: int | None
    beneficiary_key: str | None
    proof: Proof
    is_reversal: bool = False
    # A payout on an artwork's page: the part of it that came from that artwork (a payout
    # pools the money of several works); None elsewhere.
    for_this_work: int | None = None


@dataclass(frozen=True)
class PendingTx:
    """A chain transaction the sync has seen whose block is not final yet: not counted."""

    chain_id: int
    tx_hash: str
    block_number: int
    seen_at: datetime | None
    artwork_id: int | None


@dataclass(frozen=True)
class ArtworkRef:
    id: int
    key: str
    public_code: str
    title: str


@dataclass(frozen=True)
class PublishedUpdate:
    """A beneficiary's report back, published by an organiser."""

    reported_on: date
    language: str
    text: str
    used_for: str
    document_sha256: str | None


def list_published_updates(session: Session) -> dict[str, list[PublishedUpdate]]:
    """Published reports back, per beneficiary key, newest first."""
    rows = session.execute(
        select(
            Beneficiary.key,
            BeneficiaryUpdate.reported_on,
            BeneficiaryUpdate.language,
            BeneficiaryUpdate.text,
            BeneficiaryUpdate.used_for,
            BeneficiaryUpdate.document_sha256,
        )
        .join(Beneficiary, Beneficiary.id == BeneficiaryUpdate.beneficiary_id)
        .where(BeneficiaryUpdate.is_published.is_(True))
        .order_by(BeneficiaryUpdate.reported_on.desc(), BeneficiaryUpdate.id.desc())
    )
    out: dict[str, list[PublishedUpdate]] = defaultdict(list)
    for key, reported_on, language, text, used_for, sha256 in rows:
        out[key].append(PublishedUpdate(reported_on, language, text, used_for, sha256))
    return dict(out)


def is_published_document(session: Session, sha256: str) -> bool:
    """True when a published report back carries this document (the public may download it)."""
    return session.scalar(
        select(BeneficiaryUpdate.id)
        .where(
            BeneficiaryUpdate.document_sha256 == sha256,
            BeneficiaryUpdate.is_published.is_(True),
        )
        .limit(1)
    ) is not None


@dataclass(frozen=True)
class Approximation:
    """Figures summed over assets in one quote currency at the latest recorded rates.

    Only for reading at a glance: the exact amounts per asset stay the record. Assets without
    a rate are left out and named in ``missing``.
    """

    quote: str
    values: dict[str, int]  # figure name -> whole quote units (rounded half up)
    rates: list[RateUsed]
    missing: list[str]


@dataclass
class PublicLedger:
    totals: FiguresByAsset
    by_artwork: dict[int | None, FiguresByAsset]
    by_beneficiary: dict[str, FiguresByAsset]  # routed and disbursed only
    beneficiary_names: dict[str, str]
    verified_beneficiaries: frozenset[str]
    artworks: dict[int, ArtworkRef]
    sales: list[PublicEntry]
    disbursements: list[PublicEntry]
    pending: list[PendingTx]
    last_verified: datetime | None
    decimals: dict[str, int]
    recipient_of: dict[str, str]  # payable account -> beneficiary key
    flows: list[Flow] = field(repr=False, default_factory=list)
    flows_by_artwork: dict[int | None, list[Flow]] = field(repr=False, default_factory=dict)
    sales_by_artwork: dict[int | None, list[PublicEntry]] = field(repr=False, default_factory=dict)
    rate_book: RateBook | None = field(repr=False, default=None)
    updates: dict[str, list[PublishedUpdate]] = field(default_factory=dict)

    def approximate(self, figures: Mapping[str, Figures]) -> Approximation | None:
        """The four figures and outstanding over every asset in the configured quote currency,
        at each asset's latest recorded rate; None without rates or without figures."""
        book = self.rate_book
        if book is None:
            return None
        names = ("pledged", "received", "routed", "disbursed", "outstanding")
        totals = dict.fromkeys(names, Fraction(0))
        used: dict[str, RateUsed] = {}
        missing: list[str] = []
        latest = datetime.max.replace(tzinfo=UTC)
        for asset, fig in sorted(figures.items()):
            amounts = {name: getattr(fig, name) for name in names}
            if not any(amounts.values()):
                continue
            if asset == book.quote:
                factor, rate = Fraction(1, 10**book.quote_decimals), None
            else:
                rate = book.find(asset, latest)
                if rate is None:
                    missing.append(asset)
                    continue
                factor = Fraction(1, 10 ** self.decimals.get(asset, 0)) * compute_rate(rate.rate)
                used[asset] = rate
            for name, amount in amounts.items():
                totals[name] += amount * factor
        if not used:  # nothing converted: the table already says it all
            return None
        values = {name: int(value + Fraction(1, 2)) // 1 for name, value in totals.items()}
        return Approximation(book.quote, values, list(used.values()), missing)

    def recipient_key(self, account: str) -> str:
        """The beneficiary key of a payable account (an artist's share: the artist's key)."""
        return self.recipient_of.get(account) or account.rsplit(":", 1)[-1]

    def show(self, amount: int, asset: str) -> str:
        """Render an amount exactly, with its asset (``1.5 BNB``)."""
        return f"{format_units(amount, self.decimals.get(asset, 0))} {asset}"

    def find_tx(self, tx_hash: str) -> list[PublicEntry]:
        wanted = tx_hash.strip().lower()
        return [
            e
            for e in (*self.sales, *self.disbursements)
            if e.proof.tx_hash and e.proof.tx_hash.lower() == wanted
        ]

    def find_pending_tx(self, tx_hash: str) -> list[PendingTx]:
        wanted = tx_hash.strip().lower()
        return [p for p in self.pending if p.tx_hash.lower() == wanted]


@dataclass
class ArtworkTransparency:
    """What the artwork page shows under "Where the money goes"."""

    figures: dict[str, Figures]
    beneficiaries: list[tuple[str, str, Figures]]  # (beneficiary key, asset, figures)
    entries: list[PublicEntry]  # its sales and the payouts that carried its money
    pending: list[PendingTx]
    last_verified: datetime | None

    def is_empty(self) -> bool:
        return not (self.figures or self.entries or self.pending)


def _proof(entry: _EntryRow, bank_reference: str | None = None) -> Proof:
    """The proof of a journal entry, from its row (evidence kind, chain, hash, document)."""
    if entry.evidence_kind in (EvidenceKind.CHAIN_LOG, EvidenceKind.CHAIN_TX):
        return Proof(ProofKind.CHAIN, chain_id=entry.chain_id, tx_hash=entry.tx_hash)
    if bank_reference is not None:
        return Proof(
            ProofKind.BANK, reference=bank_reference, document_sha256=entry.document_sha256
        )
    if entry.evidence_kind in (EvidenceKind.IMPORT_ROW, EvidenceKind.DOCUMENT):
        return Proof(ProofKind.STATEMENT, document_sha256=entry.document_sha256)
    return Proof(ProofKind.MANUAL)


class _EntryRow(Protocol):
    """The columns of a journal entry that its proof is read from (a row or an entry)."""

    @property
    def evidence_kind(self) -> EvidenceKind: ...
    @property
    def chain_id(self) -> int | None: ...
    @property
    def tx_hash(self) -> str | None: ...
    @property
    def document_sha256(self) -> str | None: ...


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def get_last_verified(session: Session) -> datetime | None:
    """Return when the ledger was last brought up to date: the latest booked block's time on
    any chain, or the latest journal entry's booking time, whichever is later."""
    times: list[datetime] = []
    for cursor in session.scalars(select(SyncCursor)):
        stamp = session.scalar(
            select(ChainBlock.timestamp).where(
                ChainBlock.chain_id == cursor.chain_id, ChainBlock.number == cursor.booked_to
            )
        )
        if stamp is not None:
            times.append(datetime.fromtimestamp(stamp, UTC))
    latest = session.scalar(select(func.max(JournalEntry.created_at)))
    if latest is not None:
        times.append(_aware(latest))
    return max(times) if times else None


def list_pending(session: Session) -> list[PendingTx]:
    """Chain transactions seen but not final (``chain_log.is_booked`` false), one per hash."""
    out: dict[tuple[int, str], PendingTx] = {}
    rows = session.scalars(
        select(ChainLog)
        .where(ChainLog.is_booked.is_(False))
        .order_by(ChainLog.block_number, ChainLog.log_index)
    )
    for row in rows:
        artwork_id = None
        try:
            event = decode_log(row.chain_id, row.to_raw_log())
        except MalformedLogError:
            event = None
        if isinstance(event, Trade):
            artwork_id = find_edition(session, row.chain_id, event.collection, event.token_id)[1]
        elif isinstance(event, ElementFill):
            artwork_id = find_edition(session, row.chain_id, event.nft_contract, event.token_id)[1]
        key = (row.chain_id, row.tx_hash)
        known = out.get(key)
        if known is None or (known.artwork_id is None and artwork_id is not None):
            seen_at = (
                datetime.fromtimestamp(row.block_timestamp, UTC)
                if row.block_timestamp is not None
                else None
            )
            out[key] = PendingTx(row.chain_id, row.tx_hash, row.block_number, seen_at, artwork_id)
    return list(out.values())


def build_public_ledger(
    session: Session,
    lang: str = "en",
    fallback: Sequence[str] = ("kk", "ru", "en"),
    approximate_in: str = "",
    flow_book: FlowBook | None = None,
) -> PublicLedger:
    """Read the whole public ledger: figures, sales, payouts, pending, last verification.

    ``approximate_in`` ("KZT" or "USD") loads the recorded rates into that currency so pages
    can add a labelled approximate total (``PublicLedger.approximate``). ``flow_book``, when
    given, must be up to date with the journal (``update_flow_book``): its flows are used
    instead of replaying the journal.
    """
    core = build_public_core(session, approximate_in, flow_book)
    return localise_public_ledger(core, lang, fallback)


@dataclass
class PublicCore:
    """The public ledger in no language yet: everything but the titles and names, with those
    in every language. Built once per database change and shared by the languages
    (``localise_public_ledger`` is cheap)."""

    ledger: PublicLedger  # its artworks and beneficiary_names are empty
    artworks: list[tuple[int, str, str, dict[str, str]]]  # id, key, public code, titles
    beneficiary_names: dict[str, dict[str, str]]  # key -> names by language


def localise_public_ledger(core: PublicCore, lang: str, fallback: Sequence[str]) -> PublicLedger:
    """The core's public ledger with the titles and names in ``lang`` (else the fallback)."""

    def title(texts: dict[str, str]) -> str:
        shown = choose_text(texts, lang, fallback)
        return shown.text if shown is not None else "?"

    return replace(
        core.ledger,
        artworks={
            id_: ArtworkRef(id_, key, code, title(texts)) for id_, key, code, texts in core.artworks
        },
        beneficiary_names={key: title(texts) for key, texts in core.beneficiary_names.items()},
    )


def build_public_core(
    session: Session,
    approximate_in: str = "",
    flow_book: FlowBook | None = None,
    previous: PublicCore | None = None,
) -> PublicCore:
    """Everything of the public ledger that does not depend on the visitor's language.

    ``previous``: the core built from ``flow_book`` before the book was extended in place with
    new entries only (``update_flow_book`` said so). Only the new flows are then summed,
    listed and grouped, on top of copies of what ``previous`` holds (which stays as it was);
    the result is the same as a build from scratch (tests/web/test_ledger_updates.py).
    """
    flows = list(flow_book.flows) if flow_book is not None else list(iter_flows(session))
    # Plain rows on the session's connection: the ORM's result handling costs seconds here.
    session.flush()
    entries = flow_book.proofs if flow_book is not None else read_entry_proofs(session)
    connection = session.connection()
    records: Mapping[int, _RecordRow] = (
        flow_book.records
        if flow_book is not None
        else {
            r.entry_id: r
            for r in connection.execute(
                select(
                    RoutingRecord.entry_id, RoutingRecord.routing_entry_id, RoutingRecord.artwork_id
                )
            )
        }
    )
    routing_entries = {r.routing_entry_id for r in records.values() if r.routing_entry_id}
    beneficiaries = {b.id: b for b in session.scalars(select(Beneficiary))}
    owner_of = {
        name: beneficiaries[ben_id].key
        for name, ben_id in session.execute(select(Account.name, Account.beneficiary_id))
        if ben_id is not None and ben_id in beneficiaries
    }

    def recipient_key(flow: Flow) -> Iterable[str]:
        if flow.kind not in (FlowKind.ROUTED, FlowKind.DISBURSED) or flow.recipient is None:
            return []
        return [owner_of.get(flow.recipient) or flow.recipient.rsplit(":", 1)[-1]]

    old = previous.ledger if previous is not None else None
    if old is not None and flow_book is not None and len(old.flows) <= len(flows):
        start = len(old.flows)
    else:
        old, start = None, 0
    new_flows = flows[start:]
    sales = _list_sales(new_flows, records, routing_entries, entries)
    if old is not None and sales and old.sales and sales[0].entry_id <= old.sales[-1].entry_id:
        old, start, new_flows = None, 0, flows  # not only newer entries: from scratch
        sales = _list_sales(flows, records, routing_entries, entries)

    total = sum_flows(new_flows, lambda f: ["total"])
    if old is None:
        totals = total.get("total", FiguresByAsset())
        by_artwork = sum_flows(flows, lambda f: [f.attr.artwork_id])
        by_beneficiary = sum_flows(flows, recipient_key)
        flows_by_artwork = _group_by_artwork(flows)
        sales_by_artwork = _sales_by_artwork(sales)
    else:
        totals = add_sums({"total": old.totals}, total)["total"]
        by_artwork = add_sums(
            old.by_artwork, sum_flows(new_flows, lambda f: [f.attr.artwork_id])
        )
        by_beneficiary = (
            add_sums(old.by_beneficiary, sum_flows(new_flows, recipient_key))
            if owner_of == old.recipient_of
            else sum_flows(flows, recipient_key)  # an account changed hands: all again
        )
        flows_by_artwork = _extended_groups(
            old.flows_by_artwork, new_flows, lambda f: f.attr.artwork_id
        )
        sales_by_artwork = _extended_groups(old.sales_by_artwork, sales, lambda s: s.artwork_id)
        sales = old.sales + sales
    disbursements = []
    # A payout whose entry was reversed (a match undone in reconciliation) is listed with its
    # correction right after it, so the list adds up to the disbursed figure.
    reversal_of = {e.reverses_entry_id: e for e in entries.values() if e.reverses_entry_id}
    for payout, asset_code in session.execute(
        select(Disbursement, Asset.code).join(Asset).order_by(Disbursement.id)
    ):
        entry = entries.get(payout.entry_id) or read_entry_proofs(
            session, after_id=payout.entry_id - 1
        )[payout.entry_id]
        reference = payout.reference if payout.method.value == "bank" else None
        beneficiary_key = beneficiaries[payout.beneficiary_id].key
        disbursements.append(
            PublicEntry(
                entry_id=entry.id,
                at=_aware(entry.effective_at),
                kind="disbursement",
                asset=asset_code,
                received=payout.amount,
                pledged=0,
                artwork_id=None,
                beneficiary_key=beneficiary_key,
                proof=_proof(entry, reference),
            )
        )
        reversal = reversal_of.get(entry.id)
        if reversal is not None:
            disbursements.append(
                PublicEntry(
                    entry_id=reversal.id,
                    at=_aware(reversal.effective_at),
                    kind="disbursement",
                    asset=asset_code,
                    received=-payout.amount,
                    pledged=0,
                    artwork_id=None,
                    beneficiary_key=beneficiary_key,
                    proof=_proof(reversal, reference),
                    is_reversal=True,
                )
            )
    ledger = PublicLedger(
        totals=totals,
        by_artwork=by_artwork,
        by_beneficiary=by_beneficiary,
        beneficiary_names={},
        verified_beneficiaries=frozenset(b.key for b in beneficiaries.values() if b.is_verified),
        artworks={},
        sales=sales,
        disbursements=disbursements,
        pending=list_pending(session),
        last_verified=get_last_verified(session),
        decimals={code: dec for code, dec in session.execute(select(Asset.code, Asset.decimals))},
        recipient_of=owner_of,
        flows=flows,
        flows_by_artwork=flows_by_artwork,
        sales_by_artwork=sales_by_artwork,
        rate_book=_rate_book(session, approximate_in),
        updates=list_published_updates(session),
    )
    return PublicCore(
        ledger=ledger,
        artworks=_artwork_titles(session),
        beneficiary_names={b.key: b.name.present_texts() for b in beneficiaries.values()},
    )


def _artwork_titles(session: Session) -> list[tuple[int, str, str, dict[str, str]]]:
    """Every artwork's id, key, public code and titles by language, ordered by key, as plain
    rows (ORM objects for 10,000 works cost more than a second)."""
    connection = session.connection()
    titles: dict[int, dict[str, str]] = defaultdict(dict)
    for text_set_id, lang, text in connection.execute(
        select(TextVariant.text_set_id, TextVariant.lang, TextVariant.text)
        .join(Artwork, Artwork.title_id == TextVariant.text_set_id)
        .where(TextVariant.is_present)
    ):
        if text is not None:
            titles[text_set_id][lang] = text
    return [
        (id_, key, code, titles.get(title_id, {}))
        for id_, key, code, title_id in connection.execute(
            select(Artwork.id, Artwork.key, Artwork.public_code, Artwork.title_id).order_by(
                Artwork.key
            )
        )
    ]


def _rate_book(session: Session, quote: str) -> RateBook | None:
    if not quote:
        return None
    try:
        return get_rate_book(session, quote)
    except LedgerError:  # the catalogue has no such asset: nothing to approximate in
        return None


class _RecordRow(Protocol):
    @property
    def routing_entry_id(self) -> int | None: ...
    @property
    def artwork_id(self) -> int | None: ...


def _list_sales(
    flows: Sequence[Flow],
    records: Mapping[int, _RecordRow],
    routing_entries: set[int],
    entries: Mapping[int, EntryProof],
) -> list[PublicEntry]:
    """Every receipt or pledge entry among ``flows`` (not the routing entries), per asset, in
    entry order."""
    amounts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for flow in flows:
        if flow.entry_id in records and flow.entry_id not in routing_entries:
            if flow.kind == FlowKind.RECEIVED:
                amounts[(flow.entry_id, flow.asset)][0] += flow.amount
            elif flow.kind == FlowKind.PLEDGED and flow.amount > 0:
                amounts[(flow.entry_id, flow.asset)][1] += flow.amount
    sales = []
    for (entry_id, asset), (received, pledged) in sorted(amounts.items()):
        entry = entries[entry_id]
        sales.append(
            PublicEntry(
                entry_id=entry_id,
                at=_aware(entry.effective_at),
                kind="sale",
                asset=asset,
                received=received,
                pledged=pledged,
                artwork_id=records[entry_id].artwork_id,
                beneficiary_key=None,
                proof=_proof(entry),
                is_reversal=entry.reverses_entry_id is not None,
            )
        )
    return sales


def _extended_groups(
    old: Mapping[K, list[V]], items: Iterable[V], key: Callable[[V], K]
) -> dict[K, list[V]]:
    """``old``'s lists with ``items`` appended by key, in new lists where they grow."""
    out = dict(old)
    copied: set[K] = set()
    for item in items:
        k = key(item)
        if k not in copied:
            out[k] = list(out.get(k, ()))
            copied.add(k)
        out[k].append(item)
    return out


def _sales_by_artwork(sales: Iterable[PublicEntry]) -> dict[int | None, list[PublicEntry]]:
    out: dict[int | None, list[PublicEntry]] = defaultdict(list)
    for sale in sales:
        out[sale.artwork_id].append(sale)
    return dict(out)


def _group_by_artwork(flows: Iterable[Flow]) -> dict[int | None, list[Flow]]:
    out: dict[int | None, list[Flow]] = defaultdict(list)
    for flow in flows:
        out[flow.attr.artwork_id].append(flow)
    return dict(out)


def get_artwork_transparency(ledger: PublicLedger, artwork_id: int) -> ArtworkTransparency:
    """Cut the public ledger down to one artwork."""
    figures = FiguresByAsset()
    per_recipient: dict[tuple[str, str], Figures] = defaultdict(Figures)
    # (payout entry, asset) -> the part of that payout from this artwork (one payout entry
    # pays one beneficiary)
    from_this_work: dict[tuple[int, str], int] = defaultdict(int)
    for flow in ledger.flows_by_artwork.get(artwork_id, []):
        figures.add(flow)
        if flow.kind in (FlowKind.ROUTED, FlowKind.DISBURSED) and flow.recipient:
            per_recipient[(ledger.recipient_key(flow.recipient), flow.asset)].add(
                flow.kind, flow.amount
            )
        if flow.kind == FlowKind.DISBURSED:
            from_this_work[(flow.entry_id, flow.asset)] += flow.amount
    entries = list(ledger.sales_by_artwork.get(artwork_id, []))
    entries += [
        replace(d, for_this_work=from_this_work[k])
        for d in ledger.disbursements
        if (k := (d.entry_id, d.asset)) in from_this_work
    ]
    return ArtworkTransparency(
        figures={a: figures.by_asset[a] for a in figures.assets()},
        beneficiaries=[(k, a, f) for (k, a), f in sorted(per_recipient.items()) if not f.is_zero()],
        entries=sorted(entries, key=lambda e: (e.at, e.entry_id)),
        pending=[p for p in ledger.pending if p.artwork_id == artwork_id],
        last_verified=ledger.last_verified,
    )


@dataclass(frozen=True)
class Receipt:
    """One gift as its donor may see it: the sale, its proof, and where its money went.

    Nothing here names the donor or leads to their other gifts (no person reference, no gift
    id, no wallet).
    """

    sales: list[PublicEntry]
    routed: list[tuple[str, str, int]]  # (beneficiary key, asset, amount routed from this gift)
    is_reversed: bool


def get_receipt(session: Session, ledger: PublicLedger, code: str) -> Receipt | None:
    """Return the receipt for a gift's private code, or None when no gift has that code."""
    code = code.strip()
    if not code or len(code) > 40:
        return None
    entry_id = session.scalar(select(Gift.entry_id).where(Gift.receipt_code == code))
    if entry_id is None:
        return None
    record = session.scalar(select(RoutingRecord).where(RoutingRecord.entry_id == entry_id))
    routed: dict[tuple[str, str], int] = defaultdict(int)
    if record is not None and record.routing_entry_id is not None:
        for flow in ledger.flows:
            if (
                flow.entry_id == record.routing_entry_id
                and flow.kind == FlowKind.ROUTED
                and flow.recipient
            ):
                routed[(ledger.recipient_key(flow.recipient), flow.asset)] += flow.amount
    reversed_by = session.scalar(
        select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id)
    )
    return Receipt(
        sales=[s for s in ledger.sales if s.entry_id == entry_id],
        routed=[(k, a, n) for (k, a), n in sorted(routed.items())],
        is_reversed=reversed_by is not None,
    )


def public_records(ledger: PublicLedger) -> list[dict[str, Any]]:
    """Every sale and payout as plain records (no personal data): the export's rows."""

    def record(entry: PublicEntry) -> dict[str, Any]:
        art = ledger.artworks.get(entry.artwork_id or -1)
        decimals = ledger.decimals.get(entry.asset, 0)
        return {
            "entry_id": entry.entry_id,
            "date": entry.at.isoformat(),
            "kind": entry.kind,
            "asset": entry.asset,
            "amount": format_units(entry.received, decimals),
            "amount_units": str(entry.received),
            "pledged": format_units(entry.pledged, decimals),
            "pledged_units": str(entry.pledged),
            "artwork": art.public_code if art else "",
            "beneficiary": entry.beneficiary_key or "",
            "proof": entry.proof.kind.value,
            "chain_id": entry.proof.chain_id if entry.proof.chain_id is not None else "",
            "tx_hash": entry.proof.tx_hash or "",
            "bank_reference": entry.proof.reference or "",
            "document_sha256": entry.proof.document_sha256 or "",
            "is_reversal": entry.is_reversal,
        }

    # In journal order (entry ids only grow), so the records published at one time are a
    # prefix of those published later: see docs/checkpoints.md.
    entries = sorted(
        [*ledger.sales, *ledger.disbursements], key=lambda e: (e.entry_id, e.kind, e.asset)
    )
    return [record(e) for e in entries]


EXPORT_FIELDS = (
    "entry_id", "date", "kind", "asset", "amount", "amount_units", "pledged", "pledged_units",
    "artwork", "beneficiary", "proof", "chain_id", "tx_hash", "bank_reference",
    "document_sha256", "is_reversal",
)  # fmt: skip


@cache
def _ledger_version_statement() -> Select[Any]:
    # Built once: constructing the nine subqueries costs more than running them.
    parts = [
        select(func.coalesce(func.max(JournalEntry.id), 0)),
        select(func.coalesce(func.max(RoutingRecord.id), 0)),
        select(func.coalesce(func.max(Disbursement.id), 0)),
        select(func.coalesce(func.max(ChainLog.id), 0)),
        # Written as the partial index ix_chain_log_unbooked is, so the count reads only it.
        select(func.count(ChainLog.id)).where(not_(ChainLog.is_booked)),
        select(func.coalesce(func.sum(SyncCursor.booked_to), 0)),
        select(func.coalesce(func.max(Artwork.id), 0)),
        select(func.coalesce(func.max(Beneficiary.id), 0)),
        select(func.coalesce(func.max(ChangeStamp.value), 0)).where(ChangeStamp.name == PUBLIC),
    ]
    return select(*(p.scalar_subquery() for p in parts))


def compile_ledger_version_sql(dialect: Dialect) -> str:
    """The fingerprint's one statement as plain SQL for ``dialect``, with no parameters: for a
    caller that runs it on a bare driver connection (``web.transparency.VersionReader``)."""
    compiled = _ledger_version_statement().compile(
        dialect=dialect, compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def format_ledger_version(row: Sequence[Any]) -> str:
    """The fingerprint as a string, from the row of ``compile_ledger_version_sql``."""
    return ":".join(str(value) for value in row)


def get_ledger_version(session: Session) -> str:
    """A cheap fingerprint of everything the public ledger and pages are built from (one query
    of index lookups, well under a millisecond on 200,000 entries).

    It changes with every new journal entry, routing record, payout or raw chain
    log (pending or booked), every sync cursor move, and every change the ORM flushes to the
    catalogue (texts, consent, editions, beneficiaries, hotlines) or to an existing routing
    record or payout (the ``public`` change stamp, ``ledger.models.stamps``). A cache keyed by
    it can never serve anything older than the database.
    """
    return format_ledger_version(session.execute(_ledger_version_statement()).one())
