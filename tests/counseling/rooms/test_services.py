"""Rooms, opening hours and shifts: who keeps them, and the database refusing a person's two
overlapping shifts."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from counseling.models import CounselingRoom, DutyShift
from counseling.rooms import services
from mhcare.audit.models import AuditEvent
from tests.counseling.room_helpers import at, make_room, make_shift, tomorrow

pytestmark = pytest.mark.django_db


def test_a_psychology_teacher_keeps_her_school_room(world):
    room = make_room(world)
    assert room.county == world.county_a
    assert room.standards == ["individual", "files"]
    assert AuditEvent.objects.filter(object_type="counseling.counselingroom").count() == 1


def test_the_county_center_keeps_its_center_room(world, center_unit_a):
    room = make_room(world, unit=center_unit_a, actor=world.users["center_a"])
    assert room.unit == center_unit_a
    assert room.county == world.county_a


@pytest.mark.parametrize("who", ["homeroom_a", "psych_b", "official_a", "center_b"])
def test_others_keep_no_room_of_school_a(world, who):
    with pytest.raises(PermissionDenied):
        make_room(world, actor=world.users[who])
    assert not CounselingRoom.objects.exists()


def test_opening_hours_with_extended_hours(world):
    room = make_room(world)
    hours = services.opening_hours_add(
        actor=world.users["leader_a"],
        room=room,
        weekday=0,
        opens=datetime.time(16, 30),
        closes=datetime.time(18, 30),
        is_extended=True,
    )
    assert hours.is_extended
    with pytest.raises(ValidationError) as error:
        services.opening_hours_add(
            actor=world.users["psych_a"],
            room=room,
            weekday=1,
            opens=datetime.time(18),
            closes=datetime.time(17),
        )
    assert services.CLOSES_BEFORE_OPENS in error.value.messages


def test_the_counselor_on_duty_must_counsel_at_the_room_unit(world):
    room = make_room(world)
    for who in ("homeroom_a", "leader_a", "psych_b"):
        with pytest.raises(ValidationError) as error:
            make_shift(room, world.users[who], actor=world.users["psych_a"])
        assert services.NOT_A_COUNSELOR in error.value.messages
    # the county center counsels in every school of its county
    make_shift(room, world.users["center_a"], actor=world.users["psych_a"])


def test_one_person_holds_no_two_overlapping_shifts(world, center_unit_a):
    psych = world.users["center_a"]
    school_room = make_room(world)
    center_room = make_room(world, unit=center_unit_a, actor=psych)
    make_shift(school_room, psych, start=9, end=12, actor=world.users["psych_a"])
    with pytest.raises(ValidationError) as error:
        make_shift(center_room, psych, start=11, end=13)
    assert services.SHIFT_OVERLAP in error.value.messages
    # touching ends do not overlap (half-open ranges)
    make_shift(center_room, psych, start=12, end=14)
    assert DutyShift.objects.count() == 2


def test_the_database_itself_refuses_overlap(world):
    room = make_room(world)
    shift = make_shift(room, world.users["psych_a"])
    with pytest.raises(IntegrityError), transaction.atomic():
        DutyShift.objects.create(
            room=room,
            unit=world.school_a,
            counselor=world.users["psych_a"],
            starts_at=shift.starts_at + datetime.timedelta(minutes=30),
            ends_at=shift.ends_at + datetime.timedelta(hours=1),
            created_by=world.users["psych_a"],
        )


def test_a_shift_with_appointments_is_not_removed(world):
    from tests.counseling.room_helpers import book

    room = make_room(world)
    shift = make_shift(room, world.users["psych_a"])
    book(world, shift)
    with pytest.raises(ValidationError):
        services.shift_remove(actor=world.users["psych_a"], shift=shift)
    empty = make_shift(room, world.users["psych_a"], day=tomorrow(), start=13, end=14)
    services.shift_remove(actor=world.users["psych_a"], shift=empty)
    assert not DutyShift.objects.filter(pk=empty.pk).exists()
    assert at(tomorrow(), 9) == shift.starts_at
