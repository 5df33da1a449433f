"""Named primitives and the exact amount column type.

Money is an ``int`` in the asset's smallest unit (wei, tiyn, cent), never a float. Amounts reach
2**256 - 1 (a uint256 on chain), wider than any native SQL integer, so the column type stores
them exactly on each backend: NUMERIC(78, 0) on PostgreSQL, canonical decimal text on SQLite.
Sums use :func:`exact_sum`, which stays exact on both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NewType

from sqlalchemy import DateTime, Numeric, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import TypeDecorator, TypeEngine

from ledger.errors import AmountOutOfRangeError

ChainId = NewType("ChainId", int)
BlockNumber = NewType("BlockNumber", int)
HexStr = NewType("HexStr", str)
Address = NewType("Address", str)  # 0x-prefixed, lower case
TxHash = NewType("TxHash", str)  # 0x-prefixed, lower case

UINT256_MAX = 2**256 - 1
AMOUNT_DIGITS = 78  # len(str(2**256 - 1))


def check_amount(value: int) -> int:
    """Return ``value`` if it is an exact int within +-(2**256 - 1).

    Raises AmountOutOfRangeError (also for bool, float and Decimal, which are never money here).
    """
    if type(value) is not int:
        raise AmountOutOfRangeError(f"amount must be an int, got {type(value).__name__}")
    if -UINT256_MAX <= value <= UINT256_MAX:
        return value
    raise AmountOutOfRangeError(f"amount {value} is outside +-(2**256 - 1)")


class Amount(TypeDecorator[int]):
    """A signed integer amount up to 2**256 - 1 in magnitude, exact on SQLite and PostgreSQL."""

    impl = Numeric(AMOUNT_DIGITS, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(Numeric(AMOUNT_DIGITS, 0, asdecimal=True))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.bind_converter(dialect)(check_amount(value))

    @staticmethod
    def bind_converter(dialect: Dialect) -> Callable[[int], Any]:
        """What a checked amount is bound as on ``dialect`` (for driver-level bulk writes)."""
        # Decimal(int) is exact whatever the context precision; arithmetic would not be.
        return str if dialect.name == "sqlite" else Decimal

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            if value != value.to_integral_value():
                raise AmountOutOfRangeError(f"stored amount {value} is not an integer")
            return int(value)
        return int(value)

    def process_literal_param(self, value: int | None, dialect: Dialect) -> str:
        return "NULL" if value is None else str(check_amount(value))


class exact_sum(GenericFunction[int]):
    """SUM over :class:`Amount` that stays exact: NUMERIC sum on PostgreSQL, a Python-int
    aggregate (registered on every SQLite connection by ``ledger.db``) on SQLite."""

    type = Amount()
    inherit_cache = True
    name = "exact_sum"


@compiles(exact_sum)
def _exact_sum_default(element: exact_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(exact_sum, "sqlite")
def _exact_sum_sqlite(element: exact_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ledger_exact_sum({compiler.process(element.clauses, **kw)})"


class ExactSumAggregate:
    """SQLite aggregate summing canonical decimal text with Python's unbounded ints."""

    def __init__(self) -> None:
        self.total = 0
        self.seen = False

    def step(self, value: str | int | None) -> None:
        if value is None:
            return
        self.total += int(value)
        self.seen = True

    def finalize(self) -> str | None:
        return str(self.total) if self.seen else None


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that must be timezone-aware on the way in and comes back aware in UTC.

    Stored as naive UTC on SQLite (which has no time zone type) and TIMESTAMPTZ on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamp {value!r} has no time zone; the ledger stores UTC")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
