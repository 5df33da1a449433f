"""The reconciliation inbox on the demo catalogue (both databases): the state machine and its
append-only history, bulk actions, undoing a match by a reversing entry, automatic matching of
chain payouts and bank statement lines, suggestions, and manual entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ledger.accounts import sales_account, suspense_account
from ledger.audit import Actor
from ledger.demo.load import load_demo
from ledger.errors import IdempotencyConflictError
from ledger.journal import EntrySpec, Evidence, PostingSpec, get_balances, open_account, post_entry
from ledger.manual import ManualEntry, ManualEntryError, ManualKind, record_manual_entry
from ledger.models import (
    AuditLog,
    Disbursement,
    FailReason,
    ItemSource,
    ItemState,
    JournalEntry,
    MatchKind,
    ReconcileEvent,
    ReconcileItem,
)
from ledger.reconcile.inbox import (
    Action,
    ItemFilter,
    ReconcileError,
    apply_bulk,
    collect_items,
    compute_suggestions,
    get_history,
    list_items,
    match_item,
    match_statement_lines,
    set_state,
    unmatch_item,
)
from ledger.reports.figures import get_total_figures
from ledger.reports.public import build_public_ledger
from ledger.routing.disburse import BankPayout, record_bank_disbursement, record_chain_disbursements
from ledger.routing.route import route_pending

WHO = Actor(name="tester", via="cli")
WALLET = "Assets:Wallet:Treasury:56-aaaaaaaa"
CRISIS = "Liabilities:Payable:CrisisCentreAlmaty"
T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)
PDF = b"%PDF-1.4 a bank statement"


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo(session)
    for name in (WALLET, sales_account("PancakeSwap"), suspense_account()):
        open_account(session, name)
    return session


_log_index = iter(range(1, 10_000))


def chain_entry(session: Session, key: str, *legs: tuple[str, str, int]) -> JournalEntry:
    n = next(_log_index)
    entry = post_entry(
        session,
        EntrySpec(
            idempotency_key=key,
            effective_at=T0 + timedelta(minutes=n),
            description=key,
            postings=[PostingSpec(a, asset, amount) for a, asset, amount in legs],
            evidence=Evidence.chain_log(56, 100 + n, "0x" + f"{n:064x}", n, "0x" + f"{n:064x}"),
        ),
    )
    return entry


def chain_sale(session: Session, key: str, amount: int) -> JournalEntry:
    entry = chain_entry(
        session, key, (WALLET, "USDT", amount), (sales_account("PancakeSwap"), "USDT", -amount)
    )
    route_pending(session)
    return entry


def item_of(session: Session, entry: JournalEntry) -> ReconcileItem:
    collect_items(session)
    return session.scalars(select(ReconcileItem).where(ReconcileItem.entry_id == entry.id)).one()


def cash_sale(session: Session, tmp_path: Path, reference: str, amount: int) -> JournalEntry:
    return record_manual_entry(
        session,
        tmp_path,
        ManualEntry(ManualKind.CASH_SALE, reference, "KZT", amount, T0, artwork="venera"),
        WHO,
    )


def test_the_state_machine_allows_only_its_transitions_and_keeps_history(
    demo: Session, tmp_path: Path
) -> None:
    item = item_of(demo, cash_sale(demo, tmp_path, "R-1", 10_000))
    assert (item.source, item.state) == (ItemSource.MANUAL, ItemState.PENDING)
    set_state(demo, item, ItemState.ON_HOLD, WHO)
    set_state(demo, item, ItemState.IGNORED, WHO)
    with pytest.raises(ReconcileError, match="cannot become on_hold"):
        set_state(demo, item, ItemState.ON_HOLD, WHO)
    set_state(demo, item, ItemState.PENDING, WHO)
    with pytest.raises(ReconcileError, match="reason"):
        set_state(demo, item, ItemState.FAILED, WHO)
    set_state(demo, item, ItemState.FAILED, WHO, reason=FailReason.MISSING_EVIDENCE)
    assert item.reason == FailReason.MISSING_EVIDENCE
    match_item(demo, item, WHO)
    assert (item.state, item.match_kind, item.reason) == (
        ItemState.MATCHED,
        MatchKind.CONFIRMED,
        None,
    )
    with pytest.raises(ReconcileError, match="undo the match first"):
        set_state(demo, item, ItemState.IGNORED, WHO)
    unmatch_item(demo, item, WHO)
    history = [(e.from_state, e.to_state) for e in get_history(demo, item)]
    assert history == [
        (None, "pending"),
        ("pending", "on_hold"),
        ("on_hold", "ignored"),
        ("ignored", "pending"),
        ("pending", "failed"),
        ("failed", "matched"),
        ("matched", "pending"),
    ]
    actions = demo.scalars(
        select(AuditLog.action).where(AuditLog.target_type == "reconcile_item")
    ).all()
    assert len(actions) == 6 and "reconcile.match" in actions


def test_the_history_is_append_only(demo: Session, tmp_path: Path) -> None:
    item = item_of(demo, cash_sale(demo, tmp_path, "R-2", 10_000))
    event = get_history(demo, item)[0]
    with pytest.raises(DBAPIError), demo.begin_nested():
        demo.execute(update(ReconcileEvent).where(ReconcileEvent.id == event.id).values(seq=9))
    with pytest.raises(DBAPIError), demo.begin_nested():
        demo.execute(text("DELETE FROM reconcile_event"))


def test_the_database_refuses_a_failed_item_without_reason(demo: Session, tmp_path: Path) -> None:
    item = item_of(demo, cash_sale(demo, tmp_path, "R-3", 10_000))
    with pytest.raises(DBAPIError), demo.begin_nested():
        demo.execute(
            update(ReconcileItem).where(ReconcileItem.id == item.id).values(state="failed")
        )


def test_bulk_actions_change_what_they_may_and_report_the_rest(
    demo: Session, tmp_path: Path
) -> None:
    items = [item_of(demo, cash_sale(demo, tmp_path, f"B-{n}", 1_000 + n)) for n in range(3)]
    ids = [i.id for i in items]
    match_item(demo, items[0], WHO)
    result = apply_bulk(demo, ids, Action.IGNORE, WHO)
    assert result.done == ids[1:]
    assert [i for i, _ in result.refused] == [ids[0]]
    assert items[0].state == ItemState.MATCHED  # the refused one is untouched
    result = apply_bulk(demo, ids, Action.REOPEN, WHO)
    assert result.done == ids[1:]
    result = apply_bulk(demo, ids, Action.HOLD, WHO)
    assert result.done == ids[1:]
    result = apply_bulk(demo, ids, Action.FAIL, WHO, reason=FailReason.DUPLICATE)
    assert result.done == ids[1:]
    result = apply_bulk(demo, ids, Action.MATCH, WHO)
    assert result.done == ids[1:]
    result = apply_bulk(demo, ids, Action.UNMATCH, WHO)
    assert result.done == ids
    assert {i.state for i in items} == {ItemState.PENDING}
    on_hold = list_items(demo, ItemFilter(state=ItemState.PENDING, source=ItemSource.MANUAL))
    assert {i.id for i, _ in on_hold} >= set(ids)


def test_chain_sales_and_payouts_to_beneficiary_wallets_match_automatically(
    demo: Session,
) -> None:
    sale = chain_sale(demo, "sale-auto", 1_000)
    payout = chain_entry(demo, "payout-auto", (CRISIS, "USDT", 600), (WALLET, "USDT", -600))
    record_chain_disbursements(demo)
    sale_item, payout_item = item_of(demo, sale), item_of(demo, payout)
    assert (sale_item.state, sale_item.match_kind) == (ItemState.MATCHED, MatchKind.EVIDENCE)
    disbursement = demo.scalars(
        select(Disbursement).where(Disbursement.entry_id == payout.id)
    ).one()
    assert payout_item.match_kind == MatchKind.DISBURSEMENT
    assert payout_item.match_ref == f"disbursement:{disbursement.id}"
    assert payout_item.source == ItemSource.CHAIN
    assert collect_items(demo) == []  # idempotent


def test_an_unknown_transfer_is_suggested_payables_and_undo_restores_the_balances(
    demo: Session,
) -> None:
    chain_sale(demo, "sale-1", 1_000)  # routes 600 to the crisis centre, 400 to legal aid
    out = chain_entry(demo, "to-unknown", (suspense_account(), "USDT", 600), (WALLET, "USDT", -600))
    item = item_of(demo, out)
    assert item.state == ItemState.PENDING  # not unambiguous: it waits
    suggestions = compute_suggestions(demo, item)
    assert suggestions[0].ref == "beneficiary:crisis-centre-almaty"
    assert suggestions[0].is_exact and not any(s.is_exact for s in suggestions[1:])
    before = get_balances(demo)
    figures_before = get_total_figures(demo)["USDT"]
    match_item(demo, item, WHO)  # the single exact candidate
    assert item.match_kind == MatchKind.PAYABLE and item.match_entry_id is not None
    after = get_balances(demo)
    assert after.get((CRISIS, "USDT"), 0) == 0
    assert (suspense_account(), "USDT") not in after
    assert get_total_figures(demo)["USDT"].disbursed == 600
    assert demo.scalars(
        select(Disbursement).where(Disbursement.entry_id == item.match_entry_id)
    ).one()
    match_entry = item.match_entry_id
    unmatch_item(demo, item, WHO)
    assert get_balances(demo) == before
    assert get_total_figures(demo)["USDT"] == figures_before
    reversal = demo.scalars(
        select(JournalEntry).where(JournalEntry.reverses_entry_id == match_entry)
    ).one()
    assert reversal.postings
    # Nothing is deleted: the payout stays on record and the public ledger lists it with its
    # correction, the two adding up to the unchanged disbursed figure.
    assert demo.scalars(select(Disbursement).where(Disbursement.entry_id == match_entry)).one()
    listed = [
        (d.entry_id, d.received, d.is_reversal)
        for d in build_public_ledger(demo).disbursements
        if d.asset == "USDT"
    ]
    assert listed == [(match_entry, 600, False), (reversal.id, -600, True)]
    assert sum(d[1] for d in listed) == figures_before.disbursed
    # Matching again posts a new entry (a second generation), and undoing it again restores.
    match_item(demo, item, WHO, candidate_ref="beneficiary:crisis-centre-almaty")
    assert item.match_entry_id not in (None, match_entry)
    unmatch_item(demo, item, WHO)
    assert get_balances(demo) == before


def test_money_from_an_unknown_address_is_suggested_the_open_pledges(
    demo: Session, tmp_path: Path
) -> None:
    for reference, amount in (("P-1", 500), ("P-2", 800)):
        record_manual_entry(
            demo,
            tmp_path,
            ManualEntry(
                ManualKind.PLEDGE,
                reference,
                "USDT",
                amount,
                T0,
                artwork="venera",
                document=PDF,
                document_name="pledge.pdf",
            ),
            WHO,
        )
    assert get_total_figures(demo)["USDT"].pledged == 1_300
    assert get_total_figures(demo)["USDT"].received == 0
    inflow = chain_entry(
        demo, "from-unknown", (WALLET, "USDT", 800), (suspense_account(), "USDT", -800)
    )
    item = item_of(demo, inflow)
    suggestions = compute_suggestions(demo, item)
    pledge_2 = demo.scalars(
        select(JournalEntry.id).where(JournalEntry.idempotency_key == "manual:pledge:P-2")
    ).one()
    assert [s.ref for s in suggestions] == [f"pledge:{pledge_2}"]  # 500 cannot hold 800
    before = get_balances(demo)
    match_item(demo, item, WHO)
    figures = get_total_figures(demo)["USDT"]
    assert (figures.pledged, figures.received, figures.routed) == (500, 800, 800)
    unmatch_item(demo, item, WHO)
    assert get_balances(demo) == before


def test_a_bank_statement_line_matches_the_recorded_disbursement(
    demo: Session, tmp_path: Path
) -> None:
    cash_sale(demo, tmp_path, "S-1", 100_000)
    done = record_bank_disbursement(
        demo,
        tmp_path,
        BankPayout("crisis-centre-almaty", "KZT", 60_000, "BANK-77", T0, PDF, "order.pdf"),
    )
    item = item_of(demo, demo.get(JournalEntry, done.entry_id))  # type: ignore[arg-type]
    assert item.state == ItemState.PENDING
    lines = [(2, "crisis-centre-almaty", "KZT", "BANK-77", 59_999)]
    assert match_statement_lines(demo, lines, "f" * 64) == 0  # amount differs: no match
    lines = [(3, "crisis-centre-almaty", "KZT", "BANK-77", 60_000)]
    assert match_statement_lines(demo, lines, "f" * 64) == 1
    assert item.match_kind == MatchKind.DISBURSEMENT
    assert item.match_ref == f"statement:{'f' * 16}:row 3"


def test_manual_entries_are_idempotent_by_reference_and_need_opaque_buyers(
    demo: Session, tmp_path: Path
) -> None:
    first = cash_sale(demo, tmp_path, "R-9", 10_000)
    assert cash_sale(demo, tmp_path, "R-9", 10_000).id == first.id
    with pytest.raises(IdempotencyConflictError):
        cash_sale(demo, tmp_path, "R-9", 10_001)
    with pytest.raises(ManualEntryError, match="buyer"):
        record_manual_entry(
            demo,
            tmp_path,
            ManualEntry(ManualKind.CASH_SALE, "R-10", "KZT", 5, T0, buyer="Aigerim S."),
            WHO,
        )
    paid = record_manual_entry(
        demo,
        tmp_path,
        ManualEntry(ManualKind.PLEDGE, "P-9", "KZT", 7_000, T0, artwork="venera"),
        WHO,
    )
    assert paid.postings
    record_manual_entry(
        demo,
        tmp_path,
        ManualEntry(
            ManualKind.PLEDGE_PAID,
            "C-9",
            "KZT",
            7_000,
            T0 + timedelta(days=2),
            pledge_reference="P-9",
        ),
        WHO,
    )
    figures = get_total_figures(demo)["KZT"]
    assert (figures.pledged, figures.received) == (0, 17_000)
    assert demo.scalars(select(AuditLog).where(AuditLog.action == "entry.pledge-paid")).one()
