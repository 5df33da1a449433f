"""The transparency ledger for donors: totals, every sale and payout with its proof, pending
chain transactions, a search by transaction hash, private receipts and public downloads.

Thin adapters over ``ledger.reports.public``. No page shows a wallet address or offers any
lookup or total by wallet; the pages say plainly that a chain transaction is public.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, g, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from ledger.reports.public import PublicEntry, PublicLedger, build_public_ledger, get_receipt
from ledger.reports.render import format_units
from web.database import get_session, get_settings

bp = Blueprint("transparency", __name__)

PAGE_CACHE_CONTROL = "no-cache"
# Longest transaction hash we accept in a search (0x + 64 hex digits), with some slack.
MAX_QUERY = 80


def get_public_ledger() -> PublicLedger:
    """The public ledger for this request, built once per request, in the visitor's language."""
    if "public_ledger" not in g:
        settings = get_settings()
        g.public_ledger = build_public_ledger(get_session(), g.lang, settings.i18n.fallback_order)
    ledger: PublicLedger = g.public_ledger
    return ledger


@bp.app_template_global()
def explorer_url(chain_id: int | None, tx_hash: str | None) -> str | None:
    """The block explorer's page for a transaction, when one is configured for its chain."""
    if chain_id is None or not tx_hash:
        return None
    template = get_settings().chain.explorer_tx_url.get(str(chain_id))
    return template.replace("{hash}", tx_hash) if template else None


@bp.app_template_filter("local_time")
def local_time(at: datetime | None) -> str:
    if at is None:
        return ""
    return at.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M")


def conditional(body: str | bytes, mimetype: str = "text/html") -> BaseResponse:
    """A response revalidated on each visit, with an ETag taken over the body."""
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/ledger")
def ledger_page() -> BaseResponse:
    return conditional(render_template("ledger.html", ledger=get_public_ledger()))


@bp.get("/ledger/tx")
def find_tx() -> BaseResponse:
    """Search the ledger by transaction hash (a GET form: nothing is stored)."""
    query = request.args.get("hash", "").strip()[:MAX_QUERY]
    ledger = get_public_ledger()
    found = ledger.find_tx(query) if query else []
    pending = ledger.find_pending_tx(query) if query else []
    return conditional(
        render_template("ledger_tx.html", ledger=ledger, query=query, found=found, pending=pending)
    )


@bp.route("/receipt", methods=["GET", "POST"])
def receipt() -> BaseResponse:
    """A donor's receipt by its private code.

    POST, so the code stays out of the address bar, the history and any server log.
    """
    code = request.form.get("code", "") if request.method == "POST" else ""
    ledger = get_public_ledger()
    found = get_receipt(get_session(), ledger, code) if code else None
    response = Response(
        render_template("receipt.html", ledger=ledger, asked=bool(code), receipt=found),
        mimetype="text/html",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def public_records(ledger: PublicLedger) -> list[dict[str, Any]]:
    """Every sale and payout as plain records (no personal data): the export's rows."""

    def record(entry: PublicEntry) -> dict[str, Any]:
        art = ledger.artworks.get(entry.artwork_id or -1)
        decimals = ledger.decimals.get(entry.asset, 0)
        return {
            "entry_id": entry.entry_id,
            "date": entry.at.isoformat(),
            "kind": entry.kind,
            "asset": entry.asset,
            "amount": format_units(entry.received, decimals),
            "amount_units": str(entry.received),
            "pledged": format_units(entry.pledged, decimals),
            "pledged_units": str(entry.pledged),
            "artwork": art.public_code if art else "",
            "beneficiary": entry.beneficiary_key or "",
            "proof": entry.proof.kind.value,
            "chain_id": entry.proof.chain_id if entry.proof.chain_id is not None else "",
            "tx_hash": entry.proof.tx_hash or "",
            "bank_reference": entry.proof.reference or "",
            "document_sha256": entry.proof.document_sha256 or "",
            "is_reversal": entry.is_reversal,
        }

    entries = sorted(
        [*ledger.sales, *ledger.disbursements], key=lambda e: (e.at, e.entry_id, e.kind, e.asset)
    )
    return [record(e) for e in entries]


EXPORT_FIELDS = (
    "entry_id", "date", "kind", "asset", "amount", "amount_units", "pledged", "pledged_units",
    "artwork", "beneficiary", "proof", "chain_id", "tx_hash", "bank_reference",
    "document_sha256", "is_reversal",
)  # fmt: skip


def _download(body: str, mimetype: str, filename: str) -> BaseResponse:
    response = conditional(body.encode("utf-8"), mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/ledger/entries.csv")
def entries_csv() -> BaseResponse:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in public_records(get_public_ledger()):
        writer.writerow(row)
    return _download(out.getvalue(), "text/csv", "ledger-entries.csv")


@bp.get("/ledger/entries.json")
def entries_json() -> BaseResponse:
    body = json.dumps(
        {
            "amounts": "exact decimals; *_units are integers in the asset's smallest unit",
            "entries": public_records(get_public_ledger()),
        },
        ensure_ascii=False,
        indent=1,
    )
    return _download(body, "application/json", "ledger-entries.json")
