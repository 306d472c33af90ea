"""The reminder ledger moved to the kernel (``mhcare.core.reminders``, table ``core_remindersent``,
created by ``core.0001_reminder_ledger``). Its rows are copied over, ids kept, before the crisis
table is dropped: every reminder already sent stays sent. Reversible (the rows are copied back)."""

from django.db import migrations

COLUMNS = "id, kind, object_type, object_id, due_on, recipient_id, stage, sent_at"


def _copy(source: str, target: str) -> str:
    return f"""
LOCK TABLE {source} IN ACCESS EXCLUSIVE MODE;
INSERT INTO {target} ({COLUMNS}) SELECT {COLUMNS} FROM {source} ON CONFLICT DO NOTHING;
SELECT setval(
    pg_get_serial_sequence('{target}', 'id'),
    COALESCE((SELECT max(id) FROM {target}), 1),
    (SELECT max(id) FROM {target}) IS NOT NULL
);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("crisis", "0003_incident_steps_not_needed"),
        ("core", "0001_reminder_ledger"),
    ]

    operations = [
        migrations.RunSQL(
            sql=_copy("crisis_remindersent", "core_remindersent"),
            reverse_sql=_copy("core_remindersent", "crisis_remindersent"),
        ),
        migrations.DeleteModel(name="ReminderSent"),
    ]
