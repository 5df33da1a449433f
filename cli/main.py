"""The ``ledger`` command: everything a user does from a shell.

A thin adapter: each command parses its options, calls one ``ledger`` function inside one
session, commits once, and prints. Ledger errors become a message and exit code 1; a bad
configuration exits with 2.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from cli.common import _handle_errors, _session, _settings
from cli.people import people as people_group
from cli.progress import ProgressPrinter
from cli.reconcile import entry as entry_group
from cli.reconcile import reconcile as reconcile_group
from cli.users import users as users_group
from ledger import migrate
from ledger.audit import Actor, record_change
from ledger.catalogue import load_catalogue, parse_catalogue
from ledger.chain.lock import hold_sync_lock
from ledger.chain.rpc import RpcClient
from ledger.chain.sync import Syncer, SyncReport
from ledger.chain.verify import verify_native_transfer
from ledger.chain.watchlist import get_watchlist
from ledger.config import Settings
from ledger.db import engine_from_settings, make_session_factory
from ledger.errors import LabelError
from ledger.journal import compute_journal_checksum, get_balances
from ledger.labels import DEFAULT_PRESET, PRESETS, LabelUnit, build_labels, check_labels
from ledger.models import ItemState
from ledger.reconcile.inbox import collect_items


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """The charity sale ledger: catalogue, journal, chain sync, routing and reports."""
    ctx.ensure_object(dict)


@main.group()
def db() -> None:
    """Create and migrate the database."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
@_handle_errors
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database to the newest schema (creating it if needed)."""
    settings = _settings(ctx)
    engine = engine_from_settings(settings, writer=True)
    try:
        migrate.upgrade(engine, revision)
        click.echo(f"database at revision {migrate.get_current_revision(engine)}")
    finally:
        engine.dispose()


@db.command("current")
@click.pass_context
@_handle_errors
def db_current(ctx: click.Context) -> None:
    """Print the database's schema revision and the newest one."""
    engine = engine_from_settings(_settings(ctx))
    try:
        click.echo(
            f"current {migrate.get_current_revision(engine)}, head {migrate.get_head_revision()}"
        )
    finally:
        engine.dispose()


@main.group()
def demo() -> None:
    """The Behind the Door demo data."""


@demo.command("load")
@click.pass_context
@_handle_errors
def demo_load(ctx: click.Context) -> None:
    """Load the demo catalogue; loading it again changes nothing."""
    from ledger.demo.load import load_demo

    with _session(ctx) as session:
        report = load_demo(session)
        if report.has_changes:
            record_change(session, Actor.cli(), "catalogue.load", "catalogue", "demo",
                          summary=f"demo catalogue: {report.summary()}")
    click.echo(f"demo catalogue: {report.summary()}")


@main.group()
def catalogue() -> None:
    """Load and check catalogue files (docs/catalogue-format.md)."""


@catalogue.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change and change nothing.")
@click.pass_context
@_handle_errors
def catalogue_load(ctx: click.Context, path: Path, dry_run: bool) -> None:
    """Create or update the catalogue from a catalogue file."""
    parsed = parse_catalogue(path.read_text(encoding="utf-8"), path.name)
    with _session(ctx, commit=not dry_run) as session:
        report = load_catalogue(session, parsed)
        if not dry_run and report.has_changes:
            record_change(session, Actor.cli(), "catalogue.load", "catalogue", path.name,
                          summary=report.summary(),
                          after={"created": report.created, "updated": report.updated})
    for line in report.created:
        click.echo(f"+ {line}")
    for line in report.updated:
        click.echo(f"~ {line}")
    click.echo(("would be " if dry_run else "") + report.summary())


@main.group()
def journal() -> None:
    """Inspect the journal."""


@journal.command("checksum")
@click.pass_context
@_handle_errors
def journal_checksum(ctx: click.Context) -> None:
    """Print a SHA-256 over every entry and posting (equal journals, equal checksums)."""
    with _session(ctx, commit=False, writer=False) as session:
        click.echo(compute_journal_checksum(session))


@journal.command("balances")
@click.option("--account", "account_prefix", default=None, help="Only this account and below.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (amounts as strings).")
@click.pass_context
@_handle_errors
def journal_balances(ctx: click.Context, account_prefix: str | None, as_json: bool) -> None:
    """Print every account's balance per asset, in the asset's smallest unit."""
    with _session(ctx, commit=False, writer=False) as session:
        balances = get_balances(session, account_prefix=account_prefix)
    rows = sorted(balances.items())
    if as_json:
        click.echo(json.dumps([{"account": a, "asset": c, "amount": str(v)} for (a, c), v in rows]))
        return
    for (account, code), amount in rows:
        click.echo(f"{account:60} {amount:>40} {code}")


def _print_sync_report(report: SyncReport) -> None:
    click.echo(
        f"head {report.head}, final {report.final}: booked to block {report.booked_to}, "
        f"fetched to {report.fetched_to}; {report.logs_stored} logs stored, "
        f"{report.entries_posted} entries posted, {report.pending_logs} logs pending finality"
    )
    for tip, ancestor in report.reorgs:
        click.echo(f"reorg: block {tip} replaced; common ancestor {ancestor}")
    if report.retracted_entries:
        click.echo(f"repair: {report.retracted_entries} entries retracted by reversing entries")
    if report.restored_editions:
        click.echo(
            f"repair: {report.restored_editions} editions set back to what the canonical "
            "chain left them"
        )


@contextmanager
def _syncer(ctx: click.Context, wait_s: float) -> Iterator[tuple[Syncer, ProgressPrinter]]:
    """Yield a Syncer holding the single-writer lock, and its progress printer."""
    settings = _settings(ctx)
    engine = engine_from_settings(settings, writer=True)
    client = RpcClient(settings.chain.rpc_urls, timeout_s=settings.chain.timeout_s)
    printer = ProgressPrinter()
    try:
        with hold_sync_lock(engine, wait_s=wait_s):
            yield (
                Syncer(make_session_factory(engine), client, settings.chain, on_progress=printer),
                printer,
            )
    finally:
        printer.close()
        client.close()
        engine.dispose()


@main.command("sync")
@click.option("--from-block", type=int, default=None, help="Read again from this block.")
@click.option("--to-block", type=int, default=None, help="Stop at this block.")
@click.option("--repair", is_flag=True, help="Retract entries of reorganised final blocks.")
@click.option("--wait", "wait_s", type=float, default=0.0, help="Seconds to wait for the lock.")
@click.option("--checksum", is_flag=True, help="Print the journal checksum at the end.")
@click.pass_context
@_handle_errors
def sync(
    ctx: click.Context,
    from_block: int | None,
    to_block: int | None,
    repair: bool,
    wait_s: float,
    checksum: bool,
) -> None:
    """Catch up with the chain: book every final block, keep newer ones pending, and stop."""
    with _syncer(ctx, wait_s) as (syncer, printer):
        report = syncer.sync(from_block=from_block, to_block=to_block, repair=repair)
        printer.close()
    _print_sync_report(report)
    _bring_into_inbox(ctx)
    if checksum:
        with _session(ctx, commit=False, writer=False) as session:
            click.echo(f"journal checksum {compute_journal_checksum(session)}")


def _bring_into_inbox(ctx: click.Context) -> None:
    """Put what the sync booked into the reconciliation inbox, after the sync's transactions
    (one pass over new entries, outside the sync's hot path; ``ledger reconcile collect`` and the
    console's inbox do the same)."""
    with _session(ctx) as session:
        new = collect_items(session)
        matched = sum(1 for item in new if item.state == ItemState.MATCHED)
    if new:
        click.echo(f"reconciliation inbox: {len(new)} new items, {matched} matched automatically")


@main.command("watch")
@click.option("--wait", "wait_s", type=float, default=0.0, help="Seconds to wait for the lock.")
@click.option("--interval", type=float, default=None, help="Seconds between polls.")
@click.pass_context
@_handle_errors
def watch(ctx: click.Context, wait_s: float, interval: float | None) -> None:
    """Follow the chain until interrupted (Ctrl-C), booking blocks as they become final."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    poll = interval if interval is not None else _settings(ctx).chain.poll_interval_s
    with _syncer(ctx, wait_s) as (syncer, printer):
        last: tuple[int, int] | None = None
        while not stop.is_set():
            report = syncer.sync()
            printer.close()
            if (report.booked_to, report.fetched_to) != last or report.reorgs:
                _print_sync_report(report)
                if last is None or report.booked_to != last[0] or report.reorgs:
                    _bring_into_inbox(ctx)
                last = (report.booked_to, report.fetched_to)
            stop.wait(poll)


@main.command("verify-tx")
@click.argument("tx_hash")
@click.pass_context
@_handle_errors
def verify_tx(ctx: click.Context, tx_hash: str) -> None:
    """Book a native BNB transfer to or from a known wallet (it emits no log)."""
    settings = _settings(ctx)
    client = RpcClient(settings.chain.rpc_urls, timeout_s=settings.chain.timeout_s)
    try:
        with _session(ctx) as session:
            watchlist = get_watchlist(session, settings.chain)
            result = verify_native_transfer(session, client, settings.chain, watchlist, tx_hash)
            record_change(session, Actor.cli(), "chain.verify-tx", "journal_entry",
                          result.entry_id, summary=f"booked {result.description}",
                          after={"tx_hash": tx_hash, "asset": result.asset,
                                 "amount": result.value, "block": result.block_number})
    finally:
        client.close()
    click.echo(
        f"booked: {result.description} ({result.value} in the smallest unit of {result.asset}), "
        f"block {result.block_number}, entry {result.entry_id}"
    )


@main.command("labels")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the PDF (required unless --check).",
)
@click.option(
    "--lang",
    default=None,
    help="One language per sheet: kk, ru or en (default: the configured default language).",
)
@click.option(
    "--preset",
    type=click.Choice(sorted(PRESETS)),
    default=DEFAULT_PRESET,
    show_default=True,
    help="a4-1: A4; a4-2: two A5; a4-4: four A6; a4-8: eight 99.1 x 67.7 mm labels per page.",
)
@click.option(
    "--per",
    "unit",
    type=click.Choice([u.value for u in LabelUnit]),
    default=LabelUnit.ARTWORK.value,
    show_default=True,
    help="One label per artwork, or one per NFT edition.",
)
@click.option("--code", "codes", multiple=True, help="Only this artwork (its /a/ code); repeat.")
@click.option("--check", is_flag=True, help="Only run the completeness check.")
@click.option("--force", is_flag=True, help="Print even though the completeness check failed.")
@click.pass_context
@_handle_errors
def labels(
    ctx: click.Context,
    out: Path | None,
    lang: str | None,
    preset: str,
    unit: str,
    codes: tuple[str, ...],
    check: bool,
    force: bool,
) -> None:
    """Write a print-ready PDF of exhibit labels with QR codes (docs/labels.md)."""
    from ledger.labels.pdf import write_labels_pdf

    settings = _settings(ctx)
    lang = lang or settings.i18n.default_language
    if lang not in settings.i18n.languages:
        raise click.BadParameter(
            f"choose one of {', '.join(settings.i18n.languages)}", param_hint="--lang"
        )
    if out is None and not check:
        raise click.UsageError("give --out FILE.pdf (or --check to only check)")
    chosen = PRESETS[preset]
    with _session(ctx, commit=False, writer=False) as session:
        problems = check_labels(session, lang, codes)
        for problem in problems:
            click.echo(f"missing: {problem}", err=True)
        if check:
            if problems:
                raise LabelError([f"{len(problems)} problem(s) on the {lang} labels"])
            click.echo(f"the {lang} labels are complete")
            return
        if problems and not force:
            raise LabelError(
                [f"{len(problems)} problem(s) on the {lang} labels: fix them, or pass --force"]
            )
        contents = build_labels(
            session,
            lang=lang,
            fallback=settings.i18n.fallback_order,
            public_base_url=settings.web.public_base_url,
            word_limit=chosen.word_limit,
            unit=LabelUnit(unit),
            codes=codes,
        )
    if not contents:
        raise LabelError(["no labels to print (no such artwork, or no editions)"])
    assert out is not None
    pages = write_labels_pdf(contents, chosen, out, title=f"Exhibit labels ({lang})")
    forced = f", {len(problems)} problem(s) printed anyway" if problems else ""
    click.echo(f"wrote {len(contents)} labels on {pages} pages ({preset}, {lang}{forced}) to {out}")


def _decimals(session: Session) -> dict[str, int]:
    from sqlalchemy import select

    from ledger.models import Asset

    return {code: d for code, d in session.execute(select(Asset.code, Asset.decimals))}


def _local_date(value: str | None, settings: Settings, option: str) -> datetime | None:
    """Midnight of a YYYY-MM-DD date in the configured time zone (None for None)."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use YYYY-MM-DD", param_hint=option) from exc
    return datetime.combine(day, time(0), settings.tz)


@main.command("route")
@click.pass_context
@_handle_errors
def route(ctx: click.Context) -> None:
    """Route every received amount not routed yet (the sync does this as it books)."""
    from ledger.routing.disburse import record_chain_disbursements
    from ledger.routing.route import route_pending

    with _session(ctx) as session:
        report = route_pending(session)
        matched = record_chain_disbursements(session)
        record_change(session, Actor.cli(), "routing.route", "routing_record",
                      summary=f"{report.summary()}; {matched} chain payouts matched")
    click.echo(f"{report.summary()}; {matched} chain payouts matched")


@main.command("disburse")
@click.option("--beneficiary", required=True, help="The beneficiary's key.")
@click.option("--asset", required=True, help="Asset code, e.g. KZT.")
@click.option("--amount", "units", required=True, type=int, help="In the smallest unit.")
@click.option("--reference", required=True, help="The bank transfer's reference.")
@click.option(
    "--document",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The bank statement or payment order (stored with its SHA-256).",
)
@click.option("--date", "paid_on", required=True, help="YYYY-MM-DD, in the configured zone.")
@click.option("--allow-overpay", is_flag=True, help="Record it although it exceeds what is owed.")
@click.pass_context
@_handle_errors
def disburse(
    ctx: click.Context,
    beneficiary: str,
    asset: str,
    units: int,
    reference: str,
    document: Path,
    paid_on: str,
    allow_overpay: bool,
) -> None:
    """Record a bank payout to a beneficiary: payable to disbursed, with its document."""
    from ledger.days import instant_of_day
    from ledger.manual import record_bank_payout
    from ledger.routing.disburse import BankPayout

    settings = _settings(ctx)
    try:
        paid_at = instant_of_day(date.fromisoformat(paid_on), settings.tz)
    except ValueError as exc:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from exc
    payout = BankPayout(
        beneficiary_key=beneficiary,
        asset=asset,
        amount=units,
        bank_reference=reference,
        paid_at=paid_at,
        document=document.read_bytes(),
        document_name=document.name,
    )
    with _session(ctx) as session:
        done = record_bank_payout(
            session, settings.documents_dir, payout, Actor.cli(), allow_overpay=allow_overpay
        )
    click.echo(f"disbursement {done.id}: entry {done.entry_id}, document {done.document_sha256}")


@main.command("check")
@click.option("--chain", "with_chain", is_flag=True, help="Also compare wallets with the chain.")
@click.pass_context
@_handle_errors
def check(ctx: click.Context, with_chain: bool) -> None:
    """List open discrepancies; exit 1 when there is any (for a scheduler to alert on)."""
    from ledger.reconcile.checks import (
        compute_discrepancies,
        fetch_wallet_divergences,
        sort_discrepancies,
    )

    settings = _settings(ctx)
    with _session(ctx, commit=False, writer=False) as session:
        found = compute_discrepancies(
            session,
            now=datetime.now(UTC),
            unpaid_after_days=settings.reconcile.unpaid_after_days,
        )
        if with_chain:
            client = RpcClient(settings.chain.rpc_urls, timeout_s=settings.chain.timeout_s)
            try:
                head = client.fetch_block_header("latest")
                at_block = max((head.number if head else 0) - settings.chain.confirmations, 0)
                found += fetch_wallet_divergences(
                    session, client, settings.chain.chain_id, at_block=at_block
                )
            finally:
                client.close()
    for item in sort_discrepancies(found):
        click.echo(str(item))
    if found:
        click.echo(f"{len(found)} open discrepancies", err=True)
        sys.exit(1)
    click.echo("no open discrepancies")


@main.command("report")
@click.option(
    "--by",
    "dimension",
    type=click.Choice(["total", "artwork", "artist", "beneficiary", "channel"]),
    default="total",
    show_default=True,
)
@click.option("--from", "start", default=None, help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "end", default=None, help="Last day (YYYY-MM-DD), inclusive.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--lang", default=None, help="Language of titles and names (kk, ru, en).")
@click.option(
    "--convert",
    "quote",
    type=click.Choice(["KZT", "USD"]),
    default=None,
    help="Convert each entry at the latest rate at or before its date (ledger rates).",
)
@click.pass_context
@_handle_errors
def report(
    ctx: click.Context,
    dimension: str,
    start: str | None,
    end: str | None,
    fmt: str,
    out: Path | None,
    lang: str | None,
    quote: str | None,
) -> None:
    """Print pledged, received, routed, disbursed and outstanding per asset."""
    from datetime import timedelta

    from ledger.rates import get_rate_book
    from ledger.reports.convert import Conversion, build_converted_report
    from ledger.reports.render import render_csv, render_json, render_text
    from ledger.reports.tables import Dimension, build_report

    settings = _settings(ctx)
    end_at = _local_date(end, settings, "--to")
    start_at = _local_date(start, settings, "--from")
    end_before = end_at + timedelta(days=1) if end_at else None
    language = lang or settings.i18n.default_language
    conversion: Conversion | None = None
    with _session(ctx, commit=False, writer=False) as session:
        decimals = _decimals(session)
        if quote is None:
            built = build_report(
                session,
                Dimension(dimension),
                start=start_at,
                end=end_before,
                lang=language,
                fallback=settings.i18n.fallback_order,
            )
        else:
            built, conversion = build_converted_report(
                session,
                Dimension(dimension),
                get_rate_book(session, quote),
                decimals,
                start=start_at,
                end=end_before,
                lang=language,
                fallback=settings.i18n.fallback_order,
            )
    render = {"text": render_text, "json": render_json, "csv": render_csv}[fmt]
    text = render(built, decimals, settings.tz, conversion)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(built.rows)} rows to {out}")


@main.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "beancount"]),
    default="csv",
    show_default=True,
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
@_handle_errors
def export(ctx: click.Context, fmt: str, out: Path) -> None:
    """Write the whole journal, exactly and without personal data (docs/exports.md)."""
    from ledger.exports import get_export_data, render_beancount, render_csv, render_json

    settings = _settings(ctx)
    with _session(ctx, commit=False, writer=False) as session:
        data = get_export_data(
            session,
            tz=settings.tz,
            explorer_tx_url=settings.chain.explorer_tx_url,
            operating_currency=settings.exports.operating_currency,
            generated_at=datetime.now(UTC),
        )
    render = {"csv": render_csv, "json": render_json, "beancount": render_beancount}[fmt]
    out.write_text(render(data), encoding="utf-8")
    click.echo(f"wrote {len(data.entries)} entries ({fmt}) to {out}")


@main.command("backup")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write it (default: <instance>/backups/ledger-<UTC time>.sqlite3 or .pgdump).",
)
@click.pass_context
@_handle_errors
def backup(ctx: click.Context, out: Path | None) -> None:
    """Write a consistent backup of the database (docs/backup.md); recorded in the audit log."""
    from ledger.audit import Actor, record_change
    from ledger.backup import write_backup, write_instance_backup

    settings = _settings(ctx)
    if out is None:
        written = write_instance_backup(
            settings.database_url, settings.instance_dir, datetime.now(UTC)
        )
    else:
        written = write_backup(settings.database_url, out)
    with _session(ctx) as session:
        record_change(
            session,
            Actor.cli(),
            "backup.create",
            "backup",
            written.name,
            summary=f"backup written ({written.size} bytes)",
            after={"file": written.name, "bytes": written.size},
        )
    click.echo(f"wrote backup {written.path} ({written.size} bytes)")


@main.command("receipt")
@click.option("--code", "receipt_code", default=None, help="The gift's receipt code.")
@click.option("--person", "person_ref", default=None, help="A person's reference (p_...).")
@click.option("--from", "start", default=None, help="With --person: first day (YYYY-MM-DD).")
@click.option("--to", "end", default=None, help="With --person: last day (YYYY-MM-DD).")
@click.option("--lang", type=click.Choice(["kk", "ru", "en"]), default=None)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
@_handle_errors
def receipt(
    ctx: click.Context,
    receipt_code: str | None,
    person_ref: str | None,
    start: str | None,
    end: str | None,
    lang: str | None,
    out: Path,
) -> None:
    """Write a donor's receipt: artwork, amount, date and where the proceeds went (PDF)."""
    from datetime import timedelta

    from ledger.receipts import build_receipts, write_receipts_pdf

    if (receipt_code is None) == (person_ref is None):
        raise click.UsageError("name exactly one of --code and --person")
    if receipt_code is not None and (start or end):
        raise click.UsageError("--from and --to go with --person")
    settings = _settings(ctx)
    language = lang or settings.i18n.default_language
    end_at = _local_date(end, settings, "--to")
    with _session(ctx, commit=False, writer=False) as session:
        receipts = build_receipts(
            session,
            tz=settings.tz,
            lang=language,
            fallback=settings.i18n.fallback_order,
            receipt_code=receipt_code,
            person_ref=person_ref,
            start=_local_date(start, settings, "--from"),
            end=end_at + timedelta(days=1) if end_at else None,
        )
    pages = write_receipts_pdf(receipts, out, lang=language)
    click.echo(f"wrote {pages} receipt(s) ({language}) to {out}")


@main.group()
def rates() -> None:
    """Exchange rates into KZT or USD, for converted reports (docs/exports.md)."""


@rates.command("add")
@click.option("--base", required=True, help="The asset priced, e.g. BNB.")
@click.option("--quote", required=True, type=click.Choice(["KZT", "USD"]))
@click.option("--rate", "rate_text", required=True, help="1 base in quote: 470.25 or 1/470.25.")
@click.option("--source", required=True, help="Where the rate comes from.")
@click.option("--at", "at_text", required=True, help="YYYY-MM-DD (local midnight) or ISO time.")
@click.pass_context
@_handle_errors
def rates_add(
    ctx: click.Context, base: str, quote: str, rate_text: str, source: str, at_text: str
) -> None:
    """Record one rate, in force from its time until a later one."""
    from ledger.rates import add_rate, parse_instant

    settings = _settings(ctx)
    with _session(ctx) as session:
        row, is_new = add_rate(
            session,
            base=base,
            quote=quote,
            rate=rate_text,
            source=source,
            observed_at=parse_instant(at_text, settings.tz),
        )
        shown = f"1 {base} = {row.rate} {quote} from {row.observed_at.isoformat()}"
        if is_new:
            record_change(session, Actor.cli(), "rates.add", "exchange_rate", row.id,
                          summary=shown, after={"source": source})
    click.echo(("added " if is_new else "already recorded: ") + shown)


@rates.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@_handle_errors
def rates_import(ctx: click.Context, path: Path) -> None:
    """Record every rate of a CSV (base, quote, rate, source, observed_at); all or nothing."""
    from ledger.rates import import_rates_csv

    settings = _settings(ctx)
    with _session(ctx) as session:
        done = import_rates_csv(session, path.read_text(encoding="utf-8"), settings.tz)
        if done.added:
            record_change(session, Actor.cli(), "rates.import", "exchange_rate", path.name,
                          summary=f"{done.added} rates added from {path.name}")
    click.echo(f"{done.added} rates added, {done.already_known} already recorded")


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "mapping_name",
    required=True,
    help="binance-nft, physical-sales, bank-disbursements, or a mapping TOML file.",
)
@click.option("--commit", "do_commit", is_flag=True, help="Import (all or nothing).")
@click.option("--confirm-repeats", is_flag=True, help="Rows repeated in the file are real.")
@click.option("--encoding", default="", help="The file's encoding, when it cannot be told.")
@click.option(
    "--delimiter", type=click.Choice(["", ",", ";", "tab"]), default="", help="The separator."
)
@click.pass_context
@_handle_errors
def import_file(
    ctx: click.Context,
    path: Path,
    mapping_name: str,
    do_commit: bool,
    confirm_repeats: bool,
    encoding: str,
    delimiter: str,
) -> None:
    """Preview a CSV import (what is new, duplicate, repeated, ignored, wrong); --commit it."""
    from ledger.imports.book import ImportRejectedError, preview_import
    from ledger.imports.mapping import load_mapping
    from ledger.imports.saved import run_import

    settings = _settings(ctx)
    mapping = load_mapping(mapping_name)
    data = path.read_bytes()
    sep = "\t" if delimiter == "tab" else delimiter
    options = {"tz": settings.tz, "encoding": encoding, "delimiter": sep}
    with _session(ctx, commit=do_commit) as session:
        try:
            if do_commit:
                preview = run_import(
                    session,
                    settings.documents_dir,
                    data,
                    path.name,
                    mapping,
                    Actor.cli(),
                    confirm_repeats=confirm_repeats,
                    **options,  # type: ignore[arg-type]
                )
            else:
                preview = preview_import(
                    session,
                    data,
                    mapping,
                    confirm_repeats=confirm_repeats,
                    **options,  # type: ignore[arg-type]
                )
        except ImportRejectedError as exc:
            for problem in exc.problems:
                click.echo(problem, err=True)
            raise ImportRejectedError(
                [f"{len(exc.problems)} problem(s): nothing was imported"]
            ) from exc
    for line in preview.lines:
        click.echo(
            f"row {line.row:>6} {line.status.value:9} {line.key} {line.description}"
            + (f" - {line.reason}" if line.reason else "")
        )
    click.echo(("imported: " if do_commit else "preview: ") + preview.summary())
    if preview.errors and not do_commit:
        sys.exit(1)


@main.command("config")
@click.pass_context
@_handle_errors
def show_config(ctx: click.Context) -> None:
    """Validate the configuration and print it (secrets masked)."""
    data: dict[str, Any] = _settings(ctx).model_dump(mode="json")
    if data["web"].get("secret_key"):
        data["web"]["secret_key"] = "***"  # noqa: S105 - the mask, not a secret
    # RPC URLs often carry an API key in their path or query: show the host only.
    data["chain"]["rpc_urls"] = [
        url if url.startswith(("http://127.", "http://localhost")) else _host_only(url)
        for url in data["chain"]["rpc_urls"]
    ]
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _host_only(url: str) -> str:
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/***"


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")))
@click.pass_context
@_handle_errors
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the web app on one machine (werkzeug's server; no access log, no IP written)."""
    from web import create_app
    from web.serving import serve as serve_privately

    # Belt and braces: the private handler writes no access log, and info lines stay off too.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(settings=_settings(ctx))
    click.echo(f"serving on http://{host}:{port}")
    serve_privately(app, host, port)


@main.group()
def checkpoint() -> None:
    """Publish and verify Merkle roots over the public ledger (docs/checkpoints.md)."""


@checkpoint.command("publish")
@click.pass_context
@_handle_errors
def checkpoint_publish(ctx: click.Context) -> None:
    """Store the root over every public record now, with the date; print it."""
    from ledger.checkpoints import publish_checkpoint
    from ledger.reports.public import build_public_ledger

    with _session(ctx) as session:
        ledger = build_public_ledger(session)
        published = publish_checkpoint(session, ledger, datetime.now(UTC))
        record_change(session, Actor.cli(), "checkpoint.publish", "checkpoint", published.id,
                      after={"tree_size": published.tree_size, "root": published.root})
        click.echo(
            f"checkpoint {published.id}: {published.tree_size} records, root {published.root}, "
            f"{published.published_at.isoformat()}"
        )


@checkpoint.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--root", default=None, help="Also require this root (hex), e.g. from the page.")
@click.option("--size", type=int, default=None, help="The number of records --root covers.")
@_handle_errors
def checkpoint_verify(path: Path, root: str | None, size: int | None) -> None:
    """Recompute, offline, the roots of a public JSON export (/ledger/entries.json).

    Exits 1 when any root listed in the file (or given with --root) does not match.
    """
    from ledger.checkpoints import CheckpointError, verify_export

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from exc
    if root is not None:
        entries = data.get("entries") if isinstance(data, dict) else None
        count = size if size is not None else len(entries or [])
        data = {"entries": entries, "checkpoints": [{"tree_size": count, "root": root}]}
    results = verify_export(data)
    if not results:
        raise CheckpointError("the export lists no checkpoint; pass --root and --size")
    for result in results:
        verdict = "ok" if result.is_match else f"MISMATCH (computed {result.computed})"
        click.echo(f"{result.tree_size} records, root {result.root}: {verdict}")
    if not all(r.is_match for r in results):
        raise CheckpointError("a root does not match the records")


main.add_command(users_group)
main.add_command(entry_group)
main.add_command(reconcile_group)
main.add_command(people_group)
