"""The ledger moved from crisis to the kernel without losing a row: ``crisis.0004`` copies the rows
of ``crisis_remindersent`` (ids kept, the id sequence moved on) into ``core_remindersent`` and back
when unapplied, so a reminder sent before the move is not sent again after it."""

import gc
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mhcare.core.models import ReminderSent

BEFORE = [("crisis", "0003_incident_steps_not_needed"), ("core", None)]
COLUMNS = "kind, object_type, object_id, due_on, recipient_id, stage, sent_at"


@contextmanager
def _collector_paused():
    """The model states Django renders are hundreds of thousands of short-lived objects: the
    cyclic garbage collector, run again and again over them, adds about a sixth to a migration."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _migrate(targets=None):
    """Migrate to ``targets`` (the latest migrations when None); nothing to do, nothing done.

    Backwards, Django's plan is unapplied one migration per call, in its order: each migration is
    unapplied with the same project state as in one call (the migrations before it in the full
    plan), but Django renders the models once for it, where one call re-renders them for every
    migration of the full plan between the first and the last one unapplied (seconds each)."""
    with _collector_paused():
        executor = MigrationExecutor(connection)
        if targets is None:
            targets = executor.loader.graph.leaf_nodes()
        plan = executor.migration_plan(targets)
        if plan and plan[0][1]:  # backwards
            for step in plan:
                MigrationExecutor(connection).migrate(targets, plan=[step])
        elif plan:
            executor.migrate(targets, plan=plan)


def _rows(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {COLUMNS} FROM {table} ORDER BY id")  # noqa: S608
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_the_ledger_rows_survive_the_move_to_the_kernel_and_back(django_user_model):
    user = django_user_model.objects.create_user(username="ledger_user", password="x")  # noqa: S106
    try:
        _migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO crisis_remindersent ({COLUMNS}) "  # noqa: S608
                "SELECT 'follow_up', 'case', g, DATE '2026-10-12', %s, 0, now() "
                "FROM generate_series(1, 3) g",
                [user.pk],
            )
        before = _rows("crisis_remindersent")

        _migrate()

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
        _migrate([("crisis", "0003_incident_steps_not_needed")])
        assert [row[0] for row in _rows("crisis_remindersent")] == [*(r[0] for r in before), new.pk]
    finally:
        _migrate()
