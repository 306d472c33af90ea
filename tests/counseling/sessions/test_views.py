"""Session notes are invisible to the school leader, the homeroom teacher and the other
counselors — pages AND API; the leader and the county center see that a session happened (date,
counselor, duration), never what was said; a share opens one record to one person. Scope matrix
with a user holding two roles in two units, query bounds."""

import pytest
from rest_framework.test import APIClient

from counseling.models import CounselingSession
from mhcare.audit.models import AuditEvent
from tests.conftest import login
from tests.counseling.room_helpers import SUMMARY, THEME, record

pytestmark = pytest.mark.django_db

# who → (status of the record pages, reads the record, status of the log page)
MATRIX = [
    (None, 302, False, 302),
    ("homeroom_a", 403, False, 403),
    ("official_a", 403, False, 403),
    ("admin", 403, False, 403),
    ("leader_a", 200, False, 200),
    ("psych_a2", 200, False, 403),
    ("psych_b", 200, False, 403),
    ("two_roles", 200, False, 403),
    ("center_a", 200, False, 200),
    ("center_b", 200, False, 200),
    ("psych_a", 200, True, 403),
]


def _user(world, extra, who):
    if who is None:
        return None
    return extra.get(who) or world.users[who]


@pytest.fixture
def extra(two_roles, psych_a2):
    return {"two_roles": two_roles, "psych_a2": psych_a2}


def _leaks(text: str, world) -> bool:
    return SUMMARY in text or THEME in text or world.students["a"].name in text


@pytest.mark.parametrize(("who", "status", "reads", "log_status"), MATRIX)
def test_pages_matrix(client, world, extra, who, status, reads, log_status):
    session = record(world)
    user = _user(world, extra, who)
    if user:
        login(client, user)
    listing = client.get("/counseling/sessions/")
    detail = client.get(f"/counseling/sessions/{session.pk}/")
    assert listing.status_code == status
    assert detail.status_code == (status if status != 200 else (200 if reads else 404))
    if status == 200:
        assert _leaks(listing.content.decode(), world) == reads
        assert _leaks(detail.content.decode(), world) == reads
    log = client.get("/counseling/sessions/log/")
    assert log.status_code == log_status
    if log_status == 200:
        text = log.content.decode()
        assert not _leaks(text, world)
        assert (world.users["psych_a"].display_name in text) == (who in ("leader_a", "center_a"))
    shared = client.post(
        f"/counseling/sessions/{session.pk}/share/", {"recipient": user.pk if user else 0}
    )
    assert shared.status_code != 200
    opened = AuditEvent.objects.filter(
        object_type="counseling.counselingsession", action="view", object_id=str(session.pk)
    )
    assert opened.exists() == reads


@pytest.mark.parametrize(("who", "status", "reads", "log_status"), MATRIX)
def test_api_matrix(world, extra, who, status, reads, log_status):
    session = record(world)
    client = APIClient()
    user = _user(world, extra, who)
    if user:
        client.force_authenticate(user)
    api_status = 403 if status != 200 else 200
    listing = client.get("/api/v1/counseling/sessions/")
    detail = client.get(f"/api/v1/counseling/sessions/{session.pk}/")
    log = client.get("/api/v1/counseling/sessions/log/")
    assert listing.status_code == api_status
    assert detail.status_code == (api_status if api_status != 200 else (200 if reads else 404))
    assert log.status_code == (403 if log_status != 200 else 200)
    if api_status == 200:
        assert _leaks(listing.content.decode(), world) == reads
        assert _leaks(detail.content.decode(), world) == reads
    if log_status == 200:
        assert not _leaks(log.content.decode(), world)
        rows = log.json()["results"]
        assert bool(rows) == (who in ("leader_a", "center_a"))
        if rows:
            assert set(rows[0]) == {
                "id",
                "held_on",
                "duration_minutes",
                "counselor_name",
                "school_name",
            }


def test_a_share_opens_one_record_to_one_person(client, world, psych_a2):
    session = record(world)
    other = record(world, theme="另一次")
    login(client, world.users["leader_a"])
    response = client.post(f"/counseling/sessions/{session.pk}/share/", {"recipient": psych_a2.pk})
    assert response.status_code == 404  # the leader may share but does not read it
    from counseling.sessions.services import session_share

    session_share(actor=world.users["leader_a"], session=session, recipient=psych_a2)
    login(client, psych_a2)
    assert client.get(f"/counseling/sessions/{session.pk}/").status_code == 200
    assert client.get(f"/counseling/sessions/{other.pk}/").status_code == 404
    api = APIClient()
    api.force_authenticate(psych_a2)
    assert [r["id"] for r in api.get("/api/v1/counseling/sessions/").json()["results"]] == [
        session.pk
    ]


def test_recording_through_the_page_and_the_api(client, world):
    login(client, world.users["psych_a"])
    number = world.students["a"].student_number
    response = client.post(
        f"/counseling/sessions/new/?student_number={number}",
        {
            "held_on": "2026-01-05",
            "duration_minutes": 40,
            "theme": THEME,
            "summary": SUMMARY,
            "plan": "",
            "risk_observed": "3",
            "propose_risk": "on",
        },
    )
    assert response.status_code == 302
    api = APIClient()
    api.force_authenticate(world.users["psych_b"])
    payload = {
        "student": world.students["a"].pk,
        "held_on": "2026-01-06",
        "duration_minutes": 30,
        "theme": "t",
        "summary": "s",
    }
    assert api.post("/api/v1/counseling/sessions/", payload, format="json").status_code == 404
    api.force_authenticate(world.users["psych_a"])
    created = api.post("/api/v1/counseling/sessions/", payload, format="json")
    assert created.status_code == 201
    assert CounselingSession.objects.count() == 2
    api.force_authenticate(world.users["leader_a"])
    assert api.post("/api/v1/counseling/sessions/", payload, format="json").status_code == 403


def test_query_bounds(client, world, django_assert_max_num_queries):
    for index in range(8):
        record(world, duration_minutes=30 + index)
    login(client, world.users["psych_a"])
    # session, user, grants, shares, rows, audit (savepoint, insert, release), nav and home panels
    with django_assert_max_num_queries(14):
        assert client.get("/counseling/sessions/").content.decode().count("data-session=") == 8
    login(client, world.users["leader_a"])
    with django_assert_max_num_queries(10):
        assert client.get("/counseling/sessions/log/").status_code == 200
    api = APIClient()
    api.force_authenticate(world.users["psych_a"])
    with django_assert_max_num_queries(12):
        assert len(api.get("/api/v1/counseling/sessions/").json()["results"]) == 8
    api.force_authenticate(world.users["center_a"])
    with django_assert_max_num_queries(10):
        assert len(api.get("/api/v1/counseling/sessions/log/").json()["results"]) == 8
