import datetime

import pytest
from django.utils import timezone

from crisis.models import Case, CaseStatus, KeyPeriod
from mhcare.accounts.models import Role
from mhcare.core.risk import RiskLevel
from mhcare.orgs.models import SchoolYear, Semester
from tests import factories


@pytest.fixture
def semester(world):
    """The semester containing today (the world's, or one made around today when the suite runs
    outside it)."""
    today = timezone.localdate()
    current = Semester.current(today)
    if current is not None:
        return current
    year = SchoolYear.objects.create(
        name=f"T{today.isoformat()}",
        start=today - datetime.timedelta(days=60),
        end=today + datetime.timedelta(days=300),
    )
    return Semester.objects.create(
        school_year=year,
        term=1,
        start=today - datetime.timedelta(days=60),
        end=today + datetime.timedelta(days=60),
    )


@pytest.fixture
def subject_a(world):
    return factories.user_with_role(
        Role.SUBJECT_TEACHER, world.school_a, klass=world.class_a, username="subject_a"
    )


@pytest.fixture
def homeroom_other(world):
    """The homeroom teacher of 八(2)班, the other class of school A."""
    return factories.user_with_role(
        Role.HOMEROOM_TEACHER,
        world.school_a,
        klass=world.class_a_other,
        username="homeroom_other",
    )


def open_case(student, *, status=CaseStatus.OPEN, actor=None):
    today = timezone.localdate()
    return Case.objects.create(
        student=student,
        school=student.school,
        county=student.county,
        level=RiskLevel.LEVEL_2,
        status=status,
        source="screening",
        opened_on=today,
        open_reason="test",
        closed_on=today if status == CaseStatus.CLOSED else None,
        level_confirmed_at=timezone.now(),
        responsible=actor,
    )


@pytest.fixture
def period_a(world, semester):
    """A key period of school A around today (no checklist yet)."""
    today = timezone.localdate()
    return KeyPeriod.objects.create(
        semester=semester,
        org_unit=world.school_a,
        name="开学前后",
        starts_on=today - datetime.timedelta(days=7),
        ends_on=today + datetime.timedelta(days=7),
    )
