"""Allocation by basis points: exact sums, a deterministic remainder, nothing negative."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.routing.allocate import SplitRuleError, allocate, compute_share_errors, split_pro_rata
from ledger.types import UINT256_MAX


@st.composite
def rules(draw: st.DrawFn) -> tuple[list[tuple[str, int]], str]:
    """A sound rule: 1-6 shares of 1..10000 bps summing to exactly 10000, and a remainder."""
    count = draw(st.integers(1, 6))
    cuts = sorted(draw(st.sets(st.integers(1, 9_999), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 10_000]
    names = draw(st.lists(st.sampled_from("abcdefg"), min_size=count, max_size=count))
    shares = [(names[i], bounds[i + 1] - bounds[i]) for i in range(count)]
    remainder = draw(st.sampled_from([name for name, _ in shares]))
    return shares, remainder


amounts = st.one_of(st.integers(0, 10**6), st.integers(0, UINT256_MAX))


@given(amounts, rules())
def test_allocations_sum_exactly_to_the_amount_and_are_positive(
    amount: int, rule: tuple[list[tuple[str, int]], str]
) -> None:
    shares, remainder = rule
    result = allocate(amount, shares, remainder)
    assert sum(result.values()) == amount
    assert all(value > 0 for value in result.values())


@given(amounts, rules())
def test_the_remainder_is_deterministic_and_smaller_than_the_number_of_shares(
    amount: int, rule: tuple[list[tuple[str, int]], str]
) -> None:
    shares, remainder = rule
    first = allocate(amount, shares, remainder)
    assert first == allocate(amount, list(shares), remainder)
    floors: dict[str, int] = {}
    for name, bps in shares:
        floors[name] = floors.get(name, 0) + amount * bps // 10_000
    leftover = amount - sum(floors.values())
    assert 0 <= leftover < len(shares)
    for name, value in floors.items():
        expected = value + (leftover if name == remainder else 0)
        assert first.get(name, 0) == expected


def test_demo_rule_on_an_odd_amount() -> None:
    shares = [("crisis", 6000), ("legal", 4000)]
    assert allocate(1, shares, "legal") == {"legal": 1}
    assert allocate(101, shares, "legal") == {"crisis": 60, "legal": 41}
    assert allocate(0, shares, "legal") == {}


def test_unsound_rules_are_refused_with_every_reason() -> None:
    assert compute_share_errors([("a", 5000), ("b", 4000)], "a") == [
        "shares sum to 9000 bps, not 10000"
    ]
    errors = compute_share_errors([("a", 0), ("b", 10_000)], "c")
    assert len(errors) == 2
    with pytest.raises(SplitRuleError):
        allocate(10, [("a", 10_001)], "a")
    with pytest.raises(ValueError):
        allocate(-1, [("a", 10_000)], "a")


@given(st.integers(-(10**30), 10**30), st.lists(st.integers(1, 10**20), min_size=1, max_size=6))
def test_pro_rata_split_sums_exactly(amount: int, weights: list[int]) -> None:
    parts = split_pro_rata(amount, list(enumerate(weights)))
    assert sum(part for _, part in parts) == amount
