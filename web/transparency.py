"""The transparency ledger for donors: totals, every sale and payout with its proof, pending
chain transactions, a search by transaction hash, private receipts and public downloads.

Thin adapters over ``ledger.reports.public``. No page shows a wallet address or offers any
lookup or total by wallet; the pages say plainly that a chain transaction is public.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import Blueprint, Flask, Response, current_app, g, render_template, request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from ledger.checkpoints import get_inclusion_proofs, get_latest_checkpoint, list_checkpoints
from ledger.reports.public import (
    EXPORT_FIELDS,
    PublicLedger,
    build_public_ledger,
    get_ledger_version,
    get_receipt,
    public_records,
)
from web.database import get_session, get_settings

bp = Blueprint("transparency", __name__)

PAGE_CACHE_CONTROL = "no-cache"
# Longest transaction hash we accept in a search (0x + 64 hex digits), with some slack.
MAX_QUERY = 80


# A built ledger is reused while the database's fingerprint is unchanged, for at most this
# long (catalogue texts edited in place are not in the fingerprint).
CACHE_MAX_AGE_S = 60.0


@dataclass
class _Cached:
    version: str
    built_at: float
    ledger: PublicLedger


@dataclass
class LedgerCache:
    """Built public ledgers per language, shared by a worker's threads (in-process)."""

    entries: dict[str, _Cached] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    build_lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, session: Session, lang: str, fallback: Sequence[str]) -> PublicLedger:
        version = get_ledger_version(session)
        cached = self._fresh(lang, version)
        if cached is not None:
            return cached
        # One thread builds; the others wait for it instead of building the same thing.
        with self.build_lock:
            cached = self._fresh(lang, version)
            if cached is not None:
                return cached
            ledger = build_public_ledger(session, lang, fallback)
            with self.lock:
                self.entries[lang] = _Cached(version, time.monotonic(), ledger)
            return ledger

    def _fresh(self, lang: str, version: str) -> PublicLedger | None:
        with self.lock:
            cached = self.entries.get(lang)
        if (
            cached
            and cached.version == version
            and time.monotonic() - cached.built_at < CACHE_MAX_AGE_S
        ):
            return cached.ledger
        return None


def init_app(app: Flask) -> None:
    app.extensions["ledger.public_cache"] = LedgerCache()
    app.register_blueprint(bp)


def get_public_ledger() -> PublicLedger:
    """The public ledger in the visitor's language: built once per database change."""
    if "public_ledger" not in g:
        settings = get_settings()
        cache: LedgerCache = current_app.extensions["ledger.public_cache"]
        g.public_ledger = cache.get(get_session(), g.lang, settings.i18n.fallback_order)
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
    checkpoint = get_latest_checkpoint(get_session())
    return conditional(
        render_template("ledger.html", ledger=get_public_ledger(), checkpoint=checkpoint)
    )


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
    entry_ids = sorted({sale.entry_id for sale in found.sales}) if found else []
    proofs = [
        proof
        for entry_id in entry_ids
        for proof in get_inclusion_proofs(get_session(), ledger, entry_id)
    ]
    response = Response(
        render_template(
            "receipt.html", ledger=ledger, asked=bool(code), receipt=found, proofs=proofs
        ),
        mimetype="text/html",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


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
            "checkpoints": [
                {
                    "published_at": c.published_at.isoformat(),
                    "tree_size": c.tree_size,
                    "root": c.root,
                }
                for c in list_checkpoints(get_session())
            ],
            "leaf_format": "docs/checkpoints.md: SHA-256 Merkle tree (RFC 6962) over entries",
        },
        ensure_ascii=False,
        indent=1,
    )
    return _download(body, "application/json", "ledger-entries.json")
