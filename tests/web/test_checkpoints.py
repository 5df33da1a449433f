"""Published checkpoints end to end: publish with the CLI, shown on /ledger, verified offline
from the public JSON export, and an inclusion proof on a donor's receipt."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from flask import Flask

from cli.main import main
from ledger.checkpoints import compute_leaf, verify_inclusion
from ledger.config import Settings
from tests.web.test_transparency import RECEIPT, add_sales


def test_publish_show_verify_and_prove(demo_app: Flask, settings: Settings, tmp_path: Path) -> None:
    add_sales(settings, tmp_path / "documents")
    runner = CliRunner()
    published = runner.invoke(main, ["checkpoint", "publish"], obj={"settings": settings})
    assert published.exit_code == 0, published.output
    root = re.search(r"root ([0-9a-f]{64})", published.output)
    assert root and "4 records" in published.output

    client = demo_app.test_client()
    assert root.group(1) in client.get("/ledger?lang=en").get_data(as_text=True)

    export = tmp_path / "entries.json"
    export.write_bytes(client.get("/ledger/entries.json").get_data())
    ok = runner.invoke(main, ["checkpoint", "verify", str(export)])
    assert ok.exit_code == 0 and ": ok" in ok.output, ok.output
    explicit = ["checkpoint", "verify", str(export), "--root", root.group(1), "--size", "4"]
    assert runner.invoke(main, explicit).exit_code == 0

    data = json.loads(export.read_text(encoding="utf-8"))
    data["entries"][0]["amount"] = "1"
    export.write_text(json.dumps(data), encoding="utf-8")
    bad = runner.invoke(main, ["checkpoint", "verify", str(export)])
    assert bad.exit_code == 1 and "MISMATCH" in bad.output

    body = client.post("/receipt?lang=en", data={"code": RECEIPT}).get_data(as_text=True)
    assert 'class="inclusion-proof"' in body and root.group(1) in body
    # The proof on the page verifies against the published root.
    original = json.loads(client.get("/ledger/entries.json").get_data(as_text=True))
    index = int(re.search(r"Record (\d+) of 4", body).group(1))  # type: ignore[union-attr]
    path = re.findall(r"<li><code>([0-9a-f]{64})</code></li>", body)
    leaf = compute_leaf(original["entries"][index])
    assert verify_inclusion(leaf, index, 4, path, root.group(1))
