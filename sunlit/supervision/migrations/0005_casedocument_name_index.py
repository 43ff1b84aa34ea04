"""An index supervision needs on a table of the cases app: uploads by (step instance, name).

``PROC_DOCUMENTS_MISSING`` (sweep and on-commit gate) looks up, for each required document name of a
completed step, whether the step instance has an upload of that name. The cases app only indexes
``step_instance_id``; this adds ``(step_instance_id, name)`` so each look-up is one index probe.

It lives here, not in the cases app's migrations, because the cases models belong to another app
(and a model index there would be the cases app's decision): a plain ``CREATE INDEX IF NOT EXISTS``
that is valid on SQLite and PostgreSQL, dropped again when this migration is reversed. If the cases
app ever declares the same index in its Meta, delete this migration's effect with a migration of
its own (the name below is chosen not to collide with Django's generated names).
"""

from django.db import migrations

INDEX = "sup_casedoc_inst_name"

class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0004_notification_retries"),
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {INDEX} ON cases_casedocument (step_instance_id, name)",
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
