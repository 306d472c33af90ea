"""Shared builders and fixtures of the rooms / appointments / sessions tests (imported by each
sub-package's conftest, so that the guidance tests' conftest stays theirs)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from counseling.appointments.services import appointment_book, appointment_transition
from counseling.models import AppointmentStatus, CounselingRoom, DutyShift
from counseling.rooms.services import room_create, shift_create
from counseling.sessions.services import session_record
from mhcare.accounts.models import Role
from mhcare.orgs.models import OrgKind
from tests import factories

SUMMARY = "该生谈到父母离异后夜里常哭，偶尔不想上学。"
THEME = "家庭变故后的情绪"


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def make_room(world, unit=None, actor=None, name="心理辅导室") -> CounselingRoom:
    return room_create(
        actor=actor or world.users["psych_a"],
        unit=unit or world.school_a,
        name=name,
        place="行政楼 302",
        standards=["individual", "files"],
        capacity=1,
    )


def make_shift(room, counselor, *, day=None, start=9, end=12, actor=None) -> DutyShift:
    day = day or tomorrow()
    return shift_create(
        actor=actor or counselor,
        room=room,
        counselor=counselor,
        starts_at=at(day, start),
        ends_at=at(day, end),
    )


def book(world, shift, *, student=None, actor=None, hour=None, minute=0, confirm=False):
    student = student or world.students["a"]
    day = timezone.localtime(shift.starts_at).date()
    starts_at = at(day, hour, minute) if hour is not None else shift.starts_at
    appointment = appointment_book(
        actor=actor or world.users["psych_a"],
        student=student,
        shift=shift,
        starts_at=starts_at,
        topic="情绪低落",
    )
    if confirm:
        appointment = appointment_transition(
            actor=shift.counselor, appointment=appointment, status=AppointmentStatus.CONFIRMED
        )
    return appointment


def record(world, *, actor=None, student=None, **kwargs):
    values = {
        "held_on": timezone.localdate(),
        "duration_minutes": 45,
        "theme": THEME,
        "summary": SUMMARY,
        "plan": "下周再约",
    }
    values.update(kwargs)
    return session_record(
        actor=actor or world.users["psych_a"],
        student=student or world.students["a"],
        **values,
    )


@pytest.fixture
def psych_a2(world):
    """A second psychology teacher of school A: another counselor of the same school."""
    return factories.user_with_role(Role.PSYCH_TEACHER, world.school_a, username="psych_a_two")


@pytest.fixture
def two_roles(world):
    """Homeroom teacher of class A (school A) and psychology teacher of school B."""
    user = factories.user_with_role(
        Role.HOMEROOM_TEACHER, world.school_a, klass=world.class_a_other, username="two_roles"
    )
    factories.RoleAssignmentFactory(user=user, role=Role.PSYCH_TEACHER, org_unit=world.school_b)
    return user


@pytest.fixture
def center_unit_a(world):
    return factories.CountyFactory(
        parent=world.county_a, kind=OrgKind.COUNTY_CENTER, code="330106C", name="西湖区心理中心"
    )
