"""Pure tests of rate parsing and lookup: exact, never guessed."""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from ledger.errors import RateError
from ledger.rates import RateBook, RateUsed, compute_rate

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("470.25", Fraction(47025, 100)),
        ("1/470.25", Fraction(100, 47025)),
        (" 0.000000000000000001 ", Fraction(1, 10**18)),
        (
            "123456789012345678901234567890.123456789",
            Fraction(123456789012345678901234567890123456789, 10**9),
        ),
    ],
)
def test_rates_are_parsed_exactly(text: str, value: Fraction) -> None:
    assert compute_rate(text) == value


@pytest.mark.parametrize("text", ["", "0", "-1", "1e3", "1,5", "nan", "inf", "1/0", "1/2/3", "abc"])
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(RateError):
        compute_rate(text)


def test_the_latest_rate_at_or_before_applies_and_none_before_the_first() -> None:
    book = RateBook(
        "KZT",
        2,
        [
            RateUsed("BNB", "KZT", "200000", "a", T0),
            RateUsed("BNB", "KZT", "1/3", "b", T0 + timedelta(days=2)),
        ],
    )
    assert book.find("BNB", T0 - timedelta(seconds=1)) is None
    assert book.convert(10**18, "BNB", 18, T0 - timedelta(seconds=1)) is None
    assert book.find("BNB", T0) is not None
    assert book.convert(15 * 10**17, "BNB", 18, T0 + timedelta(days=1)) == (
        Fraction(30_000_000),
        RateUsed("BNB", "KZT", "200000", "a", T0),
    )
    converted = book.convert(10**18, "BNB", 18, T0 + timedelta(days=3))
    assert converted is not None and converted[0] == Fraction(100, 3)  # exact, not 33.33
    assert book.convert(12_345, "KZT", 2, T0) == (Fraction(12_345), None)
    assert book.find("USDT", T0 + timedelta(days=9)) is None
