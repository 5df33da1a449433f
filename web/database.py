"""One SQLAlchemy session per request, closed (and rolled back if uncommitted) at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from ledger.config import Settings


def init_app(app: Flask, factory: sessionmaker[Session]) -> None:
    app.extensions["ledger.session_factory"] = factory

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_session() -> Session:
    """Return this request's session (opened on first use)."""
    if "db_session" not in g:
        factory: sessionmaker[Session] = current_app.extensions["ledger.session_factory"]
        g.db_session = factory()
    session: Session = g.db_session
    return session


def get_settings() -> Settings:
    settings: Settings = current_app.extensions["ledger.settings"]
    return settings
