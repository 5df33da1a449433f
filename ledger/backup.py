"""Consistent backups of the ledger's database, and the list of those written.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
while the web app and the sync keep running (WAL contents included). PostgreSQL: ``pg_dump
--format=custom``, when it is on PATH; otherwise :class:`BackupError` says what to run. Backups
go to ``<instance>/backups`` under a timestamped name. See docs/backup.md.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from ledger.errors import LedgerError, NotFoundError

SQLITE_SUFFIX = ".sqlite3"
PG_SUFFIX = ".pgdump"
# ledger-YYYYMMDDTHHMMSSZ[-n].sqlite3 or .pgdump: the only names listed or served.
BACKUP_NAME = re.compile(r"^ledger-\d{8}T\d{6}Z(-\d+)?\.(sqlite3|pgdump)$")
PG_DUMP_TIMEOUT_S = 3600


class BackupError(LedgerError):
    """A backup could not be written (says why, and for PostgreSQL what to run instead)."""


@dataclass(frozen=True)
class BackupFile:
    name: str
    path: Path
    size: int
    modified_at: datetime  # UTC


def get_backup_dir(instance_dir: Path) -> Path:
    return instance_dir / "backups"


def compute_backup_name(now: datetime, backend: str, taken: set[str] | None = None) -> str:
    """``ledger-20260308T101500Z.sqlite3`` (``.pgdump``), with ``-2`` etc. if that is taken."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = SQLITE_SUFFIX if backend == "sqlite" else PG_SUFFIX
    name, n = f"ledger-{stamp}{suffix}", 1
    while taken and name in taken:
        n += 1
        name = f"ledger-{stamp}-{n}{suffix}"
    return name


def pg_environment(url: URL) -> dict[str, str]:
    """libpq variables for ``url`` (the password in PGPASSWORD, never on a command line)."""
    env = {"PGDATABASE": url.database or ""}
    if url.host:
        env["PGHOST"] = url.host
    if url.port:
        env["PGPORT"] = str(url.port)
    if url.username:
        env["PGUSER"] = url.username
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def pg_dump_command(out: Path) -> list[str]:
    """The pg_dump command line (connection details come from the environment)."""
    return ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={out}"]


def _backup_sqlite(database: str, out: Path) -> None:
    if not database or database == ":memory:" or not Path(database).exists():
        raise BackupError(f"no SQLite database file at {database!r}")
    # The backup API only reads the source, page by page, and restarts when a writer changes
    # it meanwhile: the copy is one consistent snapshot.
    source = sqlite3.connect(Path(database), timeout=30)
    target = sqlite3.connect(out)
    try:
        source.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite backup failed: {exc}") from exc
    finally:
        target.close()
        source.close()


def _backup_postgres(url: URL, out: Path) -> None:
    if shutil.which("pg_dump") is None:
        shown = url.render_as_string(hide_password=True)
        raise BackupError(
            "pg_dump is not on PATH: install the PostgreSQL client (e.g. apt-get install "
            f"postgresql-client) or run, for {shown}: "
            f"PGPASSWORD=... pg_dump --format=custom --no-owner --no-privileges "
            f"--host={url.host or 'localhost'} --port={url.port or 5432} "
            f"--username={url.username or 'postgres'} --file={out} {url.database}"
        )
    try:
        subprocess.run(  # noqa: S603 - a fixed program, arguments built here
            pg_dump_command(out),
            env={**os.environ, **pg_environment(url)},
            check=True,
            capture_output=True,
            text=True,
            timeout=PG_DUMP_TIMEOUT_S,
        )
    except subprocess.CalledProcessError as exc:
        out.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {exc.stderr.strip() or exc.returncode}") from exc
    except subprocess.TimeoutExpired as exc:
        out.unlink(missing_ok=True)
        raise BackupError(f"pg_dump took longer than {PG_DUMP_TIMEOUT_S} s") from exc


def write_backup(database_url: str, out: Path) -> BackupFile:
    """Write a consistent backup of the database at ``database_url`` to ``out``.

    Raises BackupError when ``out`` exists, the database is not SQLite or PostgreSQL, or the
    copy fails (for PostgreSQL without pg_dump, the message says what to run).
    """
    url = make_url(database_url)
    if out.exists():
        raise BackupError(f"{out} exists already: a backup never overwrites a file")
    out.parent.mkdir(parents=True, exist_ok=True)
    backend = url.get_backend_name()
    if backend == "sqlite":
        _backup_sqlite(url.database or "", out)
    elif backend == "postgresql":
        _backup_postgres(url, out)
    else:
        raise BackupError(f"no backup procedure for {backend} databases")
    out.chmod(0o600)  # the backup holds everything, personal data included
    stat = out.stat()
    return BackupFile(out.name, out, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))


def write_instance_backup(database_url: str, instance_dir: Path, now: datetime) -> BackupFile:
    """Write a backup under ``<instance>/backups`` with a timestamped name."""
    folder = get_backup_dir(instance_dir)
    taken = {f.name for f in list_backups(folder)}
    name = compute_backup_name(now, make_url(database_url).get_backend_name(), taken)
    return write_backup(database_url, folder / name)


def list_backups(folder: Path) -> list[BackupFile]:
    """The backups in ``folder``, newest first (only files named as backups are)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if BACKUP_NAME.match(path.name) and path.is_file():
            stat = path.stat()
            found.append(
                BackupFile(
                    path.name, path, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)
                )
            )
    return sorted(found, key=lambda f: (f.modified_at, f.name), reverse=True)


def get_backup(folder: Path, name: str) -> BackupFile:
    """The backup called ``name`` in ``folder``. Raises NotFoundError (also for any other name)."""
    if not BACKUP_NAME.match(name):
        raise NotFoundError(f"no backup {name!r}")
    for backup in list_backups(folder):
        if backup.name == name:
            return backup
    raise NotFoundError(f"no backup {name!r}")
