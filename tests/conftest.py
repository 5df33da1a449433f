"""Shared fixtures: settings, a migrated database per backend and per xdist worker, and a
session per test that is rolled back afterwards.

SQLite always runs. PostgreSQL runs when LEDGER_TEST_POSTGRES_URL is set or CI=true (default URL
postgresql+psycopg://postgres@127.0.0.1:5432/test); with CI=true an unreachable PostgreSQL fails
the run instead of skipping it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ledger import migrate
from ledger.config import Settings, load_settings
from ledger.db import make_engine

IS_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL") or (DEFAULT_PG_URL if IS_CI else "")
BACKENDS = ["sqlite", "postgresql"]


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"databases: sqlite, postgresql ({make_url(PG_URL).render_as_string(hide_password=True)})"
    return "databases: sqlite only (set LEDGER_TEST_POSTGRES_URL or CI=true for PostgreSQL)"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's LEDGER_* variables out of every test."""
    for name in list(os.environ):
        if name.startswith("LEDGER_") and not name.startswith("LEDGER_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture
def instance_dir(tmp_path: Path) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture
def settings(instance_dir: Path) -> Settings:
    return load_settings(overrides={"paths": {"instance": str(instance_dir)}}, environ={})


def _create_postgres_database() -> str:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    # LEDGER_TEST_DB_PREFIX keeps two checkouts testing at once on one server apart.
    name = f"{os.environ.get('LEDGER_TEST_DB_PREFIX', 'ledger_test')}_{_worker()}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach PostgreSQL is reported here
        if IS_CI:
            pytest.fail(f"CI=true but PostgreSQL at {PG_URL} cannot be used: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL at {PG_URL} cannot be used: {exc}")
    finally:
        admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """URLs of empty databases, one per backend, private to this xdist worker."""
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'ledger.sqlite3'}"}
    if PG_URL:
        urls["postgresql"] = _create_postgres_database()
    return urls


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> str:
    name: str = request.param
    if name not in database_urls:
        pytest.skip("PostgreSQL not configured (set LEDGER_TEST_POSTGRES_URL or CI=true)")
    return name


@pytest.fixture(scope="session")
def migrated_engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def engine(
    backend: str, database_urls: dict[str, str], migrated_engines: dict[str, Engine]
) -> Engine:
    """A migrated engine for the current backend (migrated once per worker)."""
    if backend not in migrated_engines:
        created = make_engine(database_urls[backend])
        migrate.upgrade(created)
        migrated_engines[backend] = created
    return migrated_engines[backend]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    db_session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield db_session
    finally:
        db_session.close()
        outer.rollback()
        connection.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[Any]) -> None:
    for item in items:
        if "backend" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say how many database tests ran on each backend, so a log shows PostgreSQL really ran."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            for name in BACKENDS:
                if f"[{name}" in nodeid or f"-{name}]" in nodeid or f"-{name}-" in nodeid:
                    bucket = counts.setdefault(name, {})
                    bucket[outcome] = bucket.get(outcome, 0) + 1
    for name in BACKENDS:
        found = counts.get(name, {})
        summary = ", ".join(f"{n} {o}" for o, n in sorted(found.items())) or "none ran"
        terminalreporter.write_line(f"database tests on {name}: {summary}")


# ----------------------------------------------------------------- committed, fresh databases

_templates: dict[str, str] = {}
_fresh_counter = iter(range(1_000_000))


def _seed_template(url: str) -> None:
    from ledger.db import make_session_factory, session_scope
    from ledger.demo.load import load_demo

    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with session_scope(make_session_factory(engine)) as session:
            load_demo(session)
    finally:
        engine.dispose()


def sqlite_template(database_urls: dict[str, str]) -> str:
    """Path of this worker's migrated SQLite file holding the demo catalogue (built once)."""
    if "sqlite" not in _templates:
        template = Path(str(make_url(database_urls["sqlite"]).database)).with_name(
            "template.sqlite3"
        )
        _seed_template(f"sqlite:///{template}")
        _templates["sqlite"] = str(template)
    return _templates["sqlite"]


@pytest.fixture
def fresh_database_url(backend: str, database_urls: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """The URL of a new database of its own, migrated and holding the demo catalogue.

    For code that commits (the chain sync): the rolled-back ``session`` cannot serve it, and
    the journal's append-only triggers forbid cleaning tables between tests. A template is
    built once per worker; each test gets a copy (a file copy on SQLite, CREATE DATABASE ...
    TEMPLATE on PostgreSQL) and the copy is dropped afterwards.
    """
    import shutil

    if backend == "sqlite":
        copy = tmp_path / "ledger.sqlite3"
        shutil.copyfile(sqlite_template(database_urls), copy)
        yield f"sqlite:///{copy}"
        return
    base = make_url(database_urls["postgresql"])
    prefix = os.environ.get("LEDGER_TEST_DB_PREFIX", "ledger_test")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        if "postgresql" not in _templates:
            name = f"{prefix}_{_worker()}_tpl"
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            _seed_template(base.set(database=name).render_as_string(hide_password=False))
            _templates["postgresql"] = name
        copy_name = f"{prefix}_{_worker()}_{next(_fresh_counter)}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)'))
            conn.execute(
                text(f'CREATE DATABASE "{copy_name}" TEMPLATE "{_templates["postgresql"]}"')
            )
        yield base.set(database=copy_name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)'))
    finally:
        admin.dispose()
