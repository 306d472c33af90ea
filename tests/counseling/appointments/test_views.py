"""Appointment pages and API: scope matrix (with a user holding two roles in two units), booking
through the page and the API, the counselor's day, query bounds."""

import pytest
from rest_framework.test import APIClient

from counseling.models import Appointment
from tests.conftest import login
from tests.counseling.room_helpers import book, make_room, make_shift, tomorrow

pytestmark = pytest.mark.django_db

# who → (status, sees the appointment booked by homeroom_a for student a of school A)
MATRIX = [
    (None, 302, False),
    ("official_a", 403, False),
    ("admin", 403, False),
    ("leader_a", 403, False),
    ("two_roles", 200, False),
    ("psych_b", 200, False),
    ("center_b", 200, False),
    ("homeroom_a", 200, True),
    ("psych_a", 200, True),
    ("center_a", 200, True),
]


def _user(world, two_roles, who):
    if who is None:
        return None
    return two_roles if who == "two_roles" else world.users[who]


@pytest.fixture
def appointment(world):
    shift = make_shift(make_room(world), world.users["psych_a"])
    return book(world, shift, actor=world.users["homeroom_a"])


@pytest.mark.parametrize(("who", "status", "sees"), MATRIX)
def test_pages_matrix(client, world, two_roles, appointment, who, status, sees):
    user = _user(world, two_roles, who)
    if user:
        login(client, user)
    listing = client.get(f"/counseling/appointments/?day={tomorrow().isoformat()}")
    assert listing.status_code == status
    detail = client.get(f"/counseling/appointments/{appointment.pk}/")
    assert detail.status_code == (status if status != 200 else (200 if sees else 404))
    if status == 200:
        text = listing.content.decode()
        assert (f'data-appointment="{appointment.pk}"' in text) == sees
        assert (world.students["a"].name in text) == sees
    changed = client.post(
        f"/counseling/appointments/{appointment.pk}/status/",
        {"status": "cancelled", "reason": "x"},
    )
    if not sees:
        assert changed.status_code in (302, 403, 404)
        appointment.refresh_from_db()
        assert appointment.status == "requested"


@pytest.mark.parametrize(("who", "status", "sees"), MATRIX)
def test_api_matrix(world, two_roles, appointment, who, status, sees):
    client = APIClient()
    user = _user(world, two_roles, who)
    if user:
        client.force_authenticate(user)
    response = client.get("/api/v1/counseling/appointments/")
    assert response.status_code == (403 if status != 200 else 200)
    if status == 200:
        assert (appointment.pk in {r["id"] for r in response.json()["results"]}) == sees
    confirm = client.post(
        f"/api/v1/counseling/appointments/{appointment.pk}/status/",
        {"status": "confirmed"},
        format="json",
    )
    expected = {None: 403}.get(who, 403 if status != 200 else (404 if not sees else None))
    if expected is not None:
        assert confirm.status_code == expected
    appointment.refresh_from_db()
    assert appointment.status == ("confirmed" if who == "psych_a" else "requested")


def test_booking_page_finds_the_student_and_books_a_slot(client, world):
    shift = make_shift(make_room(world), world.users["psych_a"])
    login(client, world.users["homeroom_a"])
    number = world.students["a"].student_number
    page = client.get(f"/counseling/appointments/book/?student_number={number}")
    assert page.status_code == 200
    assert page.content.decode().count('name="slot"') == 4
    other = world.students["a_other_class"].student_number
    refused = client.get(f"/counseling/appointments/book/?student_number={other}")
    assert "No student of yours" in refused.content.decode()
    response = client.post(
        f"/counseling/appointments/book/?student_number={number}",
        {"slot": f"{shift.pk}|{shift.starts_at.isoformat()}", "topic": "最近常哭"},
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.topic == "最近常哭"
    assert appointment.booked_by == world.users["homeroom_a"]


def test_api_booking(world):
    shift = make_shift(make_room(world), world.users["psych_a"])
    client = APIClient()
    client.force_authenticate(world.users["psych_b"])
    payload = {
        "student": world.students["a"].pk,
        "shift": shift.pk,
        "starts_at": shift.starts_at.isoformat(),
    }
    assert (
        client.post("/api/v1/counseling/appointments/", payload, format="json").status_code == 404
    )
    client.force_authenticate(world.users["psych_a"])
    created = client.post("/api/v1/counseling/appointments/", payload, format="json")
    assert created.status_code == 201
    payload["student"] = world.students["a_other_class"].pk
    taken = client.post("/api/v1/counseling/appointments/", payload, format="json")
    assert taken.status_code == 400
    assert "just booked" in taken.content.decode()
    assert Appointment.objects.count() == 1


def test_the_counselor_s_day_and_home_panel(client, world):
    shift = make_shift(make_room(world), world.users["psych_a"])
    book(world, shift)
    login(client, world.users["psych_a"])
    day = client.get(f"/counseling/appointments/?day={tomorrow().isoformat()}&mine=1")
    assert world.students["a"].name in day.content.decode()
    home = client.get("/")
    assert 'data-panel="counseling_today"' in home.content.decode()


def test_query_bounds(client, world, django_assert_max_num_queries):
    room = make_room(world)
    shift = make_shift(room, world.users["psych_a"], start=8, end=16)
    students = [world.students["a"], world.students["a_other_class"]]
    from tests import factories

    students += [factories.StudentFactory(klass=world.class_a) for _ in range(6)]
    for index, student in enumerate(students):
        book(world, shift, student=student, hour=8 + (index * 45) // 60, minute=(index * 45) % 60)
    login(client, world.users["psych_a"])
    with django_assert_max_num_queries(14):
        response = client.get(f"/counseling/appointments/?day={tomorrow().isoformat()}")
    assert response.content.decode().count("data-appointment=") == 8
    api = APIClient()
    api.force_authenticate(world.users["psych_a"])
    with django_assert_max_num_queries(10):
        assert len(api.get("/api/v1/counseling/appointments/").json()["results"]) == 8


def test_the_reason_is_for_the_counselor_and_the_booker_only(client, world, psych_a2, appointment):
    topic = appointment.topic
    for user, reads in (
        (world.users["homeroom_a"], True),
        (world.users["psych_a"], True),
        (psych_a2, False),
        (world.users["center_a"], False),
    ):
        login(client, user)
        page = client.get(f"/counseling/appointments/{appointment.pk}/")
        assert page.status_code == 200
        assert (topic in page.content.decode()) == reads
        api = APIClient()
        api.force_authenticate(user)
        rows = api.get("/api/v1/counseling/appointments/").json()["results"]
        assert [r["topic"] for r in rows] == [topic if reads else ""]
