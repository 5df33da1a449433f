"""Hostile input through every console form, on SQLite and PostgreSQL.

The admin crawls every console page (tests/console/crawl.py), finds every form and submits it
with each text field holding XSS, template-injection and SQL-injection payloads. No answer may
be a server error; no page (the answer, every console page afterwards, the public home page)
may carry a payload unescaped; the tables must still exist and the journal must be unchanged
unless the form is one that posts entries. Forms of areas added later are found by the crawl.

Uploads: every console file input refuses SVG and HTML (by content, also under an innocent
name) and files over the size limit; nothing the console serves has an executable type.
"""

from __future__ import annotations

import io
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, inspect
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.test import TestResponse

from ledger.config import load_settings
from ledger.db import make_engine, make_session_factory, session_scope
from ledger.documents import compute_sha256
from ledger.journal import compute_journal_checksum
from ledger.models import Document
from tests.console.conftest import Account, login, make_users
from tests.console.crawl import Fetched, Field, Form, Page, crawl_console, with_query
from web import create_app

# Each payload, and what it must never turn into on a page.
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "javascript:alert(1)",
    "zq{{7*7}}zq",
    "zq${7*7}zq",
    "zq{% print(7*7) %}zq",
    "' OR '1'='1",
    "'; DROP TABLE journal_entry; --",
    '" OR ""="',
    "admin'--",
    "1; SELECT pg_sleep(0)--",
    "\u202eevil\u202c.exe",
    "nul\x00byte",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "x" * 20_000,
]
# Always sent to every form, whatever the sampling.
CORE_PAYLOADS = [*PAYLOADS[:2], PAYLOADS[6], PAYLOADS[9], PAYLOADS[15]]

# Typed inputs get a plausible value in the second variant, so the payload in the other fields
# gets past validation and is stored (and then shown on some page).
PLAUSIBLE = {"number": "1", "email": "someone@example.org", "url": "https://example.org/",
             "tel": "+7 700 000 0000", "date": "2024-01-15", "datetime-local": "2024-01-15T10:00",
             "month": "2024-01"}

# Forms that are meant to post journal entries (endpoint names); the journal may change there:
# a manual entry or a bank disbursement, an import's commit, and the inbox's matches (a match
# from suspense posts an entry, in bulk too) and their undoing (a reversal).
POSTS_ENTRIES: frozenset[str] = frozenset({
    "console_reconcile.entry", "console_reconcile.disbursement", "console_imports.commit",
    "console_reconcile.match", "console_reconcile.bulk", "console_reconcile.unmatch",
})

# At most this many submissions in all (the payloads are sampled per form to stay under it).
SUBMISSION_BUDGET = 200
LOGIN_PAYLOADS = 8
# Past this many seconds the remaining forms get the core payloads only (bounded on 2 cores).
TIME_BUDGET_S = 40

EXECUTABLE_TYPES = ("text/html", "image/svg+xml", "application/javascript", "text/javascript",
                    "application/xhtml+xml", "text/xml", "application/xml")
OUR_LAYOUT = '<meta name="referrer" content="no-referrer">'
_SSTI_RESULT = re.compile(r"zq49zq")


@dataclass(frozen=True)
class Hostile:
    app: Flask
    engine: Engine
    accounts: dict[str, Account]


@pytest.fixture
def hostile(fresh_database_url: str, instance_dir: Path) -> Iterator[Hostile]:
    """The console over a committed demo database of its own (SQLite or PostgreSQL)."""
    settings = load_settings(
        overrides={"paths": {"instance": str(instance_dir)},
                   "database": {"url": fresh_database_url}},
        environ={},
    )
    engine = make_engine(fresh_database_url)
    app = create_app(settings=settings, test_config={"TESTING": True, "LEDGER_ENGINE": engine})
    try:
        yield Hostile(app, engine, make_users(app))
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- what is unsafe


class _Scanner(HTMLParser):
    """Finds markup we never write: event-handler attributes, inline scripts, script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (an event handler)")
            if name in ("href", "src", "action", "formaction", "xlink:href", "data") and value:
                squeezed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                if squeezed.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.problems.append(f"<{tag} {name}={value[:40]!r}> (a script URL)")
        src = dict(attrs).get("src") or ""
        if tag == "script" and not src.startswith("/static/"):
            self.problems.append("<script> that is not one of our static files")
        if tag == "img" and src == "x":
            self.problems.append("<img src=x> from a payload")

    handle_startendtag = handle_starttag


def unsafe_markup(body: str) -> list[str]:
    """What on this HTML page could run a payload (empty when the page is safe)."""
    scanner = _Scanner()
    scanner.feed(body)
    scanner.close()
    problems = scanner.problems
    if "<script>alert(1)" in body:
        problems.append("raw <script>alert(1)")
    if _SSTI_RESULT.search(body):
        problems.append("a template expression was evaluated (zq49zq)")
    return problems


# ---------------------------------------------------------------------------- the harness


def client_fetch(client: FlaskClient) -> Callable[[str], Fetched]:
    def fetch(url: str) -> Fetched:
        response = client.get(url)
        return Fetched(response.status_code, response.content_type or "",
                       response.get_data().decode("utf-8", errors="replace"),
                       dict(response.headers), response.headers.get("Location"))

    return fetch


def crawl(client: FlaskClient, start: str = "/console/") -> list[Page]:
    return list(crawl_console(client_fetch(client), start))


def endpoint_of(app: Flask, form: Form) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(form.action.split("?")[0], method=form.method.upper())
    except (NotFound, MethodNotAllowed):
        return None
    return str(endpoint)


def is_excluded(form: Form, own_username: str) -> bool:
    """Forms that would end the session or lock the admin out of their own account."""
    path = form.action.split("?")[0]
    if re.search(r"/log-?out\b", path):
        return True
    return bool(re.search(rf"/{re.escape(own_username)}(/|$)", path)) and form.method == "post"


def form_key(form: Form) -> tuple[str, str, tuple[str, ...]]:
    # Per-row forms (one per user, per artwork) share everything but an id in the action.
    shape = re.sub(r"/[^/]*\d[^/]*(?=/|$)", "/<id>", form.action.split("?")[0])
    return form.method, shape, tuple(sorted(f.name for f in form.fields))


def hostile_forms(pages: list[Page], own_username: str) -> list[Form]:
    forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    for page in pages:
        for form in page.forms:
            if form.text_fields and not is_excluded(form, own_username):
                forms.setdefault(form_key(form), form)
    return list(forms.values())


def variants(form: Form, payload: str) -> list[list[tuple[str, str]]]:
    """Every text field holding the payload; then the typed ones plausible, the rest hostile."""

    def everything(f: Field) -> str | None:
        return payload if f.is_text else PLAUSIBLE.get(f.type)

    def typed_plausible(f: Field) -> str | None:
        if f.type in PLAUSIBLE:
            return PLAUSIBLE[f.type]
        return payload if f.is_text else None

    result = [form.values(everything)]
    if any(f.type in PLAUSIBLE and f.is_text for f in form.fields):
        result.append(form.values(typed_plausible))
    return result


def submit(client: FlaskClient, form: Form, data: list[tuple[str, str]]) -> TestResponse:
    if form.method == "get":
        return client.get(with_query(form.action, data), follow_redirects=True)
    return client.post(form.action, data=MultiDict(data), follow_redirects=True)


def check_submission(
    client: FlaskClient, form: Form, data: list[tuple[str, str]], payload: str
) -> list[str]:
    """Submit once; say what went wrong (a server error, unsafe markup in the answer)."""
    response = submit(client, form, data)
    statuses = [r.status_code for r in response.history] + [response.status_code]
    where = f"{form.method.upper()} {form.action} (from {form.page}) with {payload[:40]!r}"
    if max(statuses) >= 500:
        return [f"{where}: server error {statuses}"]
    if not response.content_type.startswith("text/html"):
        return []
    return [f"{where}: {p}" for p in unsafe_markup(response.get_data(as_text=True))]


def sampled_payloads(form: Form, per_form: int) -> list[str]:
    rest = [p for p in PAYLOADS if p not in CORE_PAYLOADS]
    chosen = random.Random(form.action).sample(rest, max(0, min(len(rest), per_form - 5)))
    return CORE_PAYLOADS + chosen


def db_state(engine: Engine) -> tuple[set[str], str]:
    tables = set(inspect(engine).get_table_names())
    with session_scope(make_session_factory(engine)) as session:
        return tables, compute_journal_checksum(session)


# ------------------------------------------------------------------------------- the tests


def test_every_console_text_field_takes_hostile_input(hostile: Hostile) -> None:
    app, admin = hostile.app, hostile.accounts["admin"]
    client = app.test_client()
    login(app, client, admin)
    tables_before, journal_before = db_state(hostile.engine)
    pages = crawl(client)
    anonymous = app.test_client()
    login_pages = crawl(anonymous, "/console/login")
    forms = hostile_forms(pages, admin.username)
    login_forms = hostile_forms(login_pages, admin.username)
    assert any(f.action.startswith("/console/users") for f in forms), "the crawl found no forms"
    assert login_forms, "the crawl found no login form"

    per_form = max(len(CORE_PAYLOADS), SUBMISSION_BUDGET // max(1, len(forms)))
    failures: list[str] = []
    posted_entries = False
    started = time.monotonic()
    batches = [(client, f, per_form) for f in forms]
    # The login form hashes a password per try (slow on purpose): fewer payloads there.
    batches += [(anonymous, f, LOGIN_PAYLOADS) for f in login_forms]
    for who, form, count in batches:
        posted_entries |= endpoint_of(app, form) in POSTS_ENTRIES
        # On a slow machine, the forms still to come get the core payloads only.
        late = time.monotonic() - started > TIME_BUDGET_S
        for payload in CORE_PAYLOADS if late else sampled_payloads(form, count):
            for data in variants(form, payload):
                if who is anonymous:
                    # The login form: fill the password too, so the username reaches the query.
                    data = [(k, payload if k == "password" else v) for k, v in data]
                failures += check_submission(who, form, data, payload)
    assert not failures, "\n".join(sorted(set(failures)))

    # What was stored shows up escaped everywhere: every console page, the public home page.
    assert client.get("/console/").status_code == 200, "the admin was logged out by a form"
    home = client.get("/")
    shown = [*crawl(client), Page("/", home.status_code, home.content_type,
                                  home.get_data(as_text=True), dict(home.headers))]
    for page in shown:
        assert page.status < 500, f"{page.url} answers {page.status} after the battery"
        if page.is_html:
            failures += [f"{page.url} afterwards: {p}" for p in unsafe_markup(page.body)]
    assert not failures, "\n".join(sorted(set(failures)))

    tables_after, journal_after = db_state(hostile.engine)
    assert tables_after == tables_before
    if not posted_entries:
        assert journal_after == journal_before, "a form that should not post entries changed the journal"


# ------------------------------------------------------------------------------------ uploads

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b"<script>alert(1)</script></svg>")
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
# (description, file name, declared type, bytes): SVG and HTML, also under innocent names.
REFUSED_UPLOADS = [
    ("an SVG", "picture.svg", "image/svg+xml", SVG),
    ("an SVG named .png", "picture.png", "image/png", SVG),
    ("an HTML file", "page.html", "text/html", HTML),
    ("an HTML file named .csv", "sales.csv", "text/csv", HTML),
    ("an HTML file named .jpg", "photo.jpg", "image/jpeg", HTML),
]
ERROR_SIGNS = ('class="error', "error-summary", "flash-error", 'role="alert"')


def upload_forms(pages: list[Page]) -> list[Form]:
    forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    for page in pages:
        for form in page.forms:
            if form.file_fields and form.method == "post":
                forms.setdefault(form_key(form), form)
    return list(forms.values())


def plausible_values(form: Form) -> list[tuple[str, str]]:
    return form.values(lambda f: PLAUSIBLE.get(f.type, "Test") if f.is_text and not f.value else None)


def test_every_upload_refuses_svg_html_and_oversize(hostile: Hostile) -> None:
    app, admin = hostile.app, hostile.accounts["admin"]
    client = app.test_client()
    login(app, client, admin)
    forms = upload_forms(crawl(client))
    if not forms:
        pytest.skip("no console page has a file upload yet (catalogue and imports not merged)")
    limit = app.config["MAX_CONTENT_LENGTH"]
    failures: list[str] = []
    for form in forms:
        for field in form.file_fields:
            for what, name, declared, content in REFUSED_UPLOADS:
                data: dict[str, object] = {}
                for key, value in plausible_values(form):
                    data.setdefault(key, value)
                data[field.name] = (io.BytesIO(content), name, declared)
                response = client.post(form.action, data=data, content_type="multipart/form-data",
                                       follow_redirects=True)
                where = f"{form.action} field {field.name} with {what}"
                body = response.get_data(as_text=True)
                if response.status_code >= 500:
                    failures.append(f"{where}: server error {response.status_code}")
                elif response.status_code < 400 and not any(s in body for s in ERROR_SIGNS):
                    failures.append(f"{where}: accepted ({response.status_code}, no error shown)")
                with session_scope(make_session_factory(hostile.engine)) as session:
                    if session.get(Document, compute_sha256(content)) is not None:
                        failures.append(f"{where}: stored as a document")
            big = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * limit)
            response = client.post(form.action, data={**dict(plausible_values(form)),
                                                      field.name: (big, "big.png", "image/png")},
                                   content_type="multipart/form-data")
            if response.status_code != 413 or b"too large" not in response.data:
                failures.append(f"{form.action} field {field.name} took a file over the limit"
                                f" ({response.status_code})")
    assert not failures, "\n".join(failures)


def test_a_request_over_the_size_limit_gets_a_helpful_page(hostile: Hostile) -> None:
    client = hostile.app.test_client()
    limit = hostile.app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/console/login", data={"username": "x" * (limit + 1), "password": "y"})
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "too large" in text and f"{limit // (1024 * 1024)} MB" in text
    assert OUR_LAYOUT in text  # the console's layout, not a bare error


def test_nothing_the_console_serves_is_executable(hostile: Hostile) -> None:
    """Every console answer is one of our pages or a file sent as a non-executable type."""
    app = hostile.app
    problems: list[str] = []
    for who in ("admin", "organiser", "auditor"):
        client = app.test_client()
        login(app, client, hostile.accounts[who])
        for page in crawl(client):
            if page.headers.get("X-Content-Type-Options") != "nosniff":
                problems.append(f"{page.url}: no nosniff")
            kind = page.content_type.split(";")[0].strip().lower()
            if kind not in EXECUTABLE_TYPES or page.status in (301, 302, 303):
                continue
            disposition = page.headers.get("Content-Disposition", "")
            if kind != "text/html" or "attachment" in disposition or OUR_LAYOUT not in page.body:
                problems.append(f"{page.url}: served as {kind} ({disposition or 'inline'})")
    assert not problems, "\n".join(problems)


def test_the_scanner_sees_unescaped_payloads() -> None:
    """The check itself: it flags a raw payload and passes the escaped one."""
    from markupsafe import escape

    for payload in PAYLOADS[:7]:
        assert unsafe_markup(f"<p>{escape(payload)}</p><input value=\"{escape(payload)}\">") == []
    assert unsafe_markup("<p>" + PAYLOADS[1] + "</p>")
    assert unsafe_markup('<a href=" javascript:alert(1)">x</a>')
    assert unsafe_markup("<p>zq49zq</p>")
    assert unsafe_markup("<td><script>alert(1)</script></td>")
    assert not unsafe_markup('<script src="/static/quick-exit.js"></script>')


def test_the_crawl_reaches_every_console_page_in_the_menu(hostile: Hostile) -> None:
    """The crawl starts from the menu: each area registered later is walked as it lands."""
    from web.console.context import NAVIGATION

    app = hostile.app
    client = app.test_client()
    login(app, client, hostile.accounts["admin"])
    visited = {page.url.split("?")[0] for page in crawl(client)}
    with app.test_request_context():
        from flask import url_for

        expected = {url_for(endpoint) for endpoint, _label, _role in NAVIGATION
                    if endpoint in app.view_functions}
    assert expected <= visited, sorted(expected - visited)


def test_the_forms_allowed_to_post_entries_exist(console_app: Flask) -> None:
    """A renamed endpoint must not leave POSTS_ENTRIES naming nothing (and its form
    unchecked for journal changes)."""
    gone = POSTS_ENTRIES - set(console_app.view_functions)
    assert not gone, sorted(gone)
    for endpoint in POSTS_ENTRIES:
        rule = next(r for r in console_app.url_map.iter_rules() if r.endpoint == endpoint)
        assert "POST" in (rule.methods or set()), endpoint
