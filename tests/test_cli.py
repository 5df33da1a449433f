"""The ``ledger`` command, run as a user runs it."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main


@pytest.fixture
def runner(instance_dir: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LEDGER_PATHS_INSTANCE", str(instance_dir))
    return CliRunner()


def test_upgrade_then_demo_load_twice(runner: CliRunner, instance_dir: Path) -> None:
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (instance_dir / "ledger.sqlite3").exists()
    first = runner.invoke(main, ["demo", "load"])
    assert first.exit_code == 0 and "created" in first.output
    second = runner.invoke(main, ["demo", "load"])
    assert second.exit_code == 0 and "no changes" in second.output
    checksum = runner.invoke(main, ["journal", "checksum"])
    assert checksum.exit_code == 0 and len(checksum.output.strip()) == 64
    balances = runner.invoke(main, ["journal", "balances", "--json"])
    assert balances.exit_code == 0 and json.loads(balances.output) == []


def test_catalogue_dry_run_changes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    from ledger.demo.load import read_demo_catalogue_text

    runner.invoke(main, ["db", "upgrade"])
    path = tmp_path / "cat.toml"
    path.write_text(read_demo_catalogue_text(), encoding="utf-8")
    dry = runner.invoke(main, ["catalogue", "load", "--dry-run", str(path)])
    assert dry.exit_code == 0 and "would be" in dry.output and "+ artwork venera" in dry.output
    real = runner.invoke(main, ["catalogue", "load", str(path)])
    assert "+ artwork venera" in real.output  # the dry run left nothing behind


def test_bad_catalogue_exits_1_naming_the_row(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["db", "upgrade"])
    path = tmp_path / "bad.toml"
    path.write_text(
        'format = 1\n[initiative]\nkey = "x"\nname = "X"\n[[artworks]]\nkey = "a"\ntitle = { en = "A" }\nartists = ["ghost"]\n'
    )
    result = runner.invoke(main, ["catalogue", "load", str(path)])
    assert result.exit_code == 1
    assert "artworks[0] (a).artists: unknown artist 'ghost'" in result.output


def test_bad_setting_exits_2_naming_it(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_REPORTS_TIMEZONE", "Nowhere/Land")
    result = runner.invoke(main, ["config"])
    assert result.exit_code == 2
    assert "reports.timezone" in result.output


def test_config_masks_the_secret(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_WEB_SECRET_KEY", "s" * 40)
    result = runner.invoke(main, ["config"])
    assert result.exit_code == 0 and "s" * 40 not in result.output and "***" in result.output


def test_labels_refuse_an_incomplete_language_unless_forced(
    runner: CliRunner, tmp_path: Path
) -> None:
    runner.invoke(main, ["db", "upgrade"])
    runner.invoke(main, ["demo", "load"])
    out = tmp_path / "labels-kk.pdf"
    refused = runner.invoke(main, ["labels", "--out", str(out), "--lang", "kk"])
    assert refused.exit_code == 1 and not out.exists()
    assert "missing: five-thousand-years (/a/dxbdcn): title: no kk text" in refused.output
    assert "fix them, or pass --force" in refused.output
    forced = runner.invoke(main, ["labels", "--out", str(out), "--lang", "kk", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "wrote 7 labels on 2 pages (a4-4, kk, 22 problem(s) printed anyway)" in forced.output
    assert out.read_bytes().startswith(b"%PDF")


def test_labels_for_a_complete_language_and_the_check_alone(
    runner: CliRunner, tmp_path: Path
) -> None:
    runner.invoke(main, ["db", "upgrade"])
    runner.invoke(main, ["demo", "load"])
    assert runner.invoke(main, ["labels", "--check", "--lang", "en"]).exit_code == 0
    assert runner.invoke(main, ["labels", "--check", "--lang", "kk"]).exit_code == 1
    out = tmp_path / "editions.pdf"
    result = runner.invoke(
        main, ["labels", "--out", str(out), "--lang", "ru", "--preset", "a4-8", "--per", "edition"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 50 labels on 7 pages (a4-8, ru)" in result.output
    assert runner.invoke(main, ["labels", "--lang", "en"]).exit_code == 2  # no --out


def test_export_writes_each_format(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["db", "upgrade"])
    runner.invoke(main, ["demo", "load"])
    for fmt in ("csv", "json", "beancount"):
        out = tmp_path / f"journal.{fmt}"
        result = runner.invoke(main, ["export", "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8").strip()
    assert 'option "operating_currency" "KZT"' in (tmp_path / "journal.beancount").read_text()
    assert runner.invoke(main, ["export", "--format", "csv"]).exit_code == 2  # no --out


def test_rates_add_import_and_a_converted_report(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["db", "upgrade"])
    runner.invoke(main, ["demo", "load"])
    added = runner.invoke(
        main,
        [
            "rates",
            "add",
            "--base",
            "BNB",
            "--quote",
            "KZT",
            "--rate",
            "250000.5",
            "--source",
            "nbk",
            "--at",
            "2024-03-01",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "added 1 BNB = 250000.5 KZT" in added.output
    path = tmp_path / "rates.csv"
    path.write_text("base,quote,rate,source,observed_at\nUSD,KZT,470,nbk,2024-03-01\n")
    imported = runner.invoke(main, ["rates", "import", str(path)])
    assert imported.exit_code == 0, imported.output
    assert "1 rates added" in imported.output
    bad = tmp_path / "bad.csv"
    bad.write_text("base,quote,rate,source,observed_at\nUSD,KZT,-1,nbk,2024-03-01\n")
    refused = runner.invoke(main, ["rates", "import", str(bad)])
    assert refused.exit_code == 1 and "line 2" in refused.output
    report = runner.invoke(main, ["report", "--convert", "KZT", "--format", "json"])
    assert report.exit_code == 0, report.output
    assert json.loads(report.output)["conversion"]["quote"] == "KZT"


def test_receipt_needs_one_of_code_and_person_and_refuses_an_unknown_code(
    runner: CliRunner, tmp_path: Path
) -> None:
    runner.invoke(main, ["db", "upgrade"])
    runner.invoke(main, ["demo", "load"])
    out = tmp_path / "r.pdf"
    assert runner.invoke(main, ["receipt", "--out", str(out)]).exit_code == 2
    both = ["receipt", "--code", "X", "--person", "p_1", "--out", str(out)]
    assert runner.invoke(main, both).exit_code == 2
    unknown = runner.invoke(main, ["receipt", "--code", "nope", "--out", str(out)])
    assert unknown.exit_code == 1 and "no gift matches" in unknown.output
    assert not out.exists()


def test_cli_changes_are_in_the_audit_log(runner: CliRunner, instance_dir: Path) -> None:
    import sqlite3

    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["demo", "load"]).exit_code == 0
    assert runner.invoke(main, ["demo", "load"]).exit_code == 0  # no change, no record
    added = runner.invoke(main, ["rates", "add", "--base", "BNB", "--quote", "KZT", "--rate",
                                 "300000", "--source", "test desk", "--at", "2026-11-20"])
    assert added.exit_code == 0, added.output
    assert runner.invoke(main, ["route"]).exit_code == 0
    with sqlite3.connect(instance_dir / "ledger.sqlite3") as conn:
        rows = conn.execute("SELECT via, action FROM audit_log ORDER BY id").fetchall()
    assert rows == [("cli", "catalogue.load"), ("cli", "rates.add"), ("cli", "routing.route")]
