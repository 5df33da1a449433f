"""The journal: balanced, idempotent, append-only, corrected by reversal."""

import dataclasses
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from ledger.errors import (
    AlreadyReversedError,
    IdempotencyConflictError,
    InvalidEntryError,
    UnbalancedEntryError,
)
from ledger.journal import (
    EntrySpec,
    Evidence,
    PostingSpec,
    compute_journal_checksum,
    get_balances,
    post_entry,
    reverse_entry,
)
from ledger.models import JournalEntry, Posting
from ledger.types import UINT256_MAX
from tests.factories import WHEN, chart, sale


def test_post_balanced_entry_and_read_balances(session: Session) -> None:
    chart(session)
    post_entry(session, sale("s1", 1_000, fee=25))
    post_entry(session, sale("s2", 500, asset="KZT"))
    assert get_balances(session) == {
        ("Assets:Wallet:Treasury", "BNB"): 975,
        ("Income:Sales:Test", "BNB"): -1_000,
        ("Expenses:MarketplaceFees:Test", "BNB"): 25,
        ("Assets:Wallet:Treasury", "KZT"): 500,
        ("Income:Sales:Test", "KZT"): -500,
    }
    assert get_balances(session, account_prefix="Assets") == {
        ("Assets:Wallet:Treasury", "BNB"): 975,
        ("Assets:Wallet:Treasury", "KZT"): 500,
    }


def test_unbalanced_and_malformed_entries_are_refused(session: Session) -> None:
    chart(session)
    bad = EntrySpec(
        "u",
        WHEN,
        "x",
        [
            PostingSpec("Assets:Wallet:Treasury", "BNB", 5),
            PostingSpec("Income:Sales:Test", "KZT", -5),
        ],
    )
    with pytest.raises(UnbalancedEntryError, match="BNB sum to 5"):
        post_entry(session, bad)
    with pytest.raises(InvalidEntryError, match="unknown account"):
        post_entry(
            session,
            EntrySpec(
                "v",
                WHEN,
                "x",
                [PostingSpec("Assets:Nope", "BNB", 5), PostingSpec("Income:Sales:Test", "BNB", -5)],
            ),
        )
    assert session.scalar(select(JournalEntry.id)) is None


def test_same_key_same_content_is_a_no_op(session: Session) -> None:
    chart(session)
    first = post_entry(session, sale("once", 42))
    again = post_entry(session, sale("once", 42))
    assert again.id == first.id
    assert len(session.scalars(select(JournalEntry)).all()) == 1


def test_same_key_other_content_is_an_error(session: Session) -> None:
    chart(session)
    post_entry(session, sale("once", 42))
    with pytest.raises(IdempotencyConflictError):
        post_entry(session, sale("once", 43))


def test_chain_evidence_is_stored(session: Session) -> None:
    chart(session)
    ev = Evidence.chain_log(56, 123, "0x" + "ab" * 32, 7, "0x" + "cd" * 32)
    spec = EntrySpec(
        "chain:56:0xab..:7", WHEN, "sale on chain", sale("x", 10).postings, evidence=ev
    )
    entry = post_entry(session, spec)
    assert (entry.chain_id, entry.block_hash, entry.log_index) == (56, "0x" + "ab" * 32, 7)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE posting SET amount = 1",
        "DELETE FROM posting",
        "UPDATE journal_entry SET description = 'edited'",
        "DELETE FROM journal_entry",
    ],
)
def test_database_refuses_update_and_delete_of_posted_rows(
    session: Session, statement: str
) -> None:
    chart(session)
    post_entry(session, sale("locked", 7))
    session.flush()
    with pytest.raises(DatabaseError, match="append-only"):
        with session.begin_nested():
            session.execute(text(statement))
    session.expire_all()
    assert [p.amount for p in session.scalars(select(Posting).order_by(Posting.id))] == [7, -7]


def test_reversal_restores_balances_and_links(session: Session) -> None:
    chart(session)
    post_entry(session, sale("keep", 100))
    before = get_balances(session)
    wrong = post_entry(session, sale("wrong", UINT256_MAX, fee=3))
    reversal = reverse_entry(
        session, wrong.id, effective_at=WHEN + timedelta(days=1), description="typo"
    )
    assert reversal.reverses_entry_id == wrong.id
    assert get_balances(session) == before
    assert (
        reverse_entry(
            session, wrong.id, effective_at=WHEN + timedelta(days=1), description="typo"
        ).id
        == reversal.id
    )
    with pytest.raises(AlreadyReversedError):
        reverse_entry(
            session, wrong.id, effective_at=WHEN, description="again", idempotency_key="other"
        )


def test_checksum_ignores_ids_but_not_content(session: Session) -> None:
    chart(session)
    empty = compute_journal_checksum(session)
    post_entry(session, sale("a", 1))
    one = compute_journal_checksum(session)
    assert one != empty
    post_entry(session, sale("a", 1))
    assert compute_journal_checksum(session) == one


entries = st.lists(
    st.tuples(
        st.integers(1, UINT256_MAX), st.integers(0, 1000), st.sampled_from(["BNB", "WBNB", "KZT"])
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries, st.data())
def test_balances_equal_sum_of_postings_and_reversal_undoes(
    session: Session, legs: list[tuple[int, int, str]], data: st.DataObject
) -> None:
    # A session of its own per example, on a savepoint that closing it rolls back.
    with Session(bind=session.connection(), join_transaction_mode="create_savepoint") as session:
        chart(session)
        posted = []
        expected: dict[tuple[str, str], int] = {}
        for i, (amount, fee, asset) in enumerate(legs):
            fee = min(fee, amount - 1) if amount > 1 else 0
            spec = sale(f"p{i}", amount, asset=asset, fee=fee)
            posted.append(post_entry(session, spec))
            for p in spec.postings:
                expected[(p.account, p.asset)] = expected.get((p.account, p.asset), 0) + p.amount
        assert get_balances(session) == {k: v for k, v in expected.items() if v}
        snapshot = get_balances(session)
        victim = data.draw(st.sampled_from(posted))
        reverse_entry(session, victim.id, effective_at=WHEN, description="undo")
        reverse_entry(
            session,
            session.scalars(
                select(JournalEntry.id).where(JournalEntry.reverses_entry_id == victim.id)
            ).one(),
            effective_at=WHEN,
            description="redo",
        )
        assert get_balances(session) == snapshot


def test_bulk_posting_follows_the_same_rules(session: Session) -> None:
    from ledger.journal import compute_content_hash, post_entries

    chart(session)
    post_entry(session, sale("single", 5))
    specs = [sale("single", 5), sale("bulk-1", 7), sale("bulk-2", UINT256_MAX)]
    assert post_entries(session, specs) == 2  # the first was posted before: skipped
    assert post_entries(session, specs) == 0
    stored = {e.idempotency_key: e for e in session.scalars(select(JournalEntry))}
    assert stored["bulk-2"].postings[0].amount in (UINT256_MAX, -UINT256_MAX)
    assert stored["bulk-1"].content_hash == compute_content_hash(sale("bulk-1", 7))
    assert stored["bulk-1"].effective_at == WHEN
    with pytest.raises(IdempotencyConflictError):
        post_entries(session, [sale("bulk-1", 8)])
    with pytest.raises(IdempotencyConflictError):
        post_entries(session, [sale("twice", 1), sale("twice", 2)])
    count = len(stored)
    with pytest.raises(UnbalancedEntryError):
        broken = sale("broken", 1)
        broken = dataclasses.replace(
            broken, postings=[*broken.postings[:1], PostingSpec("Income:Sales:Test", "BNB", -2)]
        )
        post_entries(session, [sale("fine", 1), broken])
    assert len(session.scalars(select(JournalEntry)).all()) == count  # nothing of it landed
