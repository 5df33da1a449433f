"""``ledger entry`` (manual entries) and ``ledger reconcile`` (the inbox) from a shell; every
change is audited as the user running the command."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import select

from cli.common import _handle_errors, _session, _settings
from ledger.audit import Actor, record_change
from ledger.days import instant_of_day
from ledger.imports.parse import parse_decimal, to_units
from ledger.manual import ManualEntry, ManualKind, record_manual_entry
from ledger.models import Asset, FailReason, ItemSource, ItemState
from ledger.reconcile.inbox import (
    Action,
    ItemFilter,
    apply_bulk,
    collect_items,
    compute_legs,
    compute_suggestions,
    get_item,
    list_items,
    match_item,
)


@click.group("entry")
def entry() -> None:
    """Manual entries: a cash sale, a pledge, a pledge paid."""


@entry.command("add")
@click.argument("kind", type=click.Choice([k.value for k in ManualKind]))
@click.option("--reference", required=True, help="The receipt or pledge number (the key).")
@click.option("--asset", required=True, help="Asset code, e.g. KZT.")
@click.option("--amount", required=True, help="Decimal amount, e.g. 150000 or 150 000,50.")
@click.option("--date", "on", required=True, help="YYYY-MM-DD, in the configured zone.")
@click.option("--artwork", default=None, help="Artwork key or public code.")
@click.option("--channel", default="Exhibition", show_default=True)
@click.option("--buyer", default=None, help="An opaque person reference (never a name).")
@click.option("--pledge", "pledge_reference", default=None, help="The pledge a payment settles.")
@click.option("--bank", "paid_to_bank", is_flag=True, help="A pledge paid to the bank account.")
@click.option(
    "--document",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Evidence (PDF, PNG or JPEG), stored with its SHA-256.",
)
@click.pass_context
@_handle_errors
def entry_add(
    ctx: click.Context,
    kind: str,
    reference: str,
    asset: str,
    amount: str,
    on: str,
    artwork: str | None,
    channel: str,
    buyer: str | None,
    pledge_reference: str | None,
    paid_to_bank: bool,
    document: Path | None,
) -> None:
    """Record a cash sale, a pledge or a pledge paid (idempotent by kind and reference)."""
    from ledger.uploads import check_document_upload

    settings = _settings(ctx)
    try:
        day = datetime.strptime(on, "%Y-%m-%d").date()
        value = parse_decimal(amount)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    data = document.read_bytes() if document else b""
    if data:
        check_document_upload(data)
    with _session(ctx) as session:
        decimals = session.scalar(select(Asset.decimals).where(Asset.code == asset))
        if decimals is None:
            raise click.BadParameter(f"no asset {asset!r}", param_hint="--asset")
        try:
            units = to_units(value, decimals)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--amount") from exc
        posted = record_manual_entry(
            session,
            settings.documents_dir,
            ManualEntry(
                kind=ManualKind(kind),
                reference=reference,
                asset=asset,
                amount=units,
                at=instant_of_day(day, settings.tz),
                artwork=artwork,
                channel=channel,
                buyer=buyer,
                pledge_reference=pledge_reference,
                paid_to_bank=paid_to_bank,
                document=data,
                document_name=document.name if document else "",
            ),
            Actor.cli(),
        )
        click.echo(f"entry {posted.id}: {posted.description}")


@click.group("reconcile")
def reconcile() -> None:
    """The reconciliation inbox: list, collect, match, undo, ignore, hold, fail."""


@reconcile.command("collect")
@click.pass_context
@_handle_errors
def reconcile_collect(ctx: click.Context) -> None:
    """Bring every entry from a source into the inbox (matching the unambiguous)."""
    with _session(ctx) as session:
        new = collect_items(session)
        record_change(
            session,
            Actor.cli(),
            "reconcile.collect",
            "reconcile_item",
            summary=f"brought {len(new)} entries into the inbox",
        )
        matched = sum(1 for item in new if item.state == ItemState.MATCHED)
    click.echo(f"{len(new)} new items, {matched} matched automatically")


@reconcile.command("list")
@click.option("--state", type=click.Choice([s.value for s in ItemState]), default=None)
@click.option("--source", type=click.Choice([s.value for s in ItemSource]), default=None)
@click.option("--suggest", is_flag=True, help="Show each item's ranked suggestions.")
@click.pass_context
@_handle_errors
def reconcile_list(
    ctx: click.Context, state: str | None, source: str | None, suggest: bool
) -> None:
    """List inbox items (id, date, source, state, what was matched or why it failed)."""
    filters = ItemFilter(
        state=ItemState(state) if state else None,
        source=ItemSource(source) if source else None,
    )
    with _session(ctx, commit=False, writer=False) as session:
        for item, journal_entry in list_items(session, filters, limit=10_000):
            detail = (
                f"{item.match_kind.value}:{item.match_ref}"
                if item.match_kind
                else (item.reason.value if item.reason else "")
            )
            legs = ", ".join(f"{a} {u} {c}" for a, c, u in compute_legs(journal_entry))
            click.echo(
                f"{item.id}\t{journal_entry.effective_at:%Y-%m-%d}\t{item.source.value}\t"
                f"{item.state.value}\t{detail}\t{legs}"
            )
            if suggest and item.state != ItemState.MATCHED:
                for c in compute_suggestions(session, item):
                    click.echo(f"\t-> {c.ref}\t{'exact' if c.is_exact else ''}\t{c.label}")


@reconcile.command("act")
@click.argument("action", type=click.Choice([a.value for a in Action]))
@click.argument("item_ids", type=int, nargs=-1, required=True)
@click.option("--reason", type=click.Choice([r.value for r in FailReason]), default=None)
@click.option("--to", "candidate", default=None, help="Match one item to this suggestion ref.")
@click.pass_context
@_handle_errors
def reconcile_act(
    ctx: click.Context,
    action: str,
    item_ids: tuple[int, ...],
    reason: str | None,
    candidate: str | None,
) -> None:
    """Match, unmatch, ignore, hold, reopen or fail (with --reason) the given items."""
    with _session(ctx) as session:
        if candidate is not None:
            if action != Action.MATCH.value or len(item_ids) != 1:
                raise click.BadParameter("--to matches exactly one item")
            match_item(
                session, get_item(session, item_ids[0]), Actor.cli(), candidate_ref=candidate
            )
            click.echo(f"{item_ids[0]}: matched to {candidate}")
            return
        result = apply_bulk(
            session,
            item_ids,
            Action(action),
            Actor.cli(),
            reason=FailReason(reason) if reason else None,
        )
    for item_id in result.done:
        click.echo(f"{item_id}: {action} done")
    for item_id, why in result.refused:
        click.echo(f"{item_id}: unchanged: {why}", err=True)
    if result.refused:
        raise SystemExit(1)
