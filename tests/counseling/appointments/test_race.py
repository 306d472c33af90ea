"""Double booking refused by the database when two requests race: the same counselor's slot,
and the same room booked with two counselors on duty in it. Proved with two transactions on two
connections (one waits on the other's uncommitted row) and with two HTTP requests started at
the same instant; the loser gets the page's clear message, never a server error."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from counseling.appointments import services
from counseling.models import Appointment
from tests import factories
from tests.counseling.race import barrier_race, race
from tests.counseling.room_helpers import make_room, make_shift

pytestmark = pytest.mark.django_db(transaction=True)


def _booker(world, shift, student_key, starts_at):
    def call():
        return services.appointment_book(
            actor=world.users["psych_a"],
            student=world.students[student_key],
            shift=shift,
            starts_at=starts_at,
        )

    return call


def test_two_transactions_racing_for_one_counselor_slot(world):
    room = make_room(world)
    shift = make_shift(room, world.users["psych_a"])
    results = race(
        _booker(world, shift, "a", shift.starts_at),
        _booker(world, shift, "a_other_class", shift.starts_at),
    )
    assert isinstance(results["first"], Appointment)
    assert results["second_was_waiting"], "the second insert did not wait for the first"
    assert isinstance(results["second"], ValidationError)
    assert services.SLOT_TAKEN in results["second"].messages
    assert Appointment.objects.count() == 1


def test_two_transactions_racing_for_one_room(world):
    """Two counselors on duty in one room at once: the room is still booked only once."""
    room = make_room(world)
    shift_one = make_shift(room, world.users["psych_a"])
    shift_two = make_shift(room, world.users["center_a"], actor=world.users["psych_a"])
    results = race(
        _booker(world, shift_one, "a", shift_one.starts_at),
        _booker(world, shift_two, "a_other_class", shift_two.starts_at),
    )
    assert isinstance(results["first"], Appointment)
    assert results["second_was_waiting"]
    assert isinstance(results["second"], ValidationError)
    assert services.SLOT_TAKEN in results["second"].messages
    assert Appointment.objects.count() == 1


def test_two_http_requests_racing_for_one_slot(world):
    room = make_room(world)
    shift = make_shift(room, world.users["psych_a"])
    homeroom = world.users["homeroom_a"]
    second_psych = factories.user_with_role("psych_teacher", world.school_a, username="psych_x")
    slot = f"{shift.pk}|{shift.starts_at.isoformat()}"

    def post(user, student_key):
        def call():
            client = Client()
            client.force_login(user)
            number = world.students[student_key].student_number
            return client.post(
                f"/counseling/appointments/book/?student_number={number}",
                {"slot": slot, "topic": ""},
            )

        return call

    responses = barrier_race(post(homeroom, "a"), post(second_psych, "a_other_class"))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 400], responses
    loser = next(r for r in responses if r.status_code == 400)
    assert str(services.SLOT_TAKEN) in loser.content.decode()
    assert Appointment.objects.count() == 1
