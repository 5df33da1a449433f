"""Alembic environment: migrate the connection handed over by ``ledger.migrate``."""

from __future__ import annotations

from alembic import context

from ledger.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the ledger always hands a connection over
    raise RuntimeError("run migrations through `ledger db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
