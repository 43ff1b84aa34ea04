"""Database triggers that make the ledger tables append-only (migration 0003).

UPDATE and DELETE are refused on ``core_auditevent``, ``core_merklenode`` and ``core_checkpoint``;
``core_piisalt`` refuses UPDATE only (deleting a salt is how personal data is unlinked).

The one way past them is an explicit wipe of the whole database (``manage.py flush``, which the
test runner uses between transactional tests): ``ledger_maintenance()`` lets DELETE through on
SQLite (through the ``sunlit_ledger_maintenance()`` SQL function, which exists only inside a
Sunlit process, so a sqlite3 shell is refused too) and TRUNCATE on PostgreSQL (row triggers
refuse DELETE; a statement trigger refuses TRUNCATE unless the session sets
``sunlit.ledger_maintenance``). Triggers stop accidents and casual edits; a DBA who drops them is
caught by the hashes and signed checkpoints (``sunlit audit verify``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

APPEND_ONLY = ["core_auditevent", "core_merklenode", "core_checkpoint"]
NO_UPDATE = ["core_piisalt"]
_FLAG = "sunlit_ledger_maintenance"


def _sqlite_create() -> list[str]:
    sql = []
    for table in [*APPEND_ONLY, *NO_UPDATE]:
        sql.append(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END"
        )
    for table in APPEND_ONLY:
        sql.append(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN NOT sunlit_ledger_maintenance() "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END"
        )
    return sql


def _sqlite_drop() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {t}_no_update" for t in [*APPEND_ONLY, *NO_UPDATE]] + [
        f"DROP TRIGGER IF EXISTS {t}_no_delete" for t in APPEND_ONLY
    ]


def _pg_create() -> list[str]:
    sql = [
        """CREATE OR REPLACE FUNCTION core_ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' AND current_setting('sunlit.ledger_maintenance', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$"""
    ]
    for table in APPEND_ONLY:
        sql.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION core_ledger_refuse()"
        )
        sql.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION core_ledger_refuse()"
        )
    for table in NO_UPDATE:
        sql.append(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION core_ledger_refuse()"
        )
    return sql


def _pg_drop() -> list[str]:
    sql = []
    for table in APPEND_ONLY:
        sql.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        sql.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for table in NO_UPDATE:
        sql.append(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")
    sql.append("DROP FUNCTION IF EXISTS core_ledger_refuse()")
    return sql


def create_sql(vendor: str) -> list[str]:
    return {"sqlite": _sqlite_create, "postgresql": _pg_create}[vendor]()


def drop_sql(vendor: str) -> list[str]:
    return {"sqlite": _sqlite_drop, "postgresql": _pg_drop}[vendor]()


def register_sqlite_function(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """``connection_created`` receiver: define sunlit_ledger_maintenance() on SQLite connections."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function(
        _FLAG, 0, lambda: 1 if getattr(connection, _FLAG, False) else 0, deterministic=False
    )


@contextmanager
def ledger_maintenance(using: str = "default") -> Iterator[None]:
    """Let a whole-database wipe (flush) empty the ledger tables on this connection."""
    connection = connections[using]
    setattr(connection, _FLAG, True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('sunlit.ledger_maintenance', 'on', false)")
    try:
        yield
    finally:
        setattr(connection, _FLAG, False)
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('sunlit.ledger_maintenance', 'off', false)")
