"""Backups: `ledger backup` and the console button write a consistent copy that restores to
the same journal (checksum); admins download them, auditors see the list, all on the record."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from cli.main import main
from ledger.backup import (
    BackupError,
    compute_backup_name,
    list_backups,
    pg_environment,
    write_backup,
)
from ledger.config import Settings
from ledger.db import make_engine, make_session_factory, session_scope
from ledger.journal import compute_journal_checksum
from ledger.models import AuditLog
from tests.conftest import PG_URL
from tests.console.conftest import Account, csrf_token, login
from tests.console.sales import book_sales, book_sales_into


def _checksum(url: str) -> str:
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return compute_journal_checksum(session)
    finally:
        engine.dispose()


def _audit(app: Flask, action: str) -> list[AuditLog]:
    with session_scope(app.extensions["ledger.session_factory"]) as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_the_console_button_writes_a_backup_that_restores_the_same_journal(
    console_app: Flask, accounts: dict[str, Account], settings: Settings
) -> None:
    book_sales(console_app)
    client = console_app.test_client()
    login(console_app, client, accounts["admin"])
    token = csrf_token(client, "/console/backups/")
    assert client.post("/console/backups/", data={"csrf_token": token}).status_code == 400
    response = client.post("/console/backups/", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 302
    (backup,) = list_backups(settings.instance_dir / "backups")
    assert backup.path.stat().st_mode & 0o077 == 0
    original = _checksum(settings.database_url)
    assert _checksum(f"sqlite:///{backup.path}") == original
    (row,) = _audit(console_app, "backup.create")
    assert row.actor == "admin" and row.target_id == backup.name

    html = client.get("/console/backups/").get_data(as_text=True)
    assert backup.name in html
    download = client.get(f"/console/backups/{backup.name}")
    assert download.status_code == 200
    assert download.mimetype == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.data == backup.path.read_bytes()
    assert _audit(console_app, "backup.download")


def test_auditors_see_the_list_but_cannot_write_or_download(
    console_app: Flask, accounts: dict[str, Account], settings: Settings
) -> None:
    backup = write_backup(settings.database_url, settings.instance_dir / "backups"
                          / compute_backup_name(datetime.now(UTC), "sqlite"))
    client = console_app.test_client()
    login(console_app, client, accounts["auditor"])
    html = client.get("/console/backups/").get_data(as_text=True)
    assert backup.name in html and "Write backup" not in html and "Download" not in html
    assert client.get(f"/console/backups/{backup.name}").status_code == 403


@pytest.mark.parametrize("name", ["ledger.sqlite3", "..%2Fledger.sqlite3", "secret_key",
                                  "ledger-20260101T000000Z.sqlite3"])
def test_only_listed_backups_are_served(
    console_app: Flask, accounts: dict[str, Account], name: str
) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["admin"])
    assert client.get(f"/console/backups/{name}").status_code == 404


def test_a_backup_never_overwrites(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "b.sqlite3"
    out.write_bytes(b"keep")
    with pytest.raises(BackupError, match="exists already"):
        write_backup(f"sqlite:///{tmp_path / 'nothing.sqlite3'}", out)
    assert out.read_bytes() == b"keep"
    assert compute_backup_name(datetime(2026, 3, 8, 10, 15, tzinfo=UTC), "sqlite",
                               {"ledger-20260308T101500Z.sqlite3"}) == (
        "ledger-20260308T101500Z-2.sqlite3"
    )


def test_ledger_backup_cli_writes_and_records(
    instance_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEDGER_PATHS_INSTANCE", str(instance_dir))
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["demo", "load"]).exit_code == 0
    result = runner.invoke(main, ["backup"])
    assert result.exit_code == 0, result.output
    (backup,) = list_backups(instance_dir / "backups")
    assert str(backup.path) in result.output
    original = runner.invoke(main, ["journal", "checksum"]).output.strip()
    assert _checksum(f"sqlite:///{backup.path}") == original
    out = tmp_path / "elsewhere.sqlite3"
    assert runner.invoke(main, ["backup", "--out", str(out)]).exit_code == 0
    assert out.exists()
    again = runner.invoke(main, ["backup", "--out", str(out)])
    assert again.exit_code == 1 and "exists already" in again.output
    engine = make_engine(f"sqlite:///{instance_dir / 'ledger.sqlite3'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT via, target_id FROM audit_log "
                                 "WHERE action = 'backup.create'")).all()
    engine.dispose()
    assert [r[0] for r in rows] == ["cli", "cli"] and rows[1][1] == "elsewhere.sqlite3"


def test_a_backup_restores_to_the_same_checksum_on_each_backend(
    backend: str, fresh_database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(fresh_database_url)
    with session_scope(make_session_factory(engine)) as session:
        book_sales_into(session)
    engine.dispose()
    original = _checksum(fresh_database_url)
    if backend == "sqlite":
        backup = write_backup(fresh_database_url, tmp_path / "b.sqlite3")
        assert _checksum(f"sqlite:///{backup.path}") == original
        return
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed (apt-get install postgresql-client)")
    backup = write_backup(fresh_database_url, tmp_path / "b.pgdump")
    assert backup.size > 0
    url = make_url(fresh_database_url)
    restored = url.set(database=f"{url.database}_restored")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{restored.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{restored.database}"'))
        subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
             f"--dbname={restored.database}", str(backup.path)],
            env={**os.environ, **pg_environment(restored)}, check=True, capture_output=True,
        )
        assert _checksum(restored.render_as_string(hide_password=False)) == original
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{restored.database}" WITH (FORCE)'))
        admin.dispose()


def test_without_pg_dump_the_error_says_what_to_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(BackupError) as caught:
        write_backup("postgresql+psycopg://ledger:s3cret@db.example:5433/ledger",
                     tmp_path / "x.pgdump")
    message = str(caught.value)
    assert "pg_dump --format=custom" in message and "--host=db.example" in message
    assert "s3cret" not in message
