"""``ledger people``: erase a donor's personal data, export contacts (both on the record)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import _handle_errors, _session
from ledger import people as people_core
from ledger.audit import Actor


@click.group("people")
def people() -> None:
    """Donors and buyers, by their opaque reference."""


@people.command("erase")
@click.argument("ref")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@_handle_errors
def erase(ctx: click.Context, ref: str, yes: bool) -> None:
    """Erase the personal data of the person REF (the journal and every total stay as they are)."""
    if not yes:
        click.confirm(f"Erase the contact data of {ref}? This cannot be undone", abort=True)
    with _session(ctx) as session:
        people_core.erase_person(session, Actor.cli(), ref)
    click.echo(f"erased the personal data of {ref}")


@people.command("export-contacts")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
@_handle_errors
def export_contacts(ctx: click.Context, out: Path) -> None:
    """Write every person's contact data to a CSV file (identity-bearing; audited)."""
    with _session(ctx) as session:
        body = people_core.export_contacts_csv(session, Actor.cli())
        out.write_text(body, encoding="utf-8")
        out.chmod(0o600)
    click.echo(f"wrote {out} (recorded in the audit log)")
