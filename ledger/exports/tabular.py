"""CSV and JSON renderings of an export: one row per posting, amounts exact."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ledger.exports.data import ExportData, ExportEntry, ExportPosting
from ledger.reports.render import format_units

CSV_FIELDS = (
    "entry_id",
    "key",
    "effective_at",
    "local_date",
    "description",
    "evidence_kind",
    "chain_id",
    "block_number",
    "log_index",
    "tx_hash",
    "explorer_url",
    "document_sha256",
    "import_row",
    "reverses_key",
    "account",
    "asset",
    "amount_units",
    "amount",
    "memo",
)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _posting_record(posting: ExportPosting, decimals: dict[str, int]) -> dict[str, str]:
    return {
        "account": posting.account,
        "asset": posting.asset,
        "amount_units": str(posting.amount),
        "amount": format_units(posting.amount, decimals[posting.asset]),
        "memo": _text(posting.memo),
    }


def _entry_record(entry: ExportEntry) -> dict[str, str]:
    return {
        "entry_id": str(entry.id),
        "key": entry.key,
        "effective_at": entry.effective_at.isoformat(),
        "local_date": entry.local_date.isoformat(),
        "description": entry.description,
        "evidence_kind": entry.evidence_kind,
        "chain_id": _text(entry.chain_id),
        "block_number": _text(entry.block_number),
        "log_index": _text(entry.log_index),
        "tx_hash": _text(entry.tx_hash),
        "explorer_url": _text(entry.explorer_url),
        "document_sha256": _text(entry.document_sha256),
        "import_row": _text(entry.import_row),
        "reverses_key": _text(entry.reverses_key),
    }


def render_csv(data: ExportData) -> str:
    """Render a header block of ``# `` lines (settings and rates), then one row per posting."""
    out = io.StringIO()
    out.write("# charity-sale-ledger journal export\n")
    for line in data.settings_lines():
        out.write(f"# {line}\n")
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    decimals = data.decimals
    for entry in data.entries:
        record = _entry_record(entry)
        for posting in entry.postings:
            writer.writerow(record | _posting_record(posting, decimals))
    return out.getvalue()


def render_json(data: ExportData) -> str:
    """Render the export as JSON; every amount and integer id of money is a string."""
    decimals = data.decimals
    document: dict[str, Any] = {
        "format": "charity-sale-ledger journal export",
        "settings": {
            "generated_at": data.generated_at.isoformat(),
            "reports.timezone": data.timezone,
            "chain.explorer_tx_url": dict(sorted(data.explorer_tx_url.items())),
            "exports.operating_currency": data.operating_currency,
        },
        "rates": [],
        "notes": data.notes(),
        "assets": [
            {
                "code": a.code,
                "symbol": a.symbol,
                "kind": a.kind,
                "decimals": a.decimals,
                "chain_id": a.chain_id,
                "contract": a.contract,
            }
            for a in data.assets
        ],
        "accounts": list(data.accounts),
        "entries": [
            {
                **_entry_record(entry),
                "postings": [_posting_record(p, decimals) for p in entry.postings],
            }
            for entry in data.entries
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
