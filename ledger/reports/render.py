"""Print and write reports: exact amounts, never rounded, dates in the configured time zone."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

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


def render_text(report: Report, decimals: Mapping[str, int], tz: ZoneInfo) -> str:
    lines = [f"Report by {report.dimension.value}, {_period(report, tz)}"]
    header = f"{'':40} {'asset':6}" + "".join(f" {name:>24}" for name in FIGURES)
    lines.append(header)
    for record in report_records(report, decimals):
        label = f"{record['label']}"[:40]
        cells = "".join(f" {record[name] or '-':>24}" for name in FIGURES)
        lines.append(f"{label:40} {record['asset']:6}{cells}")
    if not report.rows:
        lines.append("(nothing in this period)")
    return "\n".join(lines) + "\n"


def render_json(report: Report, decimals: Mapping[str, int], tz: ZoneInfo) -> str:
    return json.dumps(
        {
            "by": report.dimension.value,
            "period": _period(report, tz),
            "amounts": "exact decimals; *_units are integers in the asset's smallest unit",
            "rows": report_records(report, decimals),
        },
        ensure_ascii=False,
        indent=2,
    )


def render_csv(report: Report, decimals: Mapping[str, int], tz: ZoneInfo) -> str:
    out = io.StringIO()
    out.write(f"# report by {report.dimension.value}, {_period(report, tz)}\n")
    fields = ["key", "label", "asset", *FIGURES, *(f"{name}_units" for name in FIGURES)]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in report_records(report, decimals):
        writer.writerow(record)
    return out.getvalue()
