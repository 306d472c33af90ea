import datetime
from decimal import Decimal

import pytest

from mhcare.accounts.models import Role
from staffing.lessons import services
from tests import factories

OCT = datetime.date(2026, 10, 1)
NOV = datetime.date(2026, 11, 1)


@pytest.fixture
def subject_a(world):
    """A subject teacher of class_a_other."""
    return factories.user_with_role(
        Role.SUBJECT_TEACHER, world.school_a, klass=world.class_a_other, username="subject_a"
    )


@pytest.fixture
def two_roles(world):
    """Homeroom teacher of class_a2 (school A2) and psychology teacher of school B."""
    user = factories.user_with_role(
        Role.HOMEROOM_TEACHER, world.school_a2, klass=world.class_a2, username="two_roles"
    )
    factories.RoleAssignmentFactory(user=user, role=Role.PSYCH_TEACHER, org_unit=world.school_b)
    return user


def log(world, classes, *, day, hours="1", topic="认识情绪", actor=None):
    actor = actor or world.users["psych_a"]
    return services.lesson_log(
        actor=actor, classes=classes, given_on=day, hours=Decimal(hours), topic=topic
    )
