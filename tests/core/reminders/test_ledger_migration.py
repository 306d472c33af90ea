"""The ledger moved from crisis to the kernel without losing a row: ``crisis.0004`` copies the rows
of ``crisis_remindersent`` (ids kept, the id sequence moved on) into ``core_remindersent`` and back
when unapplied, so a reminder sent before the move is not sent again after it."""

import pytest
from django.db import connection

from mhcare.core.models import ReminderSent
from tests.migrating import migrate

BEFORE = [("crisis", "0003_incident_steps_not_needed"), ("core", None)]
COLUMNS = "kind, object_type, object_id, due_on, recipient_id, stage, sent_at"


def _rows(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {COLUMNS} FROM {table} ORDER BY id")  # noqa: S608
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_the_ledger_rows_survive_the_move_to_the_kernel_and_back(django_user_model):
    user = django_user_model.objects.create_user(username="ledger_user", password="x")  # noqa: S106
    try:
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO crisis_remindersent ({COLUMNS}) "  # noqa: S608
                "SELECT 'follow_up', 'case', g, DATE '2026-10-12', %s, 0, now() "
                "FROM generate_series(1, 3) g",
                [user.pk],
            )
        before = _rows("crisis_remindersent")

        migrate()

        assert _rows("core_remindersent") == before
        # the sequence moved on: a new row gets a new id, a reminder already sent stays sent
        new = ReminderSent.objects.create(
            kind="follow_up", object_type="case", object_id=4, due_on="2026-10-12", recipient=user
        )
        assert new.pk > max(row[0] for row in before)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO core_remindersent ({COLUMNS}) "  # noqa: S608
                "VALUES ('follow_up', 'case', 1, DATE '2026-10-12', %s, 0, now()) "
                "ON CONFLICT ON CONSTRAINT core_reminder_once DO NOTHING RETURNING id",
                [user.pk],
            )
            assert cursor.fetchall() == []

        # unapplied, the rows go back to the crisis table
        migrate([("crisis", "0003_incident_steps_not_needed")])
        assert [row[0] for row in _rows("crisis_remindersent")] == [*(r[0] for r in before), new.pk]
    finally:
        migrate()
