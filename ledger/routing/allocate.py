"""Split an exact amount by basis points (pure, no database).

Each share gets ``amount * bps // 10000`` (rounded down); what rounding leaves over, always
less than the number of shares, goes to the rule's one named remainder recipient. So the
allocations sum exactly to the amount, none is negative, and the same inputs always give the
same result.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from ledger.errors import LedgerError

BPS_TOTAL = 10_000

R = TypeVar("R", bound=Hashable)


class SplitRuleError(LedgerError):
    """A split rule is not sound (shares do not sum to 10,000 bps, a share out of range)."""


def compute_share_errors(shares: Sequence[tuple[R, int]], remainder: R) -> list[str]:
    """Return every reason ``shares`` and ``remainder`` are not a sound split (empty: sound)."""
    errors = []
    if not shares:
        errors.append("a rule needs at least one share")
    for recipient, bps in shares:
        if type(bps) is not int or not 0 < bps <= BPS_TOTAL:
            errors.append(f"share of {recipient!r}: {bps!r} bps is not in 1..{BPS_TOTAL}")
    total = sum(bps for _, bps in shares if type(bps) is int)
    if total != BPS_TOTAL:
        errors.append(f"shares sum to {total} bps, not {BPS_TOTAL}")
    if remainder not in {recipient for recipient, _ in shares}:
        errors.append(f"the remainder recipient {remainder!r} has no share")
    return errors


def allocate(amount: int, shares: Sequence[tuple[R, int]], remainder: R) -> dict[R, int]:
    """Split ``amount`` (>= 0, smallest units) by ``shares``; the remainder goes to ``remainder``.

    A recipient named in several shares gets their sum. Recipients whose allocation is zero are
    left out. Raises SplitRuleError for an unsound rule and ValueError for a negative amount.
    """
    _check_amount(amount)
    errors = compute_share_errors(shares, remainder)
    if errors:
        raise SplitRuleError("; ".join(errors))
    return _split(amount, shares, remainder)


def make_allocator(shares: Sequence[tuple[R, int]], remainder: R) -> Callable[[int], dict[R, int]]:
    """``allocate`` for one rule, its shares checked once (routing splits many receipts by the
    same rule). Raises SplitRuleError for an unsound rule; the allocator raises ValueError for
    a negative amount."""
    errors = compute_share_errors(shares, remainder)
    if errors:
        raise SplitRuleError("; ".join(errors))
    fixed = list(shares)

    def allocator(amount: int) -> dict[R, int]:
        _check_amount(amount)
        return _split(amount, fixed, remainder)

    return allocator


def _check_amount(amount: int) -> None:
    if type(amount) is not int or amount < 0:
        raise ValueError(f"amount must be a non-negative int, got {amount!r}")


def _split(amount: int, shares: Sequence[tuple[R, int]], remainder: R) -> dict[R, int]:
    result: dict[R, int] = {}
    for recipient, bps in shares:
        result[recipient] = result.get(recipient, 0) + amount * bps // BPS_TOTAL
    result[remainder] += amount - sum(result.values())
    return {recipient: value for recipient, value in result.items() if value}


def split_pro_rata(amount: int, weights: Sequence[tuple[R, int]]) -> list[tuple[R, int]]:
    """Split ``amount`` in proportion to positive ``weights``; the rounding goes to the last.

    Used to spread one allocation over the artworks a combined receipt came from. Keeps the
    order of ``weights``; parts of zero are left out. Raises ValueError without a positive
    weight.
    """
    total = sum(weight for _, weight in weights if weight > 0)
    if total <= 0:
        raise ValueError("split_pro_rata needs at least one positive weight")
    parts: list[tuple[R, int]] = []
    given = 0
    positive = [(key, weight) for key, weight in weights if weight > 0]
    for index, (key, weight) in enumerate(positive):
        part = amount - given if index == len(positive) - 1 else amount * weight // total
        given += part
        if part:
            parts.append((key, part))
    return parts
