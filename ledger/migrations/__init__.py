"""Alembic migrations of the ledger's schema (run with ``ledger db upgrade``)."""
