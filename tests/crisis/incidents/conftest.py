import datetime

import pytest
from django.utils import timezone

from crisis.incidents import services
from mhcare.accounts.models import Role
from tests import factories

SUMMARY = "课间学生从三楼走廊翻越栏杆，被同学拉回，无受伤。"


@pytest.fixture
def official_b(world):
    """A bureau official of the second county (上城区)."""
    return factories.user_with_role(Role.OFFICIAL, world.county_b, username="official_b")


@pytest.fixture
def leader_b(world):
    return factories.user_with_role(Role.SCHOOL_LEADER, world.school_b, username="leader_b")


def make_incident(world, *, school=None, actor=None, students=None, hours_ago=3, **overrides):
    school = school or world.school_a
    if actor is None:
        actor = world.users["psych_a"] if school == world.school_a else world.users["center_a"]
        if school == world.school_b:
            actor = world.users["psych_b"]
    if students is None:
        students = [s for s in world.students.values() if s.school_id == school.pk]
    values = {
        "occurred_at": timezone.now() - datetime.timedelta(hours=hours_ago),
        "kind": "suicide_attempt",
        "severity": "serious",
        "summary": SUMMARY,
    }
    values.update(overrides)
    return services.incident_report(actor=actor, school=school, students=students, **values)


@pytest.fixture
def incident_a(world):
    """An incident at 西湖一中 (county A) involving both its students."""
    return make_incident(world)


@pytest.fixture
def incident_b(world):
    return make_incident(world, school=world.school_b)
