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
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

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


@pytest.fixture
def live_server(instance_dir: Path) -> Iterator[LiveServer]:
    """The demo catalogue served by werkzeug in a thread; public_base_url is this server."""
    compile_translations()
    late = _LateApp()
    server = make_private_server("127.0.0.1", 0, late)
    url = f"http://127.0.0.1:{server.server_port}"
    settings = load_settings(
        overrides={"paths": {"instance": str(instance_dir)}, "web": {"public_base_url": url}},
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
