"""Make AuditEvent.seq SQLite's rowid (``integer primary key``) so seq-ordered reads are a table
scan. On SQLite the table is rebuilt, which drops its triggers: they are created again here."""

from django.db import migrations

import sunlit.core.models
from sunlit.core import ledger_triggers


class AuditEventTriggers(migrations.RunSQL):
    """Re-create the append-only triggers of core_auditevent on SQLite after the rebuild."""

    def __init__(self) -> None:
        super().__init__(sql="", reverse_sql="")

    def _run(self, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for statement in ledger_triggers.drop_sql("sqlite"):
            if "core_auditevent" in statement:
                schema_editor.execute(statement, params=None)
        for statement in ledger_triggers.create_sql("sqlite"):
            if " ON core_auditevent " in statement:
                schema_editor.execute(statement, params=None)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor)

    def describe(self):
        return "Re-create the append-only triggers of core_auditevent on SQLite"


class Migration(migrations.Migration):
    dependencies = [("core", "0003_ledger_triggers")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=sunlit.core.models.SeqField(
                primary_key=True, serialize=False, verbose_name="sequence number"
            ),
        ),
        AuditEventTriggers(),
    ]
