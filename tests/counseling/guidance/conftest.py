import datetime

import pytest
from django.utils import timezone

from counseling.guidance import services
from mhcare.accounts.models import Role
from tests import factories

SUMMARY = "谈学习压力，约定每周记录睡眠。"


@pytest.fixture
def flagged(world):
    """张小明 (school A, class A) and 王小刚 (school A2) carry flags; 李小红 does not."""
    for key, flags in (("a", ["economic"]), ("a2", ["left_behind"]), ("b", ["peer"])):
        student = world.students[key]
        student.disadvantages = flags
        student.save(update_fields=["disadvantages"])
    return world.students


@pytest.fixture
def record_a(world, flagged):
    return services.guidance_record_add(
        actor=world.users["psych_a"],
        student=flagged["a"],
        kind="individual",
        occurred_on=timezone.localdate() - datetime.timedelta(days=3),
        summary=SUMMARY,
        next_step="两周后再谈",
    )


@pytest.fixture
def two_roles(world):
    """Homeroom teacher of a class in school A2 and psychology teacher of school B."""
    user = factories.user_with_role(
        Role.HOMEROOM_TEACHER, world.school_a2, klass=world.class_a2, username="two_roles"
    )
    factories.RoleAssignmentFactory(user=user, role=Role.PSYCH_TEACHER, org_unit=world.school_b)
    return user
