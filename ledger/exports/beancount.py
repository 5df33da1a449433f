"""A Beancount ledger file of the journal, accepted by Beancount's own checker.

Account names are already Beancount's (docs/accounts.md). Asset codes become commodity names
Beancount accepts (``commodity_name``); amounts are exact decimals with the asset's decimals;
every entry balances per commodity because every journal entry balances per asset. Dates are
local dates in the configured time zone (Beancount has no time of day).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from ledger.errors import ExportError
from ledger.exports.data import ExportData
from ledger.reports.render import format_units

_NOT_IN_COMMODITY = re.compile(r"[^A-Z0-9'._-]")


def commodity_name(code: str) -> str:
    """Turn an asset code into a Beancount commodity name (``usdt`` -> ``USDT``).

    Beancount wants an upper-case letter first, then upper-case letters, digits or ' . _ -,
    and a letter or digit last, at least two characters.
    """
    name = _NOT_IN_COMMODITY.sub("-", code.upper())
    if not name[:1].isalpha():
        name = "X" + name
    name = name.rstrip("'._-")
    if len(name) < 2 or not name[-1].isalnum():
        name += "X"
    return name


def _commodities(codes: Iterable[str]) -> dict[str, str]:
    """Map every asset code to its commodity name; raise ExportError if two would collide."""
    names: dict[str, str] = {}
    seen: dict[str, str] = {}
    for code in sorted(codes):
        name = commodity_name(code)
        if name in seen:
            raise ExportError(
                f"assets {seen[name]} and {code} would both be commodity {name} in Beancount"
            )
        seen[name] = code
        names[code] = name
    return names


def _quote(text: str) -> str:
    """A Beancount string literal: backslash and quote escaped, on one line."""
    flat = " ".join(text.split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_beancount(data: ExportData) -> str:
    """Render the export as a Beancount file.

    Raises ExportError when two asset codes map to one commodity name.
    """
    names = _commodities(a.code for a in data.assets)
    decimals = data.decimals
    first_use: dict[str, date] = {}
    for entry in data.entries:
        for posting in entry.postings:
            first_use.setdefault(posting.account, entry.local_date)
    start = min((e.local_date for e in data.entries), default=data.generated_at.date())
    lines = [
        "; charity-sale-ledger journal export (Beancount)",
        *(f"; {line}" for line in data.settings_lines()),
        "",
        'option "title" "charity-sale-ledger journal"',
        f'option "operating_currency" "{commodity_name(data.operating_currency)}"',
        "",
    ]
    for asset in data.assets:
        lines.append(f"{start.isoformat()} commodity {names[asset.code]}")
        lines.append(f"  code: {_quote(asset.code)}")
        lines.append(f'  decimals: "{asset.decimals}"')
        if asset.contract:
            lines.append(f"  contract: {_quote(asset.contract)}")
    lines.append("")
    for account in data.accounts:
        lines.append(f"{first_use.get(account, start).isoformat()} open {account}")
    for entry in data.entries:
        lines.append("")
        lines.append(f"{entry.local_date.isoformat()} * {_quote(entry.description)}")
        lines.append(f"  key: {_quote(entry.key)}")
        lines.append(f"  effective-at: {_quote(entry.effective_at.isoformat())}")
        lines.append(f"  evidence: {_quote(entry.evidence_kind)}")
        for meta, value in (
            ("tx", entry.tx_hash),
            ("explorer", entry.explorer_url),
            ("document", entry.document_sha256),
            ("reverses", entry.reverses_key),
        ):
            if value:
                lines.append(f"  {meta}: {_quote(value)}")
        for posting in entry.postings:
            amount = format_units(posting.amount, decimals[posting.asset])
            lines.append(f"  {posting.account}  {amount} {names[posting.asset]}")
            if posting.memo:
                lines.append(f"    memo: {_quote(posting.memo)}")
    return "\n".join(lines) + "\n"
