"""The transparency ledger for donors: totals, every sale and payout with its proof, pending
chain transactions, a search by transaction hash, private receipts and public downloads.

Thin adapters over ``ledger.reports.public``. No page shows a wallet address or offers any
lookup or total by wallet; the pages say plainly that a chain transaction is public.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import Blueprint, Flask, Response, abort, current_app, g, render_template, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from ledger.checkpoints import get_inclusion_proofs, get_latest_checkpoint, list_checkpoints
from ledger.config import Settings
from ledger.db import make_autocommit_engine
from ledger.documents import read_document
from ledger.errors import LedgerError
from ledger.reports.flows import FlowBook, update_flow_book
from ledger.reports.public import (
    EXPORT_FIELDS,
    PublicCore,
    PublicLedger,
    build_public_core,
    compile_ledger_version_sql,
    format_ledger_version,
    get_ledger_version,
    get_receipt,
    is_published_document,
    localise_public_ledger,
    public_records,
)
from web import memo
from web.database import get_session, get_settings
from web.ratelimit import RateLimit
from web.store import Store, make_store

bp = Blueprint("transparency", __name__)

PAGE_CACHE_CONTROL = "no-cache"
# Longest transaction hash we accept in a search (0x + 64 hex digits), with some slack.
MAX_QUERY = 80


@dataclass
class _Cached:
    version: str
    ledger: PublicLedger


class VersionReader:
    """Reads the database's fingerprint for a request in as few round trips as possible.

    On PostgreSQL the statement, compiled once, runs on its own autocommit engine without the
    pool's pre-ping: one round trip per request instead of several (pre-ping, BEGIN, the query,
    ROLLBACK); a dropped connection is retried once instead of pinged every time. Elsewhere
    (the embedded SQLite file) it runs in the request's session.
    """

    def __init__(self, engine: Engine) -> None:
        is_postgres = engine.dialect.name == "postgresql"
        self.engine = make_autocommit_engine(engine) if is_postgres else None
        self.own_engine = engine
        self.sql = compile_ledger_version_sql(engine.dialect)

    def read(self, session: Callable[[], Session]) -> str:
        if self.engine is None:
            return get_ledger_version(session())
        return self.read_outside_request()

    def read_outside_request(self) -> str:
        """The fingerprint without a request's session (for ``web.memo``, before Flask)."""
        if self.engine is None:
            with self.own_engine.connect() as connection:
                return get_ledger_version(Session(bind=connection))
        try:
            return self._read(self.engine)
        except _Dropped:
            return self._read(self.engine)  # the pool has dropped that connection: once more

    def _read(self, engine: Engine) -> str:
        # The driver's own cursor: SQLAlchemy's Connection would cost more than the query.
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self.sql)
                row = cursor.fetchone()
            except engine.dialect.loaded_dbapi.Error as exc:
                if engine.dialect.is_disconnect(exc, connection.dbapi_connection, cursor):
                    connection.invalidate(exc)
                    raise _Dropped from exc
                raise
            finally:
                cursor.close()
        finally:
            connection.close()
        assert row is not None  # a SELECT of scalar subqueries: always one row
        return format_ledger_version(row)


class _Dropped(Exception):
    """The server closed the reader's connection (a restart, an idle timeout)."""


@dataclass
class LedgerCache:
    """Built public ledgers per language, shared by a worker's threads (in-process: a built
    ledger is a large Python object; what several hosts share are the rendered pages, in
    ``web.store``).

    A ledger is reused while the database's fingerprint (``get_ledger_version``) is unchanged,
    and only then: the fingerprint covers catalogue texts and consent too, so there is no
    age limit and nothing older than the database is ever served.
    """

    approximate_in: str = ""
    entries: dict[str, _Cached] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    build_lock: threading.Lock = field(default_factory=threading.Lock)
    # The journal's flows, shared by the languages and extended with new entries when that is
    # exactly what a replay would give (``update_flow_book``); only touched under build_lock.
    flow_book: FlowBook | None = None
    # The language-independent part, built once per fingerprint for every language (each
    # language then only picks its titles); only touched under build_lock.
    core: tuple[str, PublicCore] | None = None
    # Cores extended since the last full garbage collection (see _freeze_long_lived_objects).
    extended_since_collection: int = 0

    def get(
        self, session: Session, lang: str, fallback: Sequence[str], version: str | None = None
    ) -> PublicLedger:
        version = version or get_ledger_version(session)
        cached = self._fresh(lang, version)
        if cached is not None:
            return cached
        # One thread builds; the others wait for it instead of building the same thing.
        with self.build_lock:
            cached = self._fresh(lang, version)
            if cached is not None:
                return cached
            collect = False
            if self.core is None or self.core[0] != version:
                previous = self.core[1] if self.core is not None else None
                self.core = None
                book, self.flow_book = self.flow_book, None  # dropped if an update fails halfway
                book, is_extended = update_flow_book(session, book)
                # Extended in place with new entries only: only they are added to the core.
                core = build_public_core(
                    session, self.approximate_in, book, previous if is_extended else None
                )
                self.core = (version, core)
                self.flow_book = book
                if is_extended and self.extended_since_collection < EXTENSIONS_PER_COLLECTION:
                    # Most of the core is the previous one's objects, frozen already: freeze
                    # the new ones without walking them all again.
                    self.extended_since_collection += 1
                    gc.freeze()
                else:
                    self.extended_since_collection = 0
                    collect = True
            ledger = localise_public_ledger(self.core[1], lang, fallback)
            with self.lock:
                self.entries[lang] = _Cached(version, ledger)
            if collect:
                _freeze_long_lived_objects()
            return ledger

    def _fresh(self, lang: str, version: str) -> PublicLedger | None:
        with self.lock:
            cached = self.entries.get(lang)
        return cached.ledger if cached and cached.version == version else None


# A core extended with a few new entries replaces only a few of the previous core's objects,
# and those are freed by their reference counts (the public ledger holds no reference cycles
# we know of); a full collection, which walks all of them (about 0.7 s at 100,000 sales),
# comes after a build from scratch and after every so many extensions, so that anything a
# cycle would keep is freed within that many changes.
EXTENSIONS_PER_COLLECTION = 16


def _freeze_long_lived_objects() -> None:
    """Keep the cyclic garbage collector off the built ledgers (millions of objects).

    A full collection walks every tracked object, and with a built ledger held one came every
    few hundred requests and made the slow tail of the artwork page (docs/benchmarks.md).
    Frozen objects are skipped. Before
    freezing, what an earlier freeze kept (a ledger just replaced) goes back to the collector
    and one full collection frees it, so a replaced ledger is not kept for ever; that walk is
    paid once per build, not once every few hundred requests.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def init_app(app: Flask, settings: Settings, engine: Engine) -> None:
    app.extensions["ledger.version_reader"] = VersionReader(engine)
    app.extensions["ledger.public_cache"] = LedgerCache(
        approximate_in=settings.reports.public_approximation
    )
    app.extensions["ledger.store"] = make_store(settings.web.redis_url)
    app.extensions["ledger.receipt_limit"] = RateLimit(
        app.extensions["ledger.store"],
        "receipt",
        settings.web.receipt_lookups,
        settings.web.receipt_lookup_window_s,
    )
    app.register_blueprint(bp)


def get_store() -> Store:
    """The app's shared store (Redis when configured, else this process's memory)."""
    store: Store = current_app.extensions["ledger.store"]
    return store


def get_version() -> str:
    """The database's fingerprint for this request (read once per request)."""
    if "ledger_version" not in g:
        # web.memo read it already for this request (the page it keeps is keyed by that one).
        g.ledger_version = request.environ.get(memo.VERSION)
        if g.ledger_version is None:
            reader: VersionReader = current_app.extensions["ledger.version_reader"]
            g.ledger_version = reader.read(get_session)
    version: str = g.ledger_version
    return version


def get_public_ledger() -> PublicLedger:
    """The public ledger in the visitor's language: built once per database change."""
    if "public_ledger" not in g:
        settings = get_settings()
        cache: LedgerCache = current_app.extensions["ledger.public_cache"]
        g.public_ledger = cache.get(
            get_session(), g.lang, settings.i18n.fallback_order, get_version()
        )
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

    POST, so the code stays out of the address bar, the history and any server log. Lookups
    are rate-limited per visitor (``web.ratelimit``: no address is kept) against guessing.
    """
    code = request.form.get("code", "").strip() if request.method == "POST" else ""
    limit: RateLimit = current_app.extensions["ledger.receipt_limit"]
    if code and not limit.is_allowed(request.remote_addr or ""):
        abort(429)
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


_DOCUMENT_TYPES = ((b"%PDF-", "application/pdf", "pdf"), (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
                   (b"\xff\xd8\xff", "image/jpeg", "jpg"))


@bp.get("/ledger/reports/<sha256>")
def update_document(sha256: str) -> BaseResponse:
    """The document of a published report back: a download, only while it is published, and
    only as a PDF or image type (anything else is sent as opaque bytes)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        abort(404)
    session = get_session()
    if not is_published_document(session, sha256):
        abort(404)
    try:
        data = read_document(session, get_settings().documents_dir, sha256)
    except (LedgerError, OSError):
        abort(404)
    mimetype, extension = "application/octet-stream", "bin"
    for magic, kind, ext in _DOCUMENT_TYPES:
        if data.startswith(magic):
            mimetype, extension = kind, ext
    response = BaseResponse(data, mimetype=mimetype)
    filename = f"report-{sha256[:12]}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-cache"
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
