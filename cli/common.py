"""What every CLI command shares: error handling, settings, one session per command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import click
from sqlalchemy.orm import Session

from ledger.config import Settings, load_settings
from ledger.db import engine_from_settings, make_session_factory
from ledger.errors import ConfigError, LedgerError

P = ParamSpec("P")
R = TypeVar("R")


def _handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except LedgerError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.obj.get("settings") if ctx.obj else None
    if settings is None:
        settings = load_settings()
        ctx.ensure_object(dict)["settings"] = settings
    return settings


@contextmanager
def _session(ctx: click.Context, *, commit: bool = True, writer: bool = True) -> Iterator[Session]:
    """Yield one session: committed at the end, or rolled back when ``commit`` is False.

    Readers pass ``writer=False`` so that on SQLite they never take the write lock.
    """
    engine = engine_from_settings(_settings(ctx), writer=writer)
    session = make_session_factory(engine)()
    try:
        yield session
        if commit:
            session.commit()
    finally:
        session.rollback()
        session.close()
        engine.dispose()
