"""Serve the app without writing any visitor's IP address.

Werkzeug's request handler writes ``<client address> - - [date] "GET /path" 200`` for every
request and puts the same address in front of its error lines (a malformed request line, for
example); the socket server prints the client's address above any traceback it catches. The
handler and server here write no access log at all and log errors without an address.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler


class PrivateRequestHandler(WSGIRequestHandler):
    """A werkzeug request handler that never logs the client's address."""

    def address_string(self) -> str:
        return "-"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Write no access log: one line per visit is a record of who read what."""


class PrivateServer(ThreadedWSGIServer):
    """A threaded werkzeug server whose error reports leave out the client's address."""

    def handle_error(self, request: Any, client_address: tuple[str, int] | str) -> None:
        if self.passthrough_errors:
            raise
        print("Error while handling a request:", file=sys.stderr)
        traceback.print_exc()


def make_private_server(host: str, port: int, app: Any) -> PrivateServer:
    """Return a threaded server for ``app`` (a Flask app or any WSGI callable) on host:port."""
    return PrivateServer(host, port, app, handler=PrivateRequestHandler)


def serve(app: Flask, host: str, port: int) -> None:
    """Serve ``app`` until interrupted, writing no visitor's address anywhere."""
    make_private_server(host, port, app).serve_forever()
