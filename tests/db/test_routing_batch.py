"""Routing a batch that holds reversals: records the router inserts in bulk keep every status
change made after they were written (a reversal's own record ends as ``reversal``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import bank_account, sales_account
from ledger.demo.load import load_demo
from ledger.journal import EntrySpec, PostingSpec, open_account, post_entry, reverse_entry
from ledger.models import JournalEntry, RoutingRecord, RoutingStatus
from ledger.routing.attribute import Attribution
from ledger.routing.route import record_attribution, route_pending

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def _sale(session: Session, key: str, amount: int) -> JournalEntry:
    return post_entry(
        session,
        EntrySpec(
            idempotency_key=key,
            effective_at=T0,
            description=f"sale {key}",
            postings=[
                PostingSpec(bank_account(), "KZT", amount),
                PostingSpec(sales_account("Exhibition"), "KZT", -amount),
            ],
        ),
    )


def test_reversals_routed_in_one_batch_end_with_their_statuses_stored(session: Session) -> None:
    load_demo(session)
    open_account(session, bank_account())
    open_account(session, sales_account("Exhibition"))
    routed_before = _sale(session, "routed-before", 1_000)
    record_attribution(session, routed_before, Attribution("Exhibition"))
    route_pending(session)
    reverse_entry(session, routed_before.id, effective_at=T0, description="refunded")
    same_batch = _sale(session, "same-batch", 500)  # posted and reversed before routing
    reverse_entry(session, same_batch.id, effective_at=T0, description="refunded")
    route_pending(session)
    session.expire_all()
    rows = session.execute(
        select(JournalEntry.idempotency_key, RoutingRecord.status).join(
            RoutingRecord, RoutingRecord.entry_id == JournalEntry.id
        )
    )
    statuses = {key: status for key, status in rows}
    assert statuses == {
        "routed-before": RoutingStatus.REVERSED,
        "reversal:routed-before": RoutingStatus.REVERSAL,
        "same-batch": RoutingStatus.REVERSED,
        "reversal:same-batch": RoutingStatus.REVERSAL,
    }
