"""Booking into duty slots, who may book, the appointment's states, free slots and reminders."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from counseling.appointments import selectors, services
from counseling.appointments.reminders import RULE_TOMORROW, RULE_UNCONFIRMED
from counseling.models import Appointment, AppointmentStatus
from mhcare.core.reminders.services import reminder_scan
from mhcare.notifications.models import Notification
from tests.counseling.room_helpers import at, book, make_room, make_shift, tomorrow

pytestmark = pytest.mark.django_db


@pytest.fixture
def shift(world):
    return make_shift(make_room(world), world.users["psych_a"])


def test_the_psychology_teacher_books_and_the_counselor_is_told(
    world, shift, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(world, shift, actor=world.users["homeroom_a"])
    assert appointment.status == AppointmentStatus.REQUESTED
    assert appointment.ends_at - appointment.starts_at == datetime.timedelta(minutes=45)
    assert appointment.school == world.school_a
    assert Notification.objects.filter(recipient=world.users["psych_a"]).count() == 1


def test_a_homeroom_teacher_books_only_for_her_own_class(world, shift):
    with pytest.raises(PermissionDenied):
        book(world, shift, actor=world.users["homeroom_a"], student=world.students["a_other_class"])
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("who", ["leader_a", "psych_b", "official_a", "center_b"])
def test_others_book_nothing(world, shift, who):
    with pytest.raises(PermissionDenied):
        book(world, shift, actor=world.users[who])


def test_a_room_serves_its_school_and_the_county_center_its_county(world, center_unit_a):
    school_b_room = make_room(world, unit=world.school_b, actor=world.users["psych_b"])
    other = make_shift(school_b_room, world.users["psych_b"])
    with pytest.raises(ValidationError) as error:
        book(world, other, actor=world.users["center_a"])
    assert services.ROOM_NOT_FOR_STUDENT in error.value.messages
    center_room = make_room(world, unit=center_unit_a, actor=world.users["center_a"])
    center_shift = make_shift(center_room, world.users["center_a"])
    assert book(world, center_shift, student=world.students["a2"], actor=world.users["center_a"])


def test_outside_the_shift_or_in_the_past_is_refused(world, shift):
    with pytest.raises(ValidationError) as error:
        book(world, shift, hour=11, minute=30)  # 11:30 + 45 min > 12:00
    assert services.OUTSIDE_SHIFT in error.value.messages
    past = make_shift(
        shift.room,
        world.users["psych_a"],
        day=timezone.localdate() - datetime.timedelta(days=2),
    )
    with pytest.raises(ValidationError) as error:
        book(world, past)
    assert services.IN_THE_PAST in error.value.messages


def test_a_taken_slot_is_refused_and_a_cancelled_one_is_free_again(world, shift):
    first = book(world, shift)
    with pytest.raises(ValidationError) as error:
        book(world, shift, student=world.students["a_other_class"], hour=9, minute=30)
    assert services.SLOT_TAKEN in error.value.messages
    services.appointment_transition(
        actor=world.users["psych_a"], appointment=first, status="cancelled", reason="学生请假"
    )
    again = book(world, shift, student=world.students["a_other_class"])
    assert again.starts_at == first.starts_at


def test_free_slots_leave_out_taken_ones(world, shift):
    slots = selectors.free_slots(student=world.students["a"], start=timezone.localdate())
    assert [s.starts_at for s in slots] == [
        at(tomorrow(), 9),
        at(tomorrow(), 9, 45),
        at(tomorrow(), 10, 30),
        at(tomorrow(), 11, 15),
    ]
    book(world, shift, hour=9, minute=45)
    slots = selectors.free_slots(student=world.students["a"], start=timezone.localdate())
    assert at(tomorrow(), 9, 45) not in [s.starts_at for s in slots]
    assert selectors.free_slots(student=world.students["b"], start=timezone.localdate()) == []


def test_the_states_and_who_moves_them(world, shift):
    appointment = book(world, shift, actor=world.users["homeroom_a"])
    with pytest.raises(PermissionDenied):
        services.appointment_transition(
            actor=world.users["homeroom_a"], appointment=appointment, status="confirmed"
        )
    with pytest.raises(ValidationError) as error:
        services.appointment_transition(
            actor=world.users["psych_a"], appointment=appointment, status="completed"
        )
    assert services.NOT_ALLOWED_TRANSITION in error.value.messages
    confirmed = services.appointment_transition(
        actor=world.users["psych_a"], appointment=appointment, status="confirmed"
    )
    assert confirmed.confirmed_at is not None
    with pytest.raises(ValidationError) as error:  # it has not begun yet
        services.appointment_transition(
            actor=world.users["psych_a"], appointment=appointment, status="no_show"
        )
    assert services.TOO_EARLY in error.value.messages
    with pytest.raises(ValidationError) as error:
        services.appointment_transition(
            actor=world.users["homeroom_a"], appointment=appointment, status="cancelled"
        )
    assert services.CANCEL_REASON_REQUIRED in error.value.message_dict["reason"]
    cancelled = services.appointment_transition(
        actor=world.users["homeroom_a"], appointment=appointment, status="cancelled", reason="生病"
    )
    assert cancelled.status == "cancelled"
    assert cancelled.closed_at is not None
    with pytest.raises(ValidationError):
        services.appointment_transition(
            actor=world.users["psych_a"], appointment=appointment, status="confirmed"
        )


def test_reminders_tomorrow_and_unconfirmed_once(world, shift):
    appointment = book(world, shift, actor=world.users["homeroom_a"])
    Appointment.objects.filter(pk=appointment.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    result = reminder_scan(rules=[RULE_TOMORROW, RULE_UNCONFIRMED])
    assert result.sent == {RULE_TOMORROW: 1, RULE_UNCONFIRMED: 1}
    kinds = set(
        Notification.objects.filter(recipient=world.users["psych_a"]).values_list("kind", flat=True)
    )
    assert {"counseling.counseling_tomorrow", "counseling.counseling_unconfirmed"} <= kinds
    again = reminder_scan(rules=[RULE_TOMORROW, RULE_UNCONFIRMED])
    assert again.total == 0
