"""Overlapping shifts of one person requested at the same time: the database refuses the second
(exclusion constraint, not a check in Python), and the service says so in plain words."""

import pytest
from django.core.exceptions import ValidationError

from counseling.models import DutyShift
from counseling.rooms import services
from tests.counseling.race import race
from tests.counseling.room_helpers import at, make_room, tomorrow

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_racing_transactions_cannot_both_put_one_person_on_duty(world, center_unit_a):
    center = world.users["center_a"]
    school_room = make_room(world)
    center_room = make_room(world, unit=center_unit_a, actor=center)
    day = tomorrow()

    def first():
        return services.shift_create(
            actor=world.users["psych_a"],
            room=school_room,
            counselor=center,
            starts_at=at(day, 9),
            ends_at=at(day, 12),
        )

    def second():
        return services.shift_create(
            actor=center,
            room=center_room,
            counselor=center,
            starts_at=at(day, 10),
            ends_at=at(day, 11),
        )

    results = race(first, second)
    assert isinstance(results["first"], DutyShift)
    assert results["second_was_waiting"], "the second insert did not wait for the first"
    assert isinstance(results["second"], ValidationError)
    assert services.SHIFT_OVERLAP in results["second"].messages
    assert list(DutyShift.objects.values_list("room_id", flat=True)) == [school_room.pk]
