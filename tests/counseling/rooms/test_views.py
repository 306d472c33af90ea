"""Room and duty pages and the rooms / shifts API: scope matrix (anonymous, wrong role, another
school or county, a user with two roles in two units, allowed), writes, query bounds, OpenAPI."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from counseling.models import CounselingRoom, DutyShift, OpeningHours
from tests.conftest import login
from tests.counseling.room_helpers import make_room, make_shift, tomorrow

pytestmark = pytest.mark.django_db

# who → (status of the pages, sees school A's room)
MATRIX = [
    (None, 302, False),
    ("homeroom_a", 403, False),
    ("official_a", 403, False),
    ("admin", 403, False),
    ("two_roles", 200, False),
    ("psych_b", 200, False),
    ("center_b", 200, False),
    ("psych_a", 200, True),
    ("leader_a", 200, True),
    ("center_a", 200, True),
]


def _user(world, two_roles, who):
    if who is None:
        return None
    return two_roles if who == "two_roles" else world.users[who]


@pytest.fixture
def room_a(world):
    room = make_room(world)
    make_shift(room, world.users["psych_a"])
    return room


@pytest.mark.parametrize(("who", "status", "sees"), MATRIX)
def test_room_pages_matrix(client, world, two_roles, room_a, who, status, sees):
    user = _user(world, two_roles, who)
    if user:
        login(client, user)
    rooms = client.get("/counseling/rooms/")
    duty = client.get(f"/counseling/duty/?week={tomorrow().isoformat()}")
    assert rooms.status_code == duty.status_code == status
    if status == 200:
        assert (f'data-room="{room_a.pk}"' in rooms.content.decode()) == sees
        assert (f'data-shift="{room_a.shifts.get().pk}"' in duty.content.decode()) == sees
    detail = client.get(f"/counseling/rooms/{room_a.pk}/")
    expected = status if status != 200 else (200 if sees else 404)
    assert detail.status_code == expected


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 302), ("homeroom_a", 403), ("official_a", 403), ("psych_a", 200), ("center_a", 200)],
)
def test_room_create_page_matrix(client, world, who, status):
    if who:
        login(client, world.users[who])
    assert client.get("/counseling/rooms/new/").status_code == status


def test_writes_from_another_school_leave_no_trace(client, world, two_roles, room_a):
    for user in (world.users["psych_b"], two_roles):
        login(client, user)
        hours = client.post(
            f"/counseling/rooms/{room_a.pk}/hours/",
            {"weekday": 0, "opens": "16:30", "closes": "18:00"},
        )
        assert hours.status_code == 404
        shift = client.post(
            "/counseling/duty/shifts/",
            {
                "room": room_a.pk,
                "counselor": user.pk,
                "day": tomorrow().isoformat(),
                "starts": "13:00",
                "ends": "14:00",
            },
        )
        assert shift.status_code == 400
    assert not OpeningHours.objects.exists()
    assert DutyShift.objects.count() == 1


def test_a_leader_creates_a_room_adds_hours_and_a_shift(client, world):
    login(client, world.users["leader_a"])
    response = client.post(
        "/counseling/rooms/new/",
        {
            "unit": world.school_a.pk,
            "name": "沙盘室",
            "place": "实验楼一楼",
            "standards": ["sandplay", "privacy"],
            "capacity": 4,
        },
    )
    room = CounselingRoom.objects.get(name="沙盘室")
    assert response.status_code == 302
    assert room.standards == ["sandplay", "privacy"]
    response = client.post(
        f"/counseling/rooms/{room.pk}/hours/",
        {"weekday": 2, "opens": "16:30", "closes": "18:30", "is_extended": "on"},
    )
    assert response.status_code == 302
    assert room.hours.get().is_extended
    response = client.post(
        "/counseling/duty/shifts/",
        {
            "room": room.pk,
            "counselor": world.users["psych_a"].pk,
            "day": tomorrow().isoformat(),
            "starts": "16:30",
            "ends": "18:00",
        },
    )
    assert response.status_code == 302
    # the same person again at an overlapping time: the form says why
    response = client.post(
        "/counseling/duty/shifts/",
        {
            "room": room.pk,
            "counselor": world.users["psych_a"].pk,
            "day": tomorrow().isoformat(),
            "starts": "17:00",
            "ends": "19:00",
        },
    )
    assert response.status_code == 400
    assert "already holds a shift" in response.content.decode()


def test_query_bounds(client, world, django_assert_max_num_queries):
    for index in range(6):
        room = make_room(world, name=f"辅导室{index}")
        make_shift(room, world.users["psych_a"], start=8 + index, end=9 + index)
    login(client, world.users["center_a"])
    with django_assert_max_num_queries(12):
        assert client.get("/counseling/rooms/").status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(f"/counseling/duty/?week={tomorrow().isoformat()}").status_code == 200
    api = APIClient()
    api.force_authenticate(world.users["center_a"])
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/counseling/rooms/").json()["results"]) == 6
    with django_assert_max_num_queries(8):
        rows = api.get(f"/api/v1/counseling/shifts/?week={tomorrow().isoformat()}").json()
    assert len(rows["results"]) == 6


@pytest.mark.parametrize(("who", "status", "sees"), MATRIX)
def test_api_matrix(world, two_roles, room_a, who, status, sees):
    client = APIClient()
    user = _user(world, two_roles, who)
    if user:
        client.force_authenticate(user)
    expected = 403 if status != 200 else 200
    for url in (
        "/api/v1/counseling/rooms/",
        f"/api/v1/counseling/shifts/?week={tomorrow().isoformat()}",
    ):
        response = client.get(url)
        assert response.status_code == expected
        if expected == 200:
            ids = {row["id"] for row in response.json()["results"]}
            wanted = room_a.pk if "rooms" in url else room_a.shifts.get().pk
            assert (wanted in ids) == sees


def test_api_writes(world, two_roles, room_a):
    client = APIClient()
    client.force_authenticate(world.users["psych_b"])
    response = client.post(
        "/api/v1/counseling/shifts/",
        {
            "room": room_a.pk,
            "counselor": world.users["psych_b"].pk,
            "starts_at": f"{tomorrow().isoformat()}T13:00:00+08:00",
            "ends_at": f"{tomorrow().isoformat()}T14:00:00+08:00",
        },
        format="json",
    )
    assert response.status_code == 404
    client.force_authenticate(world.users["psych_a"])
    overlap = client.post(
        "/api/v1/counseling/shifts/",
        {
            "room": room_a.pk,
            "counselor": world.users["psych_a"].pk,
            "starts_at": f"{tomorrow().isoformat()}T10:00:00+08:00",
            "ends_at": f"{tomorrow().isoformat()}T13:00:00+08:00",
        },
        format="json",
    )
    assert overlap.status_code == 400
    assert "already holds a shift" in overlap.content.decode()
    created = client.post(
        "/api/v1/counseling/rooms/",
        {"unit": world.school_a.pk, "name": "团辅室", "place": "二楼", "standards": ["group"]},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["standards"] == ["group"]
    client.force_authenticate(world.users["homeroom_a"])
    assert client.post("/api/v1/counseling/rooms/", {}, format="json").status_code == 403


def test_the_apis_are_in_the_openapi_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in (
        "/api/v1/counseling/rooms/",
        "/api/v1/counseling/shifts/",
        "/api/v1/counseling/appointments/",
        "/api/v1/counseling/appointments/{id}/status/",
        "/api/v1/counseling/sessions/",
        "/api/v1/counseling/sessions/{id}/",
        "/api/v1/counseling/sessions/log/",
    ):
        assert path in schema["paths"], path


def test_opening_hours_removed_only_by_a_keeper(client, world, room_a):
    import datetime

    from counseling.rooms.services import opening_hours_add

    hours = opening_hours_add(
        actor=world.users["psych_a"],
        room=room_a,
        weekday=4,
        opens=datetime.time(12),
        closes=datetime.time(13),
    )
    login(client, world.users["psych_b"])
    url = f"/counseling/rooms/{room_a.pk}/hours/remove/"
    assert client.post(url, {"hours": hours.pk}).status_code == 404
    login(client, world.users["leader_a"])
    page = client.get(f"/counseling/rooms/{room_a.pk}/")
    assert f'name="hours" value="{hours.pk}"' in page.content.decode()
    assert client.post(url, {"hours": hours.pk}).status_code == 302
    assert not OpeningHours.objects.exists()
