"""Walk the organiser console as a signed-in user and read the forms on its pages.

Shared by the hostile-input tests (Flask test client) and the browser tests (Playwright): the
caller gives a ``fetch`` function, the crawler follows every same-origin ``/console/`` link
(GET only: console changes are POST forms) and yields each page. Areas added later (catalogue,
imports, reconciliation, reports, chain, labels, backups) are reached through the menu and their
in-page links, so they are covered without editing this file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Never followed even as a GET link: a link whose path says it ends the session or changes
# something (the console uses POST forms for changes, so these are a belt-and-braces guard).
UNSAFE_PATH = re.compile(
    r"/(logout|log-out|sign-out|delete|remove|disable|enable|reset|withdraw|erase|commit|"
    r"revoke|restore|backup-now|run)(/|$|-)",
    re.IGNORECASE,
)

# At most this many distinct query strings per path (pagination and filters could go on).
QUERIES_PER_PATH = 3

# Input types that take typed text (what the hostile battery fills).
TEXT_TYPES = frozenset({"text", "search", "email", "url", "tel", "number", ""})


@dataclass
class Field:
    name: str
    tag: str  # input, textarea, select
    type: str  # the input type ("" for textarea/select)
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False
    accept: str = ""

    @property
    def is_text(self) -> bool:
        return self.tag == "textarea" or (self.tag == "input" and self.type in TEXT_TYPES)


@dataclass
class Form:
    page: str  # the path?query of the page it was on
    method: str  # "get" or "post"
    action: str  # the path?query it submits to (the page itself when absent)
    enctype: str
    fields: list[Field] = field(default_factory=list)
    submit: tuple[str, str] | None = None  # the first named submit button (name, value)

    @property
    def text_fields(self) -> list[Field]:
        return [f for f in self.fields if f.is_text]

    @property
    def file_fields(self) -> list[Field]:
        return [f for f in self.fields if f.tag == "input" and f.type == "file"]

    def values(self, fill: Callable[[Field], str | None] | None = None) -> list[tuple[str, str]]:
        """The data a browser would send: hidden values, selected options, checked boxes,
        and each text field as rendered or as ``fill`` says (None: leave as rendered)."""
        data: list[tuple[str, str]] = []
        for f in self.fields:
            if f.tag == "input" and f.type in ("checkbox", "radio"):
                if f.checked or (f.type == "checkbox" and fill is not None):
                    # A hostile run ticks every box ("I am sure") to get past confirmations.
                    data.append((f.name, f.value or "on"))
                continue
            if f.tag == "input" and f.type in ("file", "submit", "button", "image", "reset"):
                continue
            if f.tag == "select":
                data.append((f.name, f.value or (f.options[0] if f.options else "")))
                continue
            value = fill(f) if fill is not None else None
            data.append((f.name, f.value if value is None else value))
        if self.submit:
            data.append(self.submit)
        return data


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    body: str
    headers: dict[str, str]
    links: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith("text/html")


class _PageParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None
        self._option: str | None = None
        self._option_selected = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            action = a.get("action") or self.page_url
            self._form = Form(
                page=self.page_url,
                method=(a.get("method") or "get").lower(),
                action=action,
                enctype=a.get("enctype", ""),
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image") and name and form.submit is None:
                form.submit = (name, a.get("value", ""))
            elif name:
                form.fields.append(Field(name, "input", kind, a.get("value", ""),
                                         checked="checked" in a, accept=a.get("accept", "")))
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            if form.submit is None:
                form.submit = (name, a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = Field(name, "textarea", "")
            form.fields.append(self._textarea)
        elif tag == "select" and name:
            self._select = Field(name, "select", "")
            form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            self._option_selected = "selected" in a
            if self._option is not None:
                self._add_option(self._option)

    def _add_option(self, value: str) -> None:
        assert self._select is not None
        self._select.options.append(value)
        if self._option_selected:
            self._select.value = value

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        elif self._select is not None and self._option is None and data.strip():
            # <option> without a value: its text is the value.
            self._option = data.strip()
            self._add_option(self._option)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None


def parse_page(url: str, body: str) -> tuple[list[str], list[Form]]:
    """The links and the forms of an HTML page (URLs left as written)."""
    parser = _PageParser(url)
    parser.feed(body)
    parser.close()
    for form in parser.forms:
        form.action = local_path(urljoin(f"http://localhost{url}", form.action)) or form.action
    return parser.links, parser.forms


def local_path(url: str, hosts: frozenset[str] = frozenset({"localhost"})) -> str | None:
    """The path?query of a same-origin URL (fragment dropped), or None for another origin."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https"):
        return None
    if parts.netloc and parts.netloc not in hosts:
        return None
    return urlunsplit(("", "", parts.path or "/", parts.query, ""))


def is_console_link(path: str) -> bool:
    """A console page the crawler may open: under /console/, GET-safe by its name."""
    route = urlsplit(path).path
    return route.startswith("/console") and not UNSAFE_PATH.search(route)


@dataclass
class Fetched:
    status: int
    content_type: str
    body: str
    headers: dict[str, str]
    location: str | None = None


def crawl_console(
    fetch: Callable[[str], Fetched],
    start: str = "/console/",
    hosts: frozenset[str] = frozenset({"localhost"}),
    follow: Callable[[str], bool] = is_console_link,
) -> Iterator[Page]:
    """Visit ``start`` and every console page it leads to; yield each (HTML or not).

    ``fetch`` opens one path?query and says what came back (redirects not followed, their
    Location is crawled instead). Query strings are kept (filters, pages) but capped per path.
    """
    queue = [start]
    seen = {start}
    per_path: dict[str, int] = {}
    while queue:
        url = queue.pop(0)
        got = fetch(url)
        page = Page(url, got.status, got.content_type, got.body, got.headers)
        found: list[str] = [got.location] if got.location else []
        if page.is_html:
            page.links, page.forms = parse_page(url, got.body)
            found += page.links
        for link in found:
            target = local_path(urljoin(f"http://localhost{url}", link), hosts)
            if target is None or target in seen or not follow(target):
                continue
            route, query = urlsplit(target).path, urlsplit(target).query
            if query:
                if per_path.get(route, 0) >= QUERIES_PER_PATH:
                    continue
                per_path[route] = per_path.get(route, 0) + 1
            seen.add(target)
            queue.append(target)
        yield page


def with_query(path: str, data: list[tuple[str, str]]) -> str:
    """``path`` with ``data`` as its query (what a GET form submits)."""
    parts = urlsplit(path)
    query = urlencode(parse_qsl(parts.query) + data)
    return urlunsplit(("", "", parts.path, query, ""))
