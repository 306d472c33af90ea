"""The audit log loses the single-column indexes Django made for its ``actor`` and ``student``
keys: ``(actor_id, at DESC)`` and ``(student_id, at DESC)`` lead with the same columns and serve
every lookup by them. Every page view and API read writes an audit row, so this is two index
entries fewer per request (about 17 bytes a row of index space, on the table that grows fastest).

Dropped ``CONCURRENTLY`` (the table is written by every request: a plain DROP INDEX would queue
them behind its lock); backwards builds them again the same way. Only ``orgs.0001`` is named as a
dependency, so that tests migrating ``orgs`` back do not take this one back with it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = {
    "actor_id": "audit_auditevent_actor_id_270bb4b7",
    "student_id": "audit_auditevent_student_id_575fd841",
}


def _key_without_index(to: str) -> models.ForeignKey:
    """The audit row's key to ``to`` as the model declares it now: no constraint (audit rows
    outlive users and students), and no index of its own."""
    return models.ForeignKey(
        blank=True,
        db_constraint=False,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.DO_NOTHING,
        related_name="+",
        to=to,
    )


class Migration(migrations.Migration):
    atomic = False  # DROP / CREATE INDEX CONCURRENTLY

    dependencies = [
        ("audit", "0003_truncate_guard_and_seals"),
        ("orgs", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON audit_auditevent ({column})",
                )
                for column, name in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent", name=name, field=_key_without_index(to)
                )
                for name, to in (("actor", settings.AUTH_USER_MODEL), ("student", "orgs.student"))
            ],
        ),
    ]
