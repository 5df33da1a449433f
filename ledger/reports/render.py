"""Print and write reports: exact amounts, never rounded, dates in the configured time zone."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ledger.reports.convert import Conversion
from ledger.reports.tables import Report

FIGURES = ("pledged", "received", "routed", "disbursed", "outstanding")


def format_units(amount: int, decimals: int) -> str:
    """Render an integer amount of smallest units as an exact decimal (``1.5`` for 15, 1)."""
    sign = "-" if amount < 0 else ""
    digits = str(abs(amount)).rjust(decimals + 1, "0")
    if decimals == 0:
        return sign + digits
    whole, fraction = digits[:-decimals], digits[-decimals:].rstrip("0")
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def _period(report: Report, tz: ZoneInfo) -> str:
    def show(at: datetime | None) -> str:
        return at.astimezone(tz).isoformat() if at else "-"

    return f"{show(report.start)} to {show(report.end)} ({tz.key})"


def report_records(report: Report, decimals: Mapping[str, int]) -> list[dict[str, Any]]:
    records = []
    for row in report.rows:
        values = row.figures.as_dict()
        record: dict[str, Any] = {"key": row.key, "label": row.label, "asset": row.asset}
        for name in FIGURES:
            shown = not (row.is_recipient and name in ("pledged", "received"))
            record[name] = format_units(values[name], decimals.get(row.asset, 0)) if shown else ""
            record[f"{name}_units"] = str(values[name]) if shown else ""
        records.append(record)
    return records


def conversion_lines(
    conversion: Conversion, decimals: Mapping[str, int], tz: ZoneInfo
) -> list[str]:
    """Say how the figures were converted, every rate used and every amount left unconverted."""
    lines = [
        f"Converted into {conversion.quote}: each entry at the latest rate at or before its "
        f"effective date; each figure rounded half to even to the smallest unit of "
        f"{conversion.quote} once, after summing exactly.",
        "Rates used:" if conversion.rates_used else "Rates used: none",
    ]
    for rate in conversion.rates_used:
        lines.append(
            f"  1 {rate.base} = {rate.rate} {rate.quote} from "
            f"{rate.observed_at.astimezone(tz).isoformat()} ({rate.source})"
        )
    if not conversion.unconverted:
        lines.append("Unconverted: none")
        return lines
    lines.append("Unconverted (no rate at the entry's date; left out of the figures above):")
    for item in conversion.unconverted:
        amount = format_units(item.amount, decimals.get(item.asset, 0))
        lines.append(
            f"  entry {item.entry_id} {item.at.astimezone(tz).date().isoformat()} "
            f"{item.kind.value} {amount} {item.asset}"
        )
    return lines


def _conversion_json(
    conversion: Conversion, decimals: Mapping[str, int], tz: ZoneInfo
) -> dict[str, Any]:
    return {
        "quote": conversion.quote,
        "method": conversion_lines(conversion, decimals, tz)[0],
        "rates_used": [
            {
                "base": r.base,
                "quote": r.quote,
                "rate": r.rate,
                "source": r.source,
                "observed_at": r.observed_at.isoformat(),
            }
            for r in conversion.rates_used
        ],
        "unconverted": [
            {
                "entry_id": u.entry_id,
                "at": u.at.isoformat(),
                "figure": u.kind.value,
                "asset": u.asset,
                "amount": format_units(u.amount, decimals.get(u.asset, 0)),
                "amount_units": str(u.amount),
            }
            for u in conversion.unconverted
        ],
    }


def render_text(
    report: Report,
    decimals: Mapping[str, int],
    tz: ZoneInfo,
    conversion: Conversion | None = None,
) -> str:
    lines = [f"Report by {report.dimension.value}, {_period(report, tz)}"]
    header = f"{'':40} {'asset':6}" + "".join(f" {name:>24}" for name in FIGURES)
    lines.append(header)
    for record in report_records(report, decimals):
        label = f"{record['label']}"[:40]
        cells = "".join(f" {record[name] or '-':>24}" for name in FIGURES)
        lines.append(f"{label:40} {record['asset']:6}{cells}")
    if not report.rows:
        lines.append("(nothing in this period)")
    if conversion is not None:
        lines.extend(["", *conversion_lines(conversion, decimals, tz)])
    return "\n".join(lines) + "\n"


def render_json(
    report: Report,
    decimals: Mapping[str, int],
    tz: ZoneInfo,
    conversion: Conversion | None = None,
) -> str:
    document: dict[str, Any] = {
        "by": report.dimension.value,
        "period": _period(report, tz),
        "amounts": "exact decimals; *_units are integers in the asset's smallest unit",
        "rows": report_records(report, decimals),
    }
    if conversion is not None:
        document["conversion"] = _conversion_json(conversion, decimals, tz)
    return json.dumps(document, ensure_ascii=False, indent=2)


def render_csv(
    report: Report,
    decimals: Mapping[str, int],
    tz: ZoneInfo,
    conversion: Conversion | None = None,
) -> str:
    out = io.StringIO()
    out.write(f"# report by {report.dimension.value}, {_period(report, tz)}\n")
    if conversion is not None:
        for line in conversion_lines(conversion, decimals, tz):
            out.write(f"# {line}\n")
    fields = ["key", "label", "asset", *FIGURES, *(f"{name}_units" for name in FIGURES)]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in report_records(report, decimals):
        writer.writerow(record)
    return out.getvalue()
