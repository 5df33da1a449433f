"""What the console keeps between requests for an import: the uploaded file (staged by its
SHA-256 in ``<instance>/uploads``, never in the browser's cookie) and column mappings saved
under a new name (in the ``import_mapping`` table, so every host and every backup has them).

``run_import`` is the one way the console and the CLI commit a file: the all-or-nothing import,
then its entries into the reconciliation inbox (bank statement lines matched to the
disbursements they confirm), and one audit record.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.audit import Actor, record_change
from ledger.errors import NotFoundError
from ledger.imports.book import Preview, RowStatus, commit_import
from ledger.imports.mapping import SHIPPED, Mapping, MappingError, load_mapping, parse_mapping
from ledger.imports.parse import parse_file
from ledger.models import Asset, ImportMapping, ItemSource, JournalEntry
from ledger.reconcile.inbox import collect_items, match_statement_lines

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


# ------------------------------------------------------------------------ staged uploads


# An upload previewed but never committed or discarded (a closed tab) is removed this long
# after it was staged: a bank statement holds counterparties' names, which must not pile up.
STAGED_FOR_S = 24 * 3600


def stage_upload(directory: Path, data: bytes, *, now: float | None = None) -> str:
    """Keep ``data`` under its SHA-256 until it is committed; return the hash. Uploads staged
    more than ``STAGED_FOR_S`` ago are removed first."""
    sha256 = hashlib.sha256(data).hexdigest()
    directory.mkdir(parents=True, exist_ok=True)
    prune_staged(directory, now=now)
    path = directory / sha256
    if path.exists():
        os.utime(path)  # staged again: its day starts now
    else:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".upload-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    return sha256


def read_staged(directory: Path, sha256: str) -> bytes:
    """Return a staged upload's bytes. Raises NotFoundError (unknown, or not what it says)."""
    if not _SHA256.match(sha256):
        raise NotFoundError("no such upload")
    path = directory / sha256
    if not path.is_file():
        raise NotFoundError("the uploaded file is no longer here: upload it again")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise NotFoundError("the uploaded file changed on disk: upload it again")
    return data


def prune_staged(directory: Path, *, now: float | None = None) -> int:
    """Remove staged uploads (and half-written ones) older than ``STAGED_FOR_S``; return how
    many were removed."""
    cutoff = (time.time() if now is None else now) - STAGED_FOR_S
    removed = 0
    for path in directory.iterdir():
        is_staged = _SHA256.match(path.name) or path.name.startswith(".upload-")
        with contextlib.suppress(FileNotFoundError):  # another request removed it first
            if is_staged and path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed


def discard_staged(directory: Path, sha256: str) -> None:
    if _SHA256.match(sha256):
        (directory / sha256).unlink(missing_ok=True)


# ------------------------------------------------------------------------ saved mappings


def list_mapping_names(session: Session) -> list[str]:
    """The shipped mappings, then the saved ones by name."""
    saved = session.scalars(select(ImportMapping.name).order_by(ImportMapping.name))
    return [*SHIPPED, *saved]


def get_mapping_text(session: Session, name: str) -> str:
    """Return a mapping's TOML (shipped or saved). Raises MappingError when there is none."""
    if name in SHIPPED:
        from importlib import resources

        return (
            resources.files("ledger.imports")
            .joinpath("mappings", f"{name}.toml")
            .read_text(encoding="utf-8")
        )
    row = session.scalars(select(ImportMapping).where(ImportMapping.name == name)).one_or_none()
    if row is None:
        raise MappingError(f"no mapping {name!r}")
    return row.toml


def get_mapping(session: Session, name: str) -> Mapping:
    """Return a shipped or saved mapping by name. Raises MappingError."""
    if name in SHIPPED:
        return load_mapping(name)
    return parse_mapping(get_mapping_text(session, name), name)


def save_mapping(session: Session, text: str, actor: Actor) -> Mapping:
    """Save an edited mapping under the (new) name its TOML gives; audited.

    Raises MappingError when the TOML is not a valid mapping or the name is taken (a saved
    mapping is never overwritten: rows imported with it keep their keys).
    """
    mapping = parse_mapping(text, "the edited mapping")
    taken = mapping.name in SHIPPED or session.scalar(
        select(func.count()).where(ImportMapping.name == mapping.name)
    )
    if taken:
        raise MappingError(f"a mapping named {mapping.name!r} exists: give the copy a new name")
    session.add(ImportMapping(name=mapping.name, toml=text))
    session.flush()
    record_change(
        session,
        actor,
        "import.mapping_saved",
        "import_mapping",
        mapping.name,
        summary=f"saved column mapping {mapping.name} ({mapping.kind})",
        after={"name": mapping.name, "kind": mapping.kind, "columns": mapping.columns()},
    )
    return mapping


# ------------------------------------------------------------------------ committing


def run_import(
    session: Session,
    documents_dir: Path,
    data: bytes,
    filename: str,
    mapping: Mapping,
    actor: Actor,
    *,
    tz: ZoneInfo,
    encoding: str = "",
    delimiter: str = "",
    confirm_repeats: bool = False,
) -> Preview:
    """Import ``data`` all or nothing, put its entries in the inbox, and audit it.

    Raises what commit_import raises (ImportRejectedError, ImportFileError); nothing is
    written then.
    """
    last = session.scalar(select(func.coalesce(func.max(JournalEntry.id), 0))) or 0
    preview = commit_import(
        session,
        documents_dir,
        data,
        filename,
        mapping,
        tz=tz,
        encoding=encoding,
        delimiter=delimiter,
        confirm_repeats=confirm_repeats,
    )
    collect_items(session, after_entry_id=last, source=ItemSource.IMPORT)
    matched = 0
    if mapping.kind == "disbursement":
        decimals = dict(session.execute(select(Asset.code, Asset.decimals)).all())
        parsed = parse_file(
            data, mapping, decimals=decimals, tz=tz, encoding=encoding, delimiter=delimiter
        )
        lines = [
            (row.row, row.beneficiary or "", row.asset, row.reference or "", row.units)
            for row in parsed.rows
            if row.reference
        ]
        matched = match_statement_lines(session, lines, preview.sha256, actor=actor)
    counts = {status.value: preview.count(status) for status in RowStatus}
    record_change(
        session,
        actor,
        "import.commit",
        "document",
        preview.sha256,
        summary=f"imported with {mapping.name}: {preview.summary()}",
        after={"mapping": mapping.name, "rows": counts, "statement_lines_matched": matched},
    )
    return preview
