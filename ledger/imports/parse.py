"""Read an import file into typed rows (pure: bytes in, rows and errors out).

Encodings: UTF-8 with or without BOM; anything else must be Windows-1251 (common in Kazakhstan)
with Cyrillic text, or the caller is asked to name the encoding. Separators: comma or
semicolon, read from the header; a header with both (or neither) is asked about. Amounts:
decimal comma or point, spaces and the other mark as thousands separators; a value that could
be read both ways ("1,234") is an error naming the row and column unless the mapping fixes the
decimal mark. Nothing is guessed silently: the preview says which encoding and separator it
used.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Mapping as TypingMapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from ledger.days import instant_of_day
from ledger.errors import LedgerError
from ledger.imports.mapping import Column, Mapping


class ImportFileError(LedgerError):
    """The file as a whole cannot be read (encoding, separator, header); the message asks."""


@dataclass(frozen=True)
class RowError:
    row: int  # line number in the file (the header is line 1)
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass(frozen=True)
class ParsedRow:
    row: int
    kind: str  # sale, royalty, disbursement, ignore
    at: datetime
    asset: str
    units: int
    reference: str | None
    artwork: str | None
    buyer: str | None
    beneficiary: str | None
    chain_id: int | None
    contract: str | None
    token_id: int | None
    natural_key: str  # from the mapping's key columns, else a hash of the normalised row


@dataclass
class ParsedFile:
    sha256: str
    encoding: str
    delimiter: str
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


_TYPOGRAPHY = set("«»„“”‘’–—№°…\u00a0")


def decode_bytes(data: bytes, encoding: str = "") -> tuple[str, str]:
    """Return (text, encoding used). Raises ImportFileError when it cannot be decided."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise ImportFileError(f"the file is not valid {encoding}: {exc}") from exc
    if b"\x00" in data:
        raise ImportFileError(
            "the file contains NUL bytes (UTF-16?): name its encoding (--encoding)"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1251", errors="replace")
    foreign = [c for c in text if ord(c) > 127]
    if "\ufffd" not in text and all(
        "CYRILLIC" in unicodedata.name(c, "") or c in _TYPOGRAPHY for c in foreign
    ):
        # Every non-ASCII byte reads as a Cyrillic letter or common typography: the preview
        # names the encoding it used, so the organiser sees the choice.
        return text, "windows-1251"
    raise ImportFileError(
        "the file is not UTF-8 and does not read as Windows-1251 Cyrillic text: "
        "name its encoding (--encoding)"
    )


def sniff_delimiter(header: str, fixed: str = "") -> str:
    if fixed:
        return fixed
    has = [d for d in (";", ",", "\t") if d in header]
    if len(has) != 1:
        raise ImportFileError(
            f"cannot tell the separator from the header {header!r}: name it (--delimiter)"
        )
    return has[0]


_SPACES = re.compile(r"[\s\u00a0\u202f']")


def parse_decimal(raw: str, decimal_mark: str = "") -> Decimal:
    """Read an amount with a decimal comma or point and thousands separators.

    Raises ValueError with the reason (also when the value could be read two ways).
    """
    text = _SPACES.sub("", raw.strip())
    if not text:
        raise ValueError("is empty")
    if decimal_mark:
        other = "." if decimal_mark == "," else ","
        head, _, tail = text.partition(decimal_mark)
        text = _ungroup(head, other, raw) + ("." + tail if _ else "")
    elif "," in text and "." in text:
        mark = "," if text.rfind(",") > text.rfind(".") else "."
        other = "." if mark == "," else ","
        head, _, tail = text.rpartition(mark)
        text = f"{_ungroup(head, other, raw)}.{tail}"
    elif "," in text or "." in text:
        mark = "," if "," in text else "."
        head, _, tail = text.rpartition(mark)
        if text.count(mark) > 1:
            text = _ungroup(text, mark, raw)  # only thousands separators
        elif len(tail) == 3 and head.lstrip("-+") not in ("", "0"):
            raise ValueError(
                f"{raw!r} could be a decimal or a thousands separator: set decimal in the mapping"
            )
        else:
            text = f"{head}.{tail}"
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{raw!r} is not a number") from exc
    if not value.is_finite():
        raise ValueError(f"{raw!r} is not a number")
    return value


def _ungroup(text: str, separator: str, raw: str) -> str:
    """Remove thousands separators, which must group digits by three."""
    if separator not in text:
        return text
    groups = text.lstrip("+-").split(separator)
    if not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:]):
        raise ValueError(f"{raw!r} is not a number")
    return text.replace(separator, "")


def to_units(value: Decimal, decimals: int) -> int:
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {decimals} decimals")
    return int(scaled)


def parse_when(raw: str, column: Column, tz: ZoneInfo) -> datetime:
    text = raw.strip()
    if column.format == "epoch_ms":
        if not text.isdigit():
            raise ValueError(f"{raw!r} is not epoch milliseconds")
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return instant_of_day(day, tz)  # noon local: the day survives any offset
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD or DD.MM.YYYY)") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def normalise_row(values: TypingMapping[str, str]) -> str:
    return "\x1f".join(f"{k}={' '.join(v.split()).casefold()}" for k, v in sorted(values.items()))


def parse_file(
    data: bytes,
    mapping: Mapping,
    *,
    decimals: TypingMapping[str, int],
    tz: ZoneInfo,
    encoding: str = "",
    delimiter: str = "",
) -> ParsedFile:
    """Parse ``data`` by ``mapping``; every bad cell becomes a RowError (nothing raised).

    Raises ImportFileError when the file as a whole cannot be read.
    """
    text, used = decode_bytes(data, encoding or mapping.encoding)
    lines = text.splitlines()
    if not lines:
        raise ImportFileError("the file is empty")
    sep = sniff_delimiter(lines[0], delimiter or mapping.delimiter)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=sep)
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in mapping.columns() if c not in header]
    if missing:
        raise ImportFileError(f"the header lacks the mapping's columns {missing}: {header}")
    parsed = ParsedFile(hashlib.sha256(data).hexdigest(), used, sep)
    for number, raw in enumerate(reader, start=2):
        values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(values.values()):
            continue
        row = _parse_row(number, values, mapping, decimals, tz, parsed.errors)
        if row is not None:
            parsed.rows.append(row)
    return parsed


def _parse_row(
    number: int,
    values: dict[str, str],
    mapping: Mapping,
    decimals: TypingMapping[str, int],
    tz: ZoneInfo,
    errors: list[RowError],
) -> ParsedRow | None:
    before = len(errors)

    def fail(column: str, reason: str) -> None:
        errors.append(RowError(number, column, reason))

    def cell(column: Column | None) -> str | None:
        return (values.get(column.column) or None) if column else None

    kind: str = mapping.kind
    if mapping.kind_column:
        raw_kind = values.get(mapping.kind_column, "")
        if raw_kind not in mapping.kinds:
            fail(mapping.kind_column, f"{raw_kind!r} is none of {sorted(mapping.kinds)}")
        else:
            kind = mapping.kinds[raw_kind]
    at: datetime | None = None
    try:
        at = parse_when(values.get(mapping.date.column, ""), mapping.date, tz)
    except ValueError as exc:
        fail(mapping.date.column, str(exc))
    asset = (values.get(mapping.currency.column) or "").upper()
    if asset not in decimals:
        fail(mapping.currency.column, f"{asset!r} is not an asset of the ledger")
    units = 0
    try:
        amount = parse_decimal(values.get(mapping.amount.column, ""), mapping.decimal)
        if amount <= 0:
            fail(mapping.amount.column, "must be positive")
        elif asset in decimals:
            units = to_units(amount, decimals[asset])
    except ValueError as exc:
        fail(mapping.amount.column, str(exc))
    chain_id = token_id = None
    if mapping.network and cell(mapping.network):
        network = cell(mapping.network) or ""
        chain_id = mapping.networks.get(network.upper())
        if chain_id is None:
            fail(mapping.network.column, f"unknown network {network!r}")
    if mapping.token_id and cell(mapping.token_id):
        raw_token = cell(mapping.token_id) or ""
        if raw_token.isdigit():
            token_id = int(raw_token)
        else:
            fail(mapping.token_id.column, f"{raw_token!r} is not a token id")
    if mapping.kind == "disbursement" and not cell(mapping.beneficiary):
        fail(mapping.beneficiary.column if mapping.beneficiary else "beneficiary", "is empty")
    if len(errors) > before or at is None:
        return None
    key_values = [values.get(c, "") for c in mapping.natural_key]
    if mapping.natural_key and all(key_values):
        natural = ":".join(key_values)
    else:
        # The row as read, not as written: "07.11.2022" and "2022-11-07", "1 250,00" and
        # "1,250.00" are the same row in two files.
        normalised = {
            "kind": kind,
            "date": at.astimezone(UTC).isoformat(),
            "asset": asset,
            "units": str(units),
            **{c: values.get(c, "") for c in _identity_columns(mapping)},
        }
        natural = "row-" + hashlib.sha256(normalise_row(normalised).encode()).hexdigest()[:32]
    return ParsedRow(
        row=number,
        kind=kind,
        at=at,
        asset=asset,
        units=units,
        reference=cell(mapping.reference),
        artwork=cell(mapping.artwork),
        buyer=cell(mapping.buyer),
        beneficiary=cell(mapping.beneficiary),
        chain_id=chain_id,
        contract=(cell(mapping.contract) or "").lower() or None,
        token_id=token_id,
        natural_key=natural,
    )


def _identity_columns(mapping: Mapping) -> list[str]:
    named = (
        mapping.reference,
        mapping.artwork,
        mapping.buyer,
        mapping.beneficiary,
        mapping.contract,
        mapping.token_id,
    )
    return [c.column for c in named if c is not None]


def date_of(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()
