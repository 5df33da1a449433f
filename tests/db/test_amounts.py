"""uint256 amounts survive a write, a read and a sum on every database."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.journal import get_balance, post_entry
from ledger.models import Posting
from ledger.types import UINT256_MAX, exact_sum
from tests.factories import chart, sale


def test_uint256_max_round_trips_and_sums(session: Session) -> None:
    chart(session)
    post_entry(session, sale("max-1", UINT256_MAX))
    post_entry(session, sale("max-2", UINT256_MAX))
    session.expire_all()
    stored = session.scalars(select(Posting.amount).order_by(Posting.id)).all()
    assert stored == [UINT256_MAX, -UINT256_MAX, UINT256_MAX, -UINT256_MAX]
    positive = (
        session.scalar(select(exact_sum(Posting.amount)).where(Posting.amount > 0))
        if session.bind.dialect.name != "sqlite"
        else None
    )
    total = session.scalar(select(exact_sum(Posting.amount)))
    assert total == 0
    assert get_balance(session, "Assets:Wallet:Treasury", "BNB") == 2 * UINT256_MAX
    assert get_balance(session, "Income:Sales:Test", "BNB") == -2 * UINT256_MAX
    if positive is not None:
        assert positive == 2 * UINT256_MAX
    assert isinstance(total, int)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(min_value=1, max_value=UINT256_MAX))
def test_any_amount_round_trips_exactly(session: Session, amount: int) -> None:
    # A session of its own per example, on a savepoint that closing it rolls back.
    with Session(bind=session.connection(), join_transaction_mode="create_savepoint") as session:
        chart(session)
        entry = post_entry(session, sale(f"rt-{amount}", amount))
        session.expire_all()
        assert [
            p.amount for p in session.scalars(select(Posting).where(Posting.entry_id == entry.id))
        ] == [amount, -amount]
        assert get_balance(session, "Assets:Wallet:Treasury", "BNB") == amount
