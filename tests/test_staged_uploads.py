"""Uploads staged for a console import preview are not kept for ever: a day after they were
staged (and never committed or discarded) the next upload removes them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ledger.errors import NotFoundError
from ledger.imports.saved import STAGED_FOR_S, read_staged, stage_upload


def test_an_abandoned_upload_is_removed_a_day_later(tmp_path: Path) -> None:
    old = stage_upload(tmp_path, b"date;amount\n2024-03-01;100\n")
    (tmp_path / ".upload-halfwritten").write_bytes(b"x")
    day_ago = time.time() - STAGED_FOR_S - 60
    for name in (old, ".upload-halfwritten"):
        os.utime(tmp_path / name, (day_ago, day_ago))
    (tmp_path / "not-ours.txt").write_bytes(b"kept")
    os.utime(tmp_path / "not-ours.txt", (day_ago, day_ago))
    recent = stage_upload(tmp_path, b"date;amount\n2024-03-02;200\n")
    assert read_staged(tmp_path, recent)
    with pytest.raises(NotFoundError, match="upload it again"):
        read_staged(tmp_path, old)
    assert not (tmp_path / ".upload-halfwritten").exists()
    assert (tmp_path / "not-ours.txt").exists()


def test_staging_the_same_file_again_starts_its_day_again(tmp_path: Path) -> None:
    data = b"date;amount\n2024-03-01;100\n"
    sha256 = stage_upload(tmp_path, data)
    day_ago = time.time() - STAGED_FOR_S - 60
    os.utime(tmp_path / sha256, (day_ago, day_ago))
    assert stage_upload(tmp_path, data) == sha256
    assert read_staged(tmp_path, sha256) == data
