"""DDL for the triggers that make tables append-only, on SQLite and PostgreSQL.

Migrations call :func:`create_append_only_triggers` for each append-only table. SQLite batch
migrations rebuild a table and drop its triggers silently: a migration that alters an
append-only table with ``batch_alter_table`` must call it again (a test checks they exist).
"""

from __future__ import annotations

from alembic import op

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: post a reversing entry instead', TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END
$$;
"""


def trigger_names(table: str) -> list[str]:
    return [f"{table}_append_only_update", f"{table}_append_only_delete"]


def create_append_only_triggers(table: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name, action in zip(trigger_names(table), ("UPDATE", "DELETE"), strict=True):
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: "
                f"post a reversing entry instead'); END"
            )
        return
    op.execute(PG_FUNCTION)
    update_name, delete_name = trigger_names(table)
    op.execute(f"DROP TRIGGER IF EXISTS {update_name} ON {table}")
    op.execute(
        f"CREATE TRIGGER {update_name} BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
    )
    op.execute(f"DROP TRIGGER IF EXISTS {delete_name} ON {table}")
    op.execute(
        f"CREATE TRIGGER {delete_name} BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
    )


def drop_append_only_triggers(table: str) -> None:
    bind = op.get_bind()
    for name in trigger_names(table):
        if bind.dialect.name == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
