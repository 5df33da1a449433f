"""The migrated schema: append-only triggers exist, and the migrations match the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from ledger import migrate
from ledger.migrations.triggers import trigger_names
from ledger.models import APPEND_ONLY_TABLES, Base


def _trigger_names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        else:
            rows = conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        return {row[0] for row in rows}


def test_append_only_triggers_exist_after_upgrade_head(engine: Engine) -> None:
    assert migrate.get_current_revision(engine) == migrate.get_head_revision()
    names = _trigger_names(engine)
    for table in APPEND_ONLY_TABLES:
        for name in trigger_names(table):
            assert name in names, f"{name} missing after upgrade head"


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
