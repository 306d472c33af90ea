"""The support plan moved from screening to the kernel without losing a row: ``screening.0009``
copies every plan (ids kept, encrypted columns as they are, the id sequence moved on) into
``orgs_supportplan``, and back when unapplied."""

import pytest
from django.db import connection

from mhcare.orgs import plans
from mhcare.orgs.models import SupportPlan
from tests import factories
from tests.migrating import migrate

BEFORE = [("screening", "0008_encrypt_plan_responsible_and_import_errors")]
COLUMNS = "id, goals, measures, responsible, review_date, school_id, student_id, updated_by_id"


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
    third = factories.StudentFactory(klass=student.klass, name="孙小军")
    try:
        migrate(BEFORE)
        assert len(_rows("screening_supportplan")) == 1
        # A plan written in the old table before the move, its id past the kernel's counter: the
        # forward migration must move the counter past it.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO screening_supportplan (id, goals, measures, responsible, review_date,"
                " updated_at, school_id, student_id, updated_by_id)"
                " SELECT id + 1000, goals, measures, responsible, review_date, updated_at,"
                " school_id, %s, updated_by_id FROM screening_supportplan",
                [third.pk],
            )
        before = _rows("screening_supportplan")
        assert len(before) == 2

        migrate()

        assert _rows("orgs_supportplan") == before
        moved = SupportPlan.objects.get(student=student)
        assert (moved.goals, moved.responsible) == ("目标", "李老师")  # still decrypts
        new = plans.support_plan_save(
            actor=psych, student=other, goals="g", measures="m", responsible="r", review_date=None
        )
        assert new.pk > before[-1][0]

        migrate(BEFORE)
        assert [row[0] for row in _rows("screening_supportplan")] == [
            *(row[0] for row in before),
            new.pk,
        ]
    finally:
        migrate()
