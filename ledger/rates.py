"""Exchange rates: parse them exactly, record them once, and find the one in force.

A rate says what one whole unit of a base asset was worth in KZT or USD from an instant on.
Reports convert an amount at the latest rate at or before its entry's effective date; with no
such rate the amount stays unconverted (never guessed). See docs/exports.md.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import RateError
from ledger.models import Asset, ExchangeRate

QUOTES = ("KZT", "USD")
_DECIMAL = re.compile(r"\d+(\.\d+)?|\.\d+")
MAX_RATE_LENGTH = 100


def compute_rate(text: str) -> Fraction:
    """Parse ``470.25`` or ``1/470.25`` into an exact positive fraction.

    Raises RateError for anything else (exponents, signs, commas, zero).
    """
    parts = text.strip().split("/")
    if len(parts) > 2 or not all(_DECIMAL.fullmatch(p.strip()) for p in parts):
        raise RateError(f"rate {text!r} must be a decimal like 470.25 or a ratio like 1/470.25")
    try:
        values = [Fraction(Decimal(p.strip())) for p in parts]
    except InvalidOperation as exc:
        raise RateError(f"rate {text!r} is not a number") from exc
    if any(v == 0 for v in values):
        raise RateError(f"rate {text!r} must be positive")
    return values[0] / values[1] if len(values) == 2 else values[0]


def canonical_rate(text: str) -> str:
    """The stored form of a rate: the text as given, without spaces (checked by compute_rate)."""
    compute_rate(text)
    canonical = "".join(text.split())
    if len(canonical) > MAX_RATE_LENGTH:
        raise RateError(f"rate {text!r} is longer than {MAX_RATE_LENGTH} characters")
    return canonical


def _asset(session: Session, code: str) -> Asset:
    asset = session.scalars(select(Asset).where(Asset.code == code)).one_or_none()
    if asset is None:
        raise RateError(f"unknown asset {code!r}")
    return asset


def add_rate(
    session: Session,
    *,
    base: str,
    quote: str,
    rate: str,
    source: str,
    observed_at: datetime,
) -> tuple[ExchangeRate, bool]:
    """Record a rate once; return it and whether it is new.

    The same base, quote and instant again with the same rate is the same rate (not new); with
    another rate it raises RateError (a correction is a new instant). Raises RateError for an
    unknown asset, a quote other than KZT or USD, a bad rate, an empty source or a naive time.
    """
    if quote not in QUOTES:
        raise RateError(f"quote {quote!r} must be one of {', '.join(QUOTES)}")
    if base == quote:
        raise RateError(f"a rate of {base} in {quote} is always 1")
    if not source.strip() or len(source) > 100:
        raise RateError("source must name where the rate came from (1-100 characters)")
    if observed_at.tzinfo is None or observed_at.utcoffset() is None:
        raise RateError("a rate's time must carry a time zone")
    stored = canonical_rate(rate)
    base_asset, quote_asset = _asset(session, base), _asset(session, quote)
    existing = session.scalars(
        select(ExchangeRate).where(
            ExchangeRate.base_asset_id == base_asset.id,
            ExchangeRate.quote_asset_id == quote_asset.id,
            ExchangeRate.observed_at == observed_at,
        )
    ).one_or_none()
    if existing is not None:
        if compute_rate(existing.rate) != compute_rate(stored):
            raise RateError(
                f"{base}/{quote} at {observed_at.isoformat()} is already {existing.rate}, "
                f"not {stored}"
            )
        return existing, False
    row = ExchangeRate(
        base_asset_id=base_asset.id,
        quote_asset_id=quote_asset.id,
        rate=stored,
        source=source.strip(),
        observed_at=observed_at,
    )
    session.add(row)
    session.flush()
    return row, True


def parse_instant(text: str, tz: ZoneInfo) -> datetime:
    """``YYYY-MM-DD`` (midnight in ``tz``) or an ISO date-time (in ``tz`` when it has no zone).

    Raises RateError.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tz)
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RateError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO date-time") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


RATE_CSV_COLUMNS = ("base", "quote", "rate", "source", "observed_at")


@dataclass(frozen=True)
class RateImport:
    added: int
    already_known: int


def import_rates_csv(session: Session, text: str, tz: ZoneInfo) -> RateImport:
    """Record every rate of a CSV with columns base, quote, rate, source, observed_at.

    All or nothing: raises RateError naming the line of the first bad row, before the caller
    commits anything.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in RATE_CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RateError(f"rates file lacks column(s) {', '.join(missing)}")
    added = known = 0
    for row in reader:
        line = reader.line_num
        try:
            _, is_new = add_rate(
                session,
                base=(row["base"] or "").strip(),
                quote=(row["quote"] or "").strip(),
                rate=row["rate"] or "",
                source=row["source"] or "",
                observed_at=parse_instant(row["observed_at"] or "", tz),
            )
        except RateError as exc:
            raise RateError(f"line {line}: {exc}") from exc
        added += is_new
        known += not is_new
    return RateImport(added, known)


@dataclass(frozen=True)
class RateUsed:
    base: str
    quote: str
    rate: str
    source: str
    observed_at: datetime


class RateBook:
    """Every rate into one quote asset, to look up the one in force at an instant."""

    def __init__(self, quote: str, quote_decimals: int, rates: Sequence[RateUsed]) -> None:
        self.quote = quote
        self.quote_decimals = quote_decimals
        self._times: dict[str, list[datetime]] = defaultdict(list)
        self._rates: dict[str, list[RateUsed]] = defaultdict(list)
        for rate in sorted(rates, key=lambda r: r.observed_at):
            self._times[rate.base].append(rate.observed_at)
            self._rates[rate.base].append(rate)

    def find(self, asset: str, at: datetime) -> RateUsed | None:
        """The latest rate of ``asset`` at or before ``at`` (None when there is none)."""
        index = bisect.bisect_right(self._times.get(asset, []), at)
        return self._rates[asset][index - 1] if index else None

    def convert(
        self, amount: int, asset: str, decimals: int, at: datetime
    ) -> tuple[Fraction, RateUsed | None] | None:
        """``amount`` units of ``asset`` in quote units, exactly; None when no rate applies."""
        if asset == self.quote:
            return Fraction(amount), None
        rate = self.find(asset, at)
        if rate is None:
            return None
        value = Fraction(amount, 10**decimals) * compute_rate(rate.rate)
        return value * 10**self.quote_decimals, rate


def get_rate_book(session: Session, quote: str) -> RateBook:
    """Load every rate into ``quote``. Raises RateError for a quote that is not KZT or USD."""
    if quote not in QUOTES:
        raise RateError(f"quote {quote!r} must be one of {', '.join(QUOTES)}")
    quote_asset = _asset(session, quote)
    rows = session.scalars(
        select(ExchangeRate).where(ExchangeRate.quote_asset_id == quote_asset.id)
    )
    rates = [RateUsed(r.base.code, quote, r.rate, r.source, r.observed_at) for r in rows]
    return RateBook(quote, quote_asset.decimals, rates)
