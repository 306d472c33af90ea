"""The support plan moved from screening to the kernel without losing a row: ``screening.0009``
copies every plan (ids kept, encrypted columns as they are, the id sequence moved on) into
``orgs_supportplan``, and back when unapplied."""

import gc
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mhcare.orgs import plans
from mhcare.orgs.models import SupportPlan

BEFORE = [("screening", "0008_encrypt_plan_responsible_and_import_errors")]
COLUMNS = "id, goals, measures, responsible, review_date, school_id, student_id, updated_by_id"


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
        cursor.execute(f"SELECT {COLUMNS} FROM {table} ORDER BY id")  # noqa: S608
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_support_plans_survive_the_move_to_the_kernel_and_back(world):
    psych = world.users["psych_a"]
    student, other = world.students["a"], world.students["a_other_class"]
    plans.support_plan_save(
        actor=psych, student=student, goals="目标", measures="措施", responsible="李老师",
        review_date=None,
    )  # fmt: skip
    try:
        _migrate(BEFORE)
        before = _rows("screening_supportplan")
        assert len(before) == 1

        _migrate()

        assert _rows("orgs_supportplan") == before
        moved = SupportPlan.objects.get(student=student)
        assert (moved.goals, moved.responsible) == ("目标", "李老师")  # still decrypts
        new = plans.support_plan_save(
            actor=psych, student=other, goals="g", measures="m", responsible="r", review_date=None
        )
        assert new.pk > before[0][0]

        _migrate(BEFORE)
        assert [row[0] for row in _rows("screening_supportplan")] == [before[0][0], new.pk]
    finally:
        _migrate()
