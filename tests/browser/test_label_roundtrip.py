"""From paper to page: print the demo's labels, read the QR codes back off the rendered PDF with
a real decoder, open every URL against a live server, and find the right artwork there."""

from __future__ import annotations

import re
import subprocess
import urllib.request
from html import unescape
from pathlib import Path

import pytest

from ledger.catalogue.scans import get_scan_counts
from ledger.db import engine_from_settings, make_session_factory
from ledger.labels import PRESETS, build_labels, check_labels
from ledger.labels.pdf import write_labels_pdf
from tests.browser.conftest import LiveServer, require_tool

H1 = re.compile(r"<h1>(.*?)</h1>", re.S)


def _print_and_scan(live: LiveServer, preset: str, out_dir: Path) -> dict[str, str]:
    """Print the English labels, decode every QR code; return {decoded URL: expected title}."""
    pdftoppm, zbarimg = require_tool("pdftoppm"), require_tool("zbarimg")
    engine = engine_from_settings(live.settings)
    with make_session_factory(engine)() as session:
        assert check_labels(session, "en") == []
        labels = build_labels(
            session,
            lang="en",
            fallback=live.settings.i18n.fallback_order,
            public_base_url=live.url,
            word_limit=PRESETS[preset].word_limit,
        )
    engine.dispose()
    pdf = out_dir / "labels.pdf"
    write_labels_pdf(labels, PRESETS[preset], pdf, title="Exhibit labels (en)")
    subprocess.run([pdftoppm, "-r", "150", "-png", str(pdf), str(out_dir / "page")], check=True)
    decoded: list[str] = []
    for page in sorted(out_dir.glob("page*.png")):
        result = subprocess.run(
            [zbarimg, "--raw", "-q", str(page)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"no QR code found on {page.name}"
        decoded += result.stdout.split()
    expected = {label.url: label.title for label in labels}
    assert sorted(decoded) == sorted(expected)  # every label's code, each exactly once
    return expected


@pytest.mark.parametrize("preset", ["a4-8", "a4-4"])
def test_every_printed_code_opens_its_artwork(
    live_server: LiveServer, tmp_path: Path, preset: str
) -> None:
    expected = _print_and_scan(live_server, preset, tmp_path)
    for url, title in expected.items():
        assert url.startswith(f"{live_server.url}/a/")
        request = urllib.request.Request(url, headers={"Accept-Language": "en"})
        with urllib.request.urlopen(request, timeout=10) as response:  # follows the redirect
            assert response.url.startswith(f"{live_server.url}/artworks/")
            html = response.read().decode()
        assert [unescape(h) for h in H1.findall(html)] == [title]


@pytest.mark.browser
def test_every_printed_code_opens_its_artwork_in_chromium(
    live_server: LiveServer, tmp_path: Path
) -> None:
    chromium = require_tool("chromium")
    expected = _print_and_scan(live_server, "a4-8", tmp_path)
    for url, title in expected.items():
        result = subprocess.run(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",  # tests run as root in CI
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--accept-lang=en",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert [unescape(h) for h in H1.findall(result.stdout)] == [title], url
    engine = engine_from_settings(live_server.settings)
    with make_session_factory(engine)() as session:
        for url in expected:
            code = url.rsplit("/", 1)[1]
            assert sum(get_scan_counts(session, code).values()) == 1, code
    engine.dispose()
