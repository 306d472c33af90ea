import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from counseling.models import FlagChange, GuidanceRecord
from mhcare.audit.models import Action, AuditEvent
from tests.counseling.guidance.conftest import SUMMARY

BASE = "/api/v1/counseling/guidance"


@pytest.fixture
def api():
    return APIClient()


def test_anonymous_gets_401_or_403(api, world, flagged):
    assert api.get(f"{BASE}/watch-list/").status_code in (401, 403)
    assert api.get(f"{BASE}/students/{flagged['a'].pk}/records/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("who", "status", "expected"),
    [
        ("psych_a", 200, {"a"}),
        ("homeroom_a", 200, {"a"}),
        ("center_a", 200, {"a", "a2"}),
        ("official_a", 403, None),
        ("admin", 403, None),
    ],
)
def test_watch_list_api_scope(api, world, flagged, who, status, expected):
    api.force_authenticate(world.users[who])
    response = api.get(f"{BASE}/watch-list/")
    assert response.status_code == status
    if expected is not None:
        ids = {row["id"] for row in response.data["results"]}
        assert ids == {flagged[k].pk for k in expected}
        assert AuditEvent.objects.filter(action=Action.VIEW, object_type="orgs.student").exists()


def test_watch_list_api_two_roles(api, world, flagged, two_roles):
    api.force_authenticate(two_roles)
    ids = {row["id"] for row in api.get(f"{BASE}/watch-list/").data["results"]}
    assert ids == {flagged["a2"].pk, flagged["b"].pk}


def test_watch_list_api_query_bound(api, world, flagged, record_a, django_assert_max_num_queries):
    api.force_authenticate(world.users["center_a"])
    with django_assert_max_num_queries(8):
        response = api.get(f"{BASE}/watch-list/", {"flag": "economic"})
    assert [row["id"] for row in response.data["results"]] == [flagged["a"].pk]
    assert response.data["results"][0]["last_guidance"] is not None


def test_flags_api(api, world, flagged):
    url = f"{BASE}/students/{flagged['a'].pk}/flags/"
    api.force_authenticate(world.users["psych_a"])
    response = api.post(url, {"flags": ["peer"], "reason": "同伴冲突"}, format="json")
    assert response.status_code == 200
    assert response.data == {"old": ["economic"], "new": ["peer"]}
    assert api.post(url, {"flags": ["peer"], "reason": ""}, format="json").status_code == 400
    api.force_authenticate(world.users["psych_b"])
    assert api.post(url, {"flags": [], "reason": "x"}, format="json").status_code == 404
    api.force_authenticate(world.users["homeroom_a"])
    assert api.post(url, {"flags": [], "reason": "x"}, format="json").status_code == 403
    assert FlagChange.objects.count() == 1


def test_responsible_api(api, world, flagged):
    url = f"{BASE}/students/{flagged['a'].pk}/responsible/"
    api.force_authenticate(world.users["psych_a"])
    ok = api.post(url, {"teacher": world.users["homeroom_a"].pk}, format="json")
    assert ok.status_code == 200
    refused = api.post(url, {"teacher": world.users["psych_b"].pk}, format="json")
    assert refused.status_code == 400


@pytest.mark.parametrize(
    ("who", "text"),
    [("psych_a", True), ("center_a", True), ("leader_a", False), ("homeroom_a", False)],
)
def test_records_api_text_only_for_note_readers(api, world, record_a, who, text):
    api.force_authenticate(world.users[who])
    response = api.get(f"{BASE}/students/{record_a.student.pk}/records/")
    assert response.status_code == 200
    (row,) = response.data
    assert row["shows_text"] is text
    assert (row["summary"] == SUMMARY) is text
    assert (SUMMARY in response.content.decode()) is text


@pytest.mark.parametrize("who", ["official_a", "psych_b"])
def test_records_api_404_outside(api, world, record_a, who):
    api.force_authenticate(world.users[who])
    assert api.get(f"{BASE}/students/{record_a.student.pk}/records/").status_code == 404


def test_records_api_post(api, world, flagged):
    url = f"{BASE}/students/{flagged['a'].pk}/records/"
    data = {
        "kind": "individual",
        "occurred_on": timezone.localdate().isoformat(),
        "summary": "谈话",
    }
    api.force_authenticate(world.users["leader_a"])
    assert api.post(url, data, format="json").status_code == 403
    api.force_authenticate(world.users["psych_a"])
    response = api.post(url, data, format="json")
    assert response.status_code == 201
    assert response.data["summary"] == "谈话"
    bad = api.post(url, {**data, "kind": "peer"}, format="json")
    assert bad.status_code == 400
    assert GuidanceRecord.objects.count() == 1
