"""A live server on a free local port, and the system tools the round trip needs.

Without poppler-utils, zbar-tools or chromium these tests skip, except under CI=true, where a
missing tool is an error (tools/ensure-system-packages installs them as root).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, sync_playwright

from ledger import migrate
from ledger.config import Settings, load_settings
from ledger.db import engine_from_settings, make_session_factory, session_scope
from ledger.demo.load import load_demo
from web import create_app
from web.serving import make_private_server
from web.translations_build import compile_translations

PACKAGES = {"pdftoppm": "poppler-utils", "zbarimg": "zbar-tools", "chromium": "chromium"}


def _unavailable(problem: str) -> None:
    message = f"{problem}: run tools/ensure-system-packages as root to install it"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and a system tool is missing: {message}", pytrace=False)
    pytest.skip(message)


def require_tool(command: str) -> str:
    """Return the path of ``command``, or skip (fail under CI) naming its Debian package."""
    path = shutil.which(command)
    if path is None:
        _unavailable(f"{command} is not installed (Debian package {PACKAGES[command]})")
    assert path is not None
    return path


@dataclass
class LiveServer:
    url: str
    settings: Settings
    app: Flask


class _LateApp:
    """A WSGI app set after the server has bound its port (the app's settings need the port)."""

    def __init__(self) -> None:
        self.app: Flask | None = None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        assert self.app is not None
        return self.app(environ, start_response)


NEUTRAL_PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Weather</title></head><body><h1>Weather today</h1><p>Sunny, 21 degrees.</p></body></html>"""


class _NeutralHandler(BaseHTTPRequestHandler):
    """Stands in for the neutral site (a weather page)."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(NEUTRAL_PAGE)))
        self.end_headers()
        self.wfile.write(NEUTRAL_PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def neutral_site() -> Iterator[str]:
    """A local neutral page on its own origin; the tests' quick exit goes there."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NeutralHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/weather"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def live_server(instance_dir: Path, neutral_site: str) -> Iterator[LiveServer]:
    """The demo catalogue served by werkzeug in a thread; public_base_url is this server and
    the quick exit leads to the local neutral site."""
    compile_translations()
    late = _LateApp()
    server = make_private_server("127.0.0.1", 0, late)
    url = f"http://127.0.0.1:{server.server_port}"
    settings = load_settings(
        overrides={
            "paths": {"instance": str(instance_dir)},
            "web": {"public_base_url": url},
            "safety": {"exit_url": neutral_site},
        },
        environ={},
    )
    engine = engine_from_settings(settings, writer=True)
    migrate.upgrade(engine)
    with session_scope(make_session_factory(engine)) as session:
        load_demo(session)
    engine.dispose()
    late.app = create_app(settings=settings, test_config={"TESTING": True})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url, settings, late.app)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright (Playwright's own download is not used)."""
    path = require_tool("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            # --no-sandbox: tests run as root in CI.
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            browser.close()
