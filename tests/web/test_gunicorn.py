"""gunicorn.conf.py really serves the app: gunicorn on a free port against PostgreSQL, a page
fetched twice (the second time a 304), and no access log written."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger import migrate
from ledger.db import make_engine, make_session_factory, session_scope
from ledger.demo.load import load_demo
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def pg_demo_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (set LEDGER_TEST_POSTGRES_URL or CI=true)")
    prefix = os.environ.get("LEDGER_TEST_DB_PREFIX", "ledger_test")
    name = f"{prefix}_gunicorn_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_scope(make_session_factory(engine)) as session:
        load_demo(session)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_gunicorn_serves_pages_from_postgresql(pg_demo_url: str, tmp_path: Path) -> None:
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed")
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LEDGER_DATABASE_URL": pg_demo_url,
        "LEDGER_PATHS_INSTANCE": str(tmp_path / "instance"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    log = (tmp_path / "gunicorn.log").open("w+b")
    process = subprocess.Popen(
        [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, headers, body = _get(f"{base}/artworks/zvcp7r?lang=en")
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert status == 200
        assert b"Where the money goes" in body
        assert headers["Cache-Control"] == "no-cache"
        again, _, _ = _get(
            f"{base}/artworks/zvcp7r?lang=en", headers={"If-None-Match": headers["ETag"]}
        )
        assert again == 304
        # Plain repeat visits (answered from each worker's memory after the first: web.memo)
        # are the same page, in the visitor's language, with the same headers.
        plain = [
            _get(f"{base}/artworks/zvcp7r", headers={"Accept-Language": "ru"}) for _ in range(8)
        ]
        assert {p[0] for p in plain} == {200} and len({p[2] for p in plain}) == 1
        assert b'<html lang="ru"' in plain[0][2]
        assert len({p[1]["ETag"] for p in plain}) == 1
        assert all(p[1]["Content-Security-Policy"] for p in plain)
        assert _get(f"{base}/ledger?lang=en")[0] == 200
        assert _get(f"{base}/api/v1/totals")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.seek(0)
        output = log.read().decode(errors="replace")
        log.close()
    assert "GET /" not in output  # no access log
