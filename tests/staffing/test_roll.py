"""The staffing rule counts a student who leaves the roll (orgs ``student_leave``) up to the day
before ``left_on`` only; a suspended (休学) student stays counted."""

import datetime

import pytest

from mhcare.orgs import services
from mhcare.orgs.models import EnrolmentStatus
from staffing.teachers import rule

pytestmark = pytest.mark.django_db
LEFT = datetime.date(2025, 11, 3)


def counted(world, on):
    return rule.students_on_roll(unit=world.school_a, on=on).get(world.school_a.pk, 0)


def test_a_transferred_student_counts_up_to_the_day_before(world):
    before = counted(world, LEFT)
    assert before == 2
    services.student_leave(
        actor=world.users["psych_a"],
        student=world.students["a"],
        status=EnrolmentStatus.TRANSFERRED,
        left_on=LEFT,
    )
    assert counted(world, LEFT - datetime.timedelta(days=1)) == 2
    assert counted(world, LEFT) == 1
    assert counted(world, LEFT + datetime.timedelta(days=100)) == 1
    rows = {r.code: r for r in rule.school_staffing(unit=world.county_a, on=LEFT)}
    assert rows[world.school_a.code].students == 1


def test_a_suspended_student_stays_counted(world):
    services.student_leave(
        actor=world.users["leader_a"],
        student=world.students["a_other_class"],
        status=EnrolmentStatus.SUSPENDED,
        left_on=LEFT,
    )
    assert counted(world, LEFT + datetime.timedelta(days=10)) == 2
