"""Crawl every public URL of the app: every GET route outside the non-public prefixes, with its
arguments filled in, plus every same-origin link, script, stylesheet and image the pages name.

New public routes (a transparency ledger, /api/v1, CSV or JSON exports) are crawled without
touching this file, as long as their URL arguments have a filler in ``ROUTE_ARGUMENTS``; a
route with an argument the crawler cannot fill fails the crawl, naming the route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Artwork, ArtworkImage, BeneficiaryUpdate

# Routes under these prefixes are not public (an admin area, the organisers' API) and are
# not crawled from the route map. Static files are crawled when a page links to them.
NON_PUBLIC_PREFIXES = ("/console", "/static/")

# How to fill each URL argument of a public route: every value a visitor could reach.
ROUTE_ARGUMENTS: dict[str, Callable[[Session], list[str]]] = {
    "code": lambda session: sorted(session.scalars(select(Artwork.public_code))),
    # Uploaded artwork images (/images/<sha256>.<ext>), and one that is not there (a 404).
    "name": lambda session: [
        *sorted(
            path.removeprefix("uploads/")
            for path in session.scalars(select(ArtworkImage.path))
            if path.startswith("uploads/")
        ),
        "0" * 64 + ".png",
    ],
    # Documents of published reports back, and one that is not published (a 404).
    "sha256": lambda session: [
        *sorted(
            sha
            for sha in session.scalars(
                select(BeneficiaryUpdate.document_sha256).where(BeneficiaryUpdate.is_published)
            )
            if sha
        ),
        "ab" * 32,
    ],
}

NOT_FOUND_PATH = "/this-address-does-not-exist"

# Words that must never be in a URL or a tab title (someone may glance at a shared screen or
# the history): "domestic violence", "abuse" and their kk/ru forms.
NON_NEUTRAL_WORDS = (
    "violence", "abuse", "abusive", "domestic", "victim", "survivor", "beating",
    "насили", "абьюз", "жертв", "побо", "домашн",
    "зорлық", "зомбылық", "тұрмыстық", "құрбан",
)  # fmt: skip


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    body: str
    headers: dict[str, str]
    title: str | None = None
    links: list[str] = field(default_factory=list)


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.title: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in ("href", "src", "action", "poster", "data"):
                self.links.append(value)
            if value and name == "srcset":
                self.links += [part.strip().split(" ")[0] for part in value.split(",")]
        self._in_title = tag == "title"
        if self._in_title:
            self.title = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title and self.title is not None:
            self.title += data


def expand_public_routes(app: Flask, session: Session) -> list[str]:
    """Return a URL for every public GET route and every value of its arguments.

    Raises LookupError naming the route when one of its arguments has no filler.
    """
    urls: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith(NON_PUBLIC_PREFIXES):
            continue
        combos: list[dict[str, str]] = [{}]
        for argument in sorted(rule.arguments):
            if argument not in ROUTE_ARGUMENTS:
                raise LookupError(
                    f"public route {rule.rule} has an argument <{argument}> the privacy crawler "
                    "cannot fill: add it to ROUTE_ARGUMENTS in tests/web/crawl.py"
                )
            values = ROUTE_ARGUMENTS[argument](session)
            combos = [{**combo, argument: value} for combo in combos for value in values]
        with app.test_request_context():
            urls += [url_for(rule.endpoint, **combo) for combo in combos]
    return sorted(set(urls))


def _normalise(url: str, hosts: frozenset[str]) -> str | None:
    """Return the same-origin path?query of ``url`` without ``lang``, or None to skip it."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc not in hosts):
        return None
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "lang"])
    return urlunsplit(("", "", parts.path or "/", query, ""))


def crawl(client: FlaskClient, lang: str, seeds: list[str], public_base_url: str) -> Iterator[Page]:
    """Visit ``seeds`` and everything they link to on our origin, in ``lang``; yield each page.

    Our origin is the test client's (localhost) and the configured public base URL's host.
    """
    hosts = frozenset({"localhost", urlsplit(public_base_url).netloc})
    client.get(f"/?lang={lang}")  # sets the language cookie for the rest of the crawl
    queue = [url for url in (_normalise(s, hosts) for s in seeds) if url]
    seen = set(queue)
    while queue:
        url = queue.pop(0)
        response = client.get(url, headers={"Accept-Language": lang})
        body = response.get_data().decode("utf-8", errors="replace")
        page = Page(
            url=url,
            status=response.status_code,
            content_type=response.content_type or "",
            body=body,
            headers=dict(response.headers),
        )
        found: list[str] = []
        if "Location" in response.headers:
            found.append(response.headers["Location"])
        if page.content_type.startswith("text/html"):
            parser = _LinkParser()
            parser.feed(body)
            page.title, page.links = parser.title, parser.links
            found += parser.links
        for link in found:
            target = _normalise(urljoin(f"http://localhost{url}", link), hosts)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
        yield page
