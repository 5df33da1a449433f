"""Answer a repeat visit to a page from this process's memory, before Flask runs.

A QR scan lands on an artwork page; at an exhibition many visitors open the same few pages,
and the page changes only when the database does. A view that is fully determined by the
database's fingerprint, the language and the path (the artwork page: its body is cached under
exactly that key) marks its response memoizable; this WSGI layer keeps the whole response
(status, headers, body) under (fingerprint, language, path) and answers the next plain visit
to that path with it, without routing, hooks, session or templates: one fingerprint read and
a dictionary lookup. It is the idea of Django's per-site cache middleware, with the key
reading the database's fingerprint on every request, so a memoized page is never older than
the database: a new sale, an edited text or a withdrawn consent changes the fingerprint and
the next visit goes through Flask again.

Only plain visits take the fast path: GET, no query string (``?lang=`` sets a cookie), no
cookie but the language one (a signed-in organiser's session is refreshed by Flask), no
conditional headers (Flask answers those with a 304). Everything else goes to Flask unchanged.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie

from web.i18n import COOKIE, choose_language

# Set in the WSGI environ, to the language it rendered in, by a view whose response may be kept.
MEMOIZABLE = "ledger.memoizable"
VERSION = "ledger.version"  # the fingerprint this layer read, for the view to use the same one

# Request headers that make the answer depend on more than (fingerprint, language, path).
_CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH",
                "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_RANGE", "HTTP_RANGE")
_MAX_ACCEPT_FORMS = 256  # distinct Accept-Language headers remembered (browsers send few)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
_Kept = tuple[str, str, list[tuple[str, str]], bytes]  # fingerprint, status, headers, body


class ResponseMemo:
    """WSGI middleware: ``app.wsgi_app = ResponseMemo(app.wsgi_app, read_version, ...)``.

    ``read_version`` reads the database's fingerprint outside any request (one round trip);
    ``paths`` says which paths may have a kept response (others go to Flask untouched);
    ``max_bytes`` bounds the memory the kept bodies take (a page of the demo is ~8 KB).
    """

    def __init__(
        self,
        app: WsgiApp,
        read_version: Callable[[], str],
        *,
        paths: re.Pattern[str],
        languages: Iterable[str],
        default_language: str,
        max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.app = app
        self.read_version = read_version
        self.paths = paths
        self.languages = tuple(languages)
        self.default_language = default_language
        self.max_bytes = max_bytes
        self._kept: dict[tuple[str, str], _Kept] = {}
        self._kept_version = ""
        self._kept_bytes = 0
        self._languages_by_accept: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        lang = self._plain_visit_language(environ)
        if lang is None:
            return self.app(environ, start_response)
        version = self.read_version()
        path: str = environ.get("PATH_INFO", "")
        kept = self._kept.get((lang, path))
        if kept is not None and kept[0] == version:
            _, status, headers, body = kept
            start_response(status, list(headers))
            return [body]
        environ[VERSION] = version
        return self._through_flask(environ, start_response, version, lang, path)

    def _plain_visit_language(self, environ: dict[str, Any]) -> str | None:
        """The visitor's language for a plain visit, or None if this is not one."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        if not self.paths.fullmatch(environ.get("PATH_INFO", "")):
            return None  # not a page that can be kept: no fingerprint read spent on it
        if any(name in environ for name in _CONDITIONAL):
            return None
        raw_cookie = environ.get("HTTP_COOKIE")
        if raw_cookie:
            cookies = parse_cookie(raw_cookie)  # as Flask reads them
            if set(cookies) - {COOKIE}:
                return None
            cookie_lang = cookies.get(COOKIE)
            if cookie_lang is not None and cookie_lang in self.languages:
                return cookie_lang
        return self._language_for_accept(environ.get("HTTP_ACCEPT_LANGUAGE", ""))

    def _language_for_accept(self, header: str) -> str:
        found = self._languages_by_accept.get(header)
        if found is None:
            accept = parse_accept_header(header, LanguageAccept)
            found = choose_language(self.languages, self.default_language, None, None, accept)
            if len(self._languages_by_accept) < _MAX_ACCEPT_FORMS:
                self._languages_by_accept[header] = found
        return found

    def _through_flask(
        self, environ: dict[str, Any], start_response: StartResponse,
        version: str, lang: str, path: str,
    ) -> Iterable[bytes]:
        seen: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen[:] = [status, headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(
                status, headers
            )

        result = self.app(environ, capture)
        # Kept only if the view says so, in the language chosen here (the same rules), with 200.
        if environ.get(MEMOIZABLE) != lang or not seen or not seen[0].startswith("200"):
            return result
        status, headers = seen
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        self._keep(version, (lang, path), (version, status, list(headers), body))
        return [body]

    def _keep(self, version: str, key: tuple[str, str], kept: _Kept) -> None:
        with self._lock:
            if version != self._kept_version:
                # Another fingerprint: what was kept under the one before is never served
                # again (readers compare each entry's fingerprint with the one they read).
                self._kept = {}
                self._kept_bytes = 0
                self._kept_version = version
            size = len(kept[3])
            previous = self._kept.get(key)
            grown = size - (len(previous[3]) if previous else 0)
            if self._kept_bytes + grown > self.max_bytes:
                return
            self._kept_bytes += grown
            self._kept[key] = kept
