import datetime

import pytest

from mhcare.orgs.models import Gender, Student
from tests import factories

RULE_DAY = datetime.date(2023, 9, 1)  # STAFFING_REQUIRED_FROM
ALL_DAY = datetime.date(2025, 9, 1)  # STAFFING_ALL_SCHOOLS_FROM


def add_students(klass, count: int, **fields) -> None:
    """``count`` students in ``klass`` at once (bulk: the threshold tests need 1 000)."""
    start = Student.objects.count()
    Student.objects.bulk_create(
        Student(
            klass=klass,
            school=klass.school,
            county=klass.school.parent,
            name=f"学生{start + i}",
            gender=Gender.FEMALE,
            birth_date=datetime.date(2012, 5, 1),
            student_number=f"S{klass.school.code}{start + i:08d}",
            **fields,
        )
        for i in range(count)
    )


@pytest.fixture
def leader_a(world):
    return world.users["leader_a"]


@pytest.fixture
def two_role_user(world):
    """Psychology teacher of school A and school leader of school B."""
    from mhcare.accounts.models import Role, RoleAssignment

    user = factories.user_with_role(Role.PSYCH_TEACHER, world.school_a, username="two_roles")
    RoleAssignment.objects.create(user=user, role=Role.SCHOOL_LEADER, org_unit=world.school_b)
    return user
