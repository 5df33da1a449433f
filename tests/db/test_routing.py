"""Routing on the demo catalogue: allocations by the rule in force, reversals, FIFO figures,
bank disbursements with documents; properties over random receipts and reversals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import bank_account, receivable_account, sales_account
from ledger.demo.load import load_demo
from ledger.journal import (
    EntrySpec,
    PostingSpec,
    get_balances,
    open_account,
    post_entry,
    reverse_entry,
)
from ledger.models import (
    Artwork,
    Beneficiary,
    EvidenceKind,
    JournalEntry,
    RoutingRecord,
    RoutingStatus,
    RuleScope,
    SplitRule,
    SplitShare,
)
from ledger.reports.figures import get_total_figures, sum_flows
from ledger.reports.flows import iter_flows
from ledger.routing.attribute import Attribution
from ledger.routing.disburse import BankPayout, DisbursementError, record_bank_disbursement
from ledger.routing.route import record_attribution, route_pending

CRISIS = "Liabilities:Payable:CrisisCentreAlmaty"
LEGAL = "Liabilities:Payable:LegalAidFund"
BANK = bank_account()
T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo(session)
    open_account(session, BANK)
    open_account(session, sales_account("Exhibition"))
    open_account(session, receivable_account("Pledges"))
    open_account(session, "Income:Pledges:Exhibition")
    return session


def artwork_id(session: Session, key: str) -> int:
    return session.scalars(select(Artwork.id).where(Artwork.key == key)).one()


def cash_sale(
    session: Session, key: str, amount: int, at: datetime = T0, artwork: str | None = "venera"
) -> JournalEntry:
    entry = post_entry(
        session,
        EntrySpec(
            idempotency_key=key,
            effective_at=at,
            description=f"sale {key}",
            postings=[
                PostingSpec(BANK, "KZT", amount),
                PostingSpec(sales_account("Exhibition"), "KZT", -amount),
            ],
        ),
    )
    attribution = Attribution(
        "Exhibition", artwork_id=artwork_id(session, artwork) if artwork else None
    )
    record_attribution(session, entry, attribution)
    return entry


def test_a_receipt_is_allocated_by_the_rule_in_force_with_the_remainder_named(
    demo: Session,
) -> None:
    cash_sale(demo, "sale-1", 100_001)
    report = route_pending(demo)
    assert report.routed == 1
    balances = get_balances(demo)
    assert balances[(CRISIS, "KZT")] == -60_000
    assert balances[(LEGAL, "KZT")] == -40_001  # the remainder goes to legal aid
    assert balances[("Equity:Routed", "KZT")] == 100_001
    assert route_pending(demo).routed == 0  # idempotent
    figures = get_total_figures(demo)["KZT"]
    assert (figures.received, figures.routed, figures.disbursed, figures.outstanding) == (
        100_001,
        100_001,
        0,
        100_001,
    )


def test_a_new_rule_version_applies_from_its_date_and_never_rewrites_the_past(
    demo: Session,
) -> None:
    cash_sale(demo, "before", 10_000, at=T0)
    route_pending(demo)
    legal = demo.scalars(select(Beneficiary).where(Beneficiary.key == "legal-aid-fund")).one()
    crisis = demo.scalars(
        select(Beneficiary).where(Beneficiary.key == "crisis-centre-almaty")
    ).one()
    v2 = SplitRule(
        scope=RuleScope.ARTWORK,
        scope_id=artwork_id(demo, "venera"),
        version=1,
        effective_from=T0 + timedelta(days=1),
        remainder_beneficiary_id=crisis.id,
    )
    v2.shares = [
        SplitShare(beneficiary_id=crisis.id, bps=5000),
        SplitShare(beneficiary_id=legal.id, bps=5000),
    ]
    demo.add(v2)
    demo.flush()
    cash_sale(demo, "after", 10_001, at=T0 + timedelta(days=2))
    cash_sale(demo, "other-artwork", 10_000, at=T0 + timedelta(days=2), artwork="alina")
    route_pending(demo)
    balances = get_balances(demo)
    # before: 6000/4000 (initiative rule); after: 5001/5000 (artwork rule, remainder to crisis);
    # alina has no rule of its own: the initiative rule.
    assert balances[(CRISIS, "KZT")] == -(6_000 + 5_001 + 6_000)
    assert balances[(LEGAL, "KZT")] == -(4_000 + 5_000 + 4_000)
    first = demo.scalars(
        select(RoutingRecord)
        .join(JournalEntry, RoutingRecord.entry_id == JournalEntry.id)
        .where(JournalEntry.idempotency_key == "before")
    ).one()
    assert first.rule_id != v2.id


def test_no_rule_in_force_leaves_the_receipt_unrouted_until_one_is(demo: Session) -> None:
    cash_sale(demo, "too-early", 500, at=datetime(2020, 1, 1, tzinfo=UTC))
    assert route_pending(demo).no_rule == 1
    record = demo.scalars(select(RoutingRecord)).one()
    assert record.status == RoutingStatus.NO_RULE


def test_reversing_a_receipt_reverses_its_allocation(demo: Session) -> None:
    sale = cash_sale(demo, "oops", 7_777)
    route_pending(demo)
    reverse_entry(demo, sale.id, effective_at=T0 + timedelta(hours=1), description="typo")
    report = route_pending(demo)
    assert report.unrouted == 1
    balances = get_balances(demo)
    assert (CRISIS, "KZT") not in balances and ("Equity:Routed", "KZT") not in balances
    record = demo.scalars(select(RoutingRecord).where(RoutingRecord.entry_id == sale.id)).one()
    assert record.status == RoutingStatus.REVERSED


def test_a_settled_pledge_is_received_and_attributed_to_its_artwork(demo: Session) -> None:
    pledge = post_entry(
        demo,
        EntrySpec(
            "pledge-1",
            T0,
            "pledge",
            [
                PostingSpec(receivable_account("Pledges"), "KZT", 50_000),
                PostingSpec("Income:Pledges:Exhibition", "KZT", -50_000),
            ],
        ),
    )
    record_attribution(
        demo, pledge, Attribution("Exhibition", artwork_id=artwork_id(demo, "anara"))
    )
    paid = post_entry(
        demo,
        EntrySpec(
            "pledge-1-paid",
            T0 + timedelta(days=3),
            "pledge paid",
            [
                PostingSpec(BANK, "KZT", 30_000),
                PostingSpec(receivable_account("Pledges"), "KZT", -30_000),
            ],
        ),
    )
    route_pending(demo)
    records = {r.entry_id: r for r in demo.scalars(select(RoutingRecord))}
    assert records[pledge.id].status == RoutingStatus.NOTHING_RECEIVED
    assert records[paid.id].status == RoutingStatus.ROUTED
    totals = get_total_figures(demo)["KZT"]
    assert (totals.pledged, totals.received, totals.routed) == (20_000, 30_000, 30_000)
    by_artwork = sum_flows(iter_flows(demo), lambda f: [f.attr.artwork_id])
    anara = by_artwork[artwork_id(demo, "anara")].by_asset["KZT"]
    assert (anara.pledged, anara.received, anara.routed) == (20_000, 30_000, 30_000)


def test_bank_disbursement_needs_a_reference_and_a_document_and_no_more_than_outstanding(
    demo: Session, tmp_path: Path
) -> None:
    cash_sale(demo, "s", 10_000)
    route_pending(demo)
    payout = BankPayout(
        beneficiary_key="crisis-centre-almaty",
        asset="KZT",
        amount=6_001,
        bank_reference="PP-0001",
        paid_at=T0 + timedelta(days=5),
        document=b"%PDF-1.4 bank statement",
        document_name="statement.pdf",
    )
    with pytest.raises(DisbursementError, match="more than the 6000"):
        record_bank_disbursement(demo, tmp_path, payout)
    ok = BankPayout(**{**payout.__dict__, "amount": 6_000})
    first = record_bank_disbursement(demo, tmp_path, ok)
    assert record_bank_disbursement(demo, tmp_path, ok).id == first.id  # idempotent
    assert (
        first.document_sha256
        and (tmp_path / first.document_sha256[:2] / first.document_sha256).read_bytes()
        == ok.document
    )
    entry = demo.get(JournalEntry, first.entry_id)
    assert entry is not None and entry.evidence_kind == EvidenceKind.DOCUMENT
    totals = get_total_figures(demo)["KZT"]
    assert (totals.disbursed, totals.outstanding) == (6_000, 4_000)
    by_artwork = sum_flows(iter_flows(demo), lambda f: [f.attr.artwork_id])
    assert by_artwork[artwork_id(demo, "venera")].by_asset["KZT"].disbursed == 6_000


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["sale", "reverse", "route"]), st.integers(1, 10**24)),
        min_size=1,
        max_size=8,
    )
)
def test_property_balances_balance_and_figures_agree_with_balances(
    demo: Session, ops: list[tuple[str, int]]
) -> None:
    for op, amount in ops:
        if op == "sale":
            key = f"p-{demo.scalar(select(JournalEntry.id).order_by(JournalEntry.id.desc()).limit(1))}-{amount}"
            cash_sale(demo, key, amount, artwork=["venera", "alina", None][amount % 3])
        elif op == "reverse":
            candidates = demo.scalars(
                select(JournalEntry).where(
                    JournalEntry.evidence_kind == EvidenceKind.MANUAL,
                    ~JournalEntry.idempotency_key.startswith("route:"),
                    ~JournalEntry.id.in_(
                        select(JournalEntry.reverses_entry_id).where(
                            JournalEntry.reverses_entry_id.is_not(None)
                        )
                    ),
                )
            ).all()
            if candidates:
                target = candidates[amount % len(candidates)]
                reverse_entry(demo, target.id, effective_at=T0, description="undo")
        else:
            route_pending(demo)
    route_pending(demo)
    balances = get_balances(demo)
    per_asset: dict[str, int] = {}
    for (_, asset), value in balances.items():
        per_asset[asset] = per_asset.get(asset, 0) + value
    assert all(total == 0 for total in per_asset.values())
    totals = get_total_figures(demo)
    flows = sum_flows(iter_flows(demo), lambda f: ["all"]).get("all")
    for asset, figures in totals.items():
        assert flows is not None
        assert flows.by_asset[asset].as_dict() == figures.as_dict()
        assert figures.received == figures.routed  # every live receipt is routed
    assert all(v <= 0 for (a, _), v in balances.items() if a.startswith("Liabilities:Payable"))
