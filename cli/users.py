"""``ledger users``: console accounts from a shell (the first admin, lost passwords)."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from cli.common import _handle_errors, _session
from ledger import users as accounts
from ledger.audit import Actor
from ledger.models import ConsoleUser, Role

ROLES = [r.value for r in Role]


@click.group("users")
def users() -> None:
    """Console accounts: add, list, reset a password or a second factor, disable."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
@_handle_errors
def add(ctx: click.Context, username: str, role: str, password_stdin: bool) -> None:
    """Create a console user (there is no default account: start with an admin).

    Admins must set up a second factor (an authenticator app) at their first login.
    """
    password = _read_password(password_stdin)
    with _session(ctx) as session:
        user = accounts.create_user(session, username, Role(role), password, actor=Actor.cli())
        click.echo(f"added {user.role.value} {user.username}")
        if user.role is Role.ADMIN:
            click.echo("they will set up a second factor at their first login")


@users.command("list")
@click.pass_context
@_handle_errors
def list_users(ctx: click.Context) -> None:
    """Show every console user, their role and state."""
    with _session(ctx, commit=False, writer=False) as session:
        for user in session.scalars(select(ConsoleUser).order_by(ConsoleUser.username)):
            state = "disabled" if user.disabled_at else "active"
            factor = "2fa" if user.has_second_factor else "no-2fa"
            click.echo(f"{user.username}\t{user.role.value}\t{factor}\t{state}")


@users.command("reset-password")
@click.argument("username")
@click.pass_context
@_handle_errors
def reset_password(ctx: click.Context, username: str) -> None:
    """Print a one-time password; the user must change it at next login."""
    with _session(ctx) as session:
        user = accounts.get_user(session, username)
        temporary = accounts.reset_password(session, user, actor=Actor.cli())
    click.echo(f"one-time password for {username}: {temporary}")


@users.command("reset-second-factor")
@click.argument("username")
@click.pass_context
@_handle_errors
def reset_second_factor(ctx: click.Context, username: str) -> None:
    """Remove a lost authenticator; the user sets up a new one at next login."""
    with _session(ctx) as session:
        user = accounts.get_user(session, username)
        accounts.remove_second_factor(session, user, actor=Actor.cli())
    click.echo(f"second factor of {username} removed")


@users.command("disable")
@click.argument("username")
@click.pass_context
@_handle_errors
def disable(ctx: click.Context, username: str) -> None:
    """Stop a user logging in and end their sessions."""
    with _session(ctx) as session:
        user = accounts.get_user(session, username)
        accounts.set_disabled(session, user, True, actor=Actor.cli())
    click.echo(f"{username} disabled")
