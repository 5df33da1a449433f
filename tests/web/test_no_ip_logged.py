"""No visitor's IP address is written anywhere: not in logs, not in error reports, not on disk."""

from __future__ import annotations

import http.client
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from ledger.config import Settings
from web import create_app
from web.serving import make_private_server

VISITOR_IP = "198.51.100.73"
FORWARDED_IP = "192.0.2.201"


@pytest.fixture
def failing_app(demo_app: Flask, settings: Settings) -> Flask:
    """The demo app with one route that fails, and exceptions handled as in production."""
    app = create_app(settings=settings, test_config={"TESTING": False})

    @app.get("/boom-for-test")
    def _boom() -> str:
        raise RuntimeError("a bug")

    return app


def _visit_everything(app: Flask) -> None:
    client = app.test_client()
    environ = {"REMOTE_ADDR": VISITOR_IP}
    headers = {"X-Forwarded-For": FORWARDED_IP, "X-Real-IP": FORWARDED_IP}
    for method, path, expected in (
        ("GET", "/", 200),
        ("GET", "/artworks/zvcp7r", 200),
        ("GET", "/a/zvcp7r", 302),
        ("GET", "/browser-history", 200),
        ("GET", "/no-such-page", 404),
        ("POST", "/", 405),
        ("GET", "/boom-for-test", 500),
    ):
        response = client.open(path, method=method, environ_base=environ, headers=headers)
        assert response.status_code == expected, path


def test_no_ip_in_logs_or_error_reports(
    failing_app: Flask, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    _visit_everything(failing_app)
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "RuntimeError: a bug" in logged  # the error report was written...
    assert VISITOR_IP not in logged and FORWARDED_IP not in logged  # ...without the address


def test_no_ip_in_files_the_app_writes(failing_app: Flask, settings: Settings) -> None:
    _visit_everything(failing_app)
    for path in Path(settings.instance_dir).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert VISITOR_IP.encode() not in data and FORWARDED_IP.encode() not in data, path


@pytest.fixture
def served(failing_app: Flask) -> Iterator[int]:
    server = make_private_server("127.0.0.1", 0, failing_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=10)


def test_the_server_writes_no_access_log_and_no_address(
    served: int, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """Over a real socket (client address 127.0.0.1): pages, errors and a malformed request."""
    caplog.set_level(logging.DEBUG)
    for path in ("/", "/no-such-page", "/boom-for-test"):
        conn = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()
    with socket.create_connection(("127.0.0.1", served), timeout=10) as raw:
        raw.sendall(b"NONSENSE\r\n\r\n")  # werkzeug logs "code 400, message Bad request"
        raw.recv(4096)
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "RuntimeError: a bug" in logged and "Bad request" in logged
    assert "127.0.0.1" not in logged
    assert '"GET / HTTP/1.1" 200' not in logged  # no access log line at all
