"""Append-only triggers on the ledger tables (sunlit/core/ledger_triggers.py), per vendor."""

from django.db import migrations

from sunlit.core import ledger_triggers


class VendorSQL(migrations.RunSQL):
    """RunSQL whose statements depend on the database vendor (SQLite or PostgreSQL)."""

    def __init__(self) -> None:
        super().__init__(sql="", reverse_sql="")

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for statement in ledger_triggers.create_sql(schema_editor.connection.vendor):
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for statement in ledger_triggers.drop_sql(schema_editor.connection.vendor):
            schema_editor.execute(statement, params=None)

    def describe(self):
        return "Create append-only triggers on the ledger tables"


class Migration(migrations.Migration):
    dependencies = [("core", "0002_ledger")]

    operations = [VendorSQL()]
