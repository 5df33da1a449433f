"""Pure tests of the money rules: no database."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import AmountOutOfRangeError
from ledger.journal import EntrySpec, PostingSpec, compute_content_hash, compute_entry_errors
from ledger.types import UINT256_MAX, check_amount

amounts = st.integers(min_value=1, max_value=UINT256_MAX)
WHEN = datetime(2024, 1, 1, tzinfo=UTC)


@given(st.integers(min_value=-UINT256_MAX, max_value=UINT256_MAX))
def test_amounts_in_range_pass_unchanged(value: int) -> None:
    assert check_amount(value) == value


@pytest.mark.parametrize("value", [UINT256_MAX + 1, -UINT256_MAX - 1, 1.0, True, "1"])
def test_out_of_range_or_inexact_amounts_are_refused(value: object) -> None:
    with pytest.raises(AmountOutOfRangeError):
        check_amount(value)  # type: ignore[arg-type]


@given(st.lists(st.tuples(st.sampled_from(["BNB", "KZT"]), amounts), min_size=1, max_size=6))
def test_an_entry_balances_per_asset_or_is_refused(legs: list[tuple[str, int]]) -> None:
    postings = [PostingSpec("Assets:A", asset, amount) for asset, amount in legs]
    balanced = postings + [PostingSpec("Income:B", asset, -amount) for asset, amount in legs]
    assert compute_entry_errors(EntrySpec("k", WHEN, "d", balanced)) == []
    errors = compute_entry_errors(
        EntrySpec("k", WHEN, "d", [*postings, PostingSpec("Income:B", "BNB", -1)])
    )
    totals: dict[str, int] = {}
    for asset, amount in legs:
        totals[asset] = totals.get(asset, 0) + amount
    totals["BNB"] = totals.get("BNB", 0) - 1
    assert bool(errors) == any(totals.values())


def test_entry_rules() -> None:
    one = [PostingSpec("Assets:A", "BNB", 5)]
    naive = datetime(2024, 1, 1)
    errors = compute_entry_errors(
        EntrySpec("", naive, " ", [*one, PostingSpec("Income:B", "BNB", 0)])
    )
    joined = "; ".join(errors)
    for expected in (
        "idempotency key",
        "timezone-aware",
        "description",
        "must not be zero",
        "sum to 5",
    ):
        assert expected in joined


def test_content_hash_sees_every_field() -> None:
    base = EntrySpec(
        "k", WHEN, "d", [PostingSpec("Assets:A", "BNB", 5), PostingSpec("Income:B", "BNB", -5)]
    )
    variants = [
        EntrySpec("k", WHEN.replace(second=1), "d", base.postings),
        EntrySpec("k", WHEN, "e", base.postings),
        EntrySpec(
            "k", WHEN, "d", [PostingSpec("Assets:A", "BNB", 6), PostingSpec("Income:B", "BNB", -6)]
        ),
        EntrySpec(
            "k", WHEN, "d", [PostingSpec("Assets:C", "BNB", 5), PostingSpec("Income:B", "BNB", -5)]
        ),
    ]
    hashes = {compute_content_hash(v) for v in variants}
    assert compute_content_hash(base) not in hashes and len(hashes) == len(variants)
    # The same instant in another zone is the same content.
    from zoneinfo import ZoneInfo

    shifted = EntrySpec("k", WHEN.astimezone(ZoneInfo("Asia/Almaty")), "d", base.postings)
    assert compute_content_hash(shifted) == compute_content_hash(base)
