"""GET /api/v1/crisis/incidents/: scope matrix, no student identity nor narrative, filters,
cursor pages, query bound, OpenAPI schema."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from crisis.incidents import services
from tests.crisis.incidents.conftest import SUMMARY, make_incident

URL = "/api/v1/crisis/incidents/"

API_MATRIX = [
    (None, 403, set()),
    ("homeroom_a", 403, set()),
    ("admin", 403, set()),
    ("psych_a", 200, {"a"}),
    ("leader_a", 200, {"a"}),
    ("center_a", 200, {"a", "a2"}),
    ("center_b", 200, {"b"}),
    ("official_a", 200, {"a", "a2"}),
    ("official_b", 200, {"b"}),
    ("official_province", 200, {"a", "a2", "b"}),
]


@pytest.mark.parametrize(("who", "status", "visible"), API_MATRIX)
def test_api_matrix(world, official_b, who, status, visible):
    incidents = {
        "a": make_incident(world),
        "a2": make_incident(world, school=world.school_a2),
        "b": make_incident(world, school=world.school_b),
    }
    client = APIClient()
    if who:
        client.force_authenticate(official_b if who == "official_b" else world.users[who])
    response = client.get(URL)
    assert response.status_code == status
    if status == 200:
        assert {row["id"] for row in response.json()["results"]} == {
            incidents[key].pk for key in visible
        }
        text = response.content.decode()
        assert SUMMARY not in text
        for student in world.students.values():
            assert student.name not in text
            assert student.student_number not in text


def test_api_rows_filters_and_pages(world, django_assert_max_num_queries):
    made = [make_incident(world, hours_ago=h) for h in range(1, 8)]
    services.incident_checklist_tick(
        actor=world.users["psych_a"], incident=made[0], step="plan_started_at"
    )
    client = APIClient()
    client.force_authenticate(world.users["official_a"])
    # + the audit event: savepoint, actor's roles, the page's students, insert, release
    with django_assert_max_num_queries(11):
        first = client.get(URL, {"page_size": 3}).json()
    assert [row["id"] for row in first["results"]] == [i.pk for i in made[:3]]
    row = first["results"][0]
    assert row["student_count"] == 2
    assert row["plan_started_at"] is not None
    assert "plan_started_at" not in row["open_steps"]
    assert len(row["open_steps"]) == 6
    ids = [r["id"] for r in first["results"]]
    following = first["next"]
    while following:
        page = client.get(following).json()
        ids += [r["id"] for r in page["results"]]
        following = page["next"]
    assert ids == [i.pk for i in made]
    filtered = client.get(URL, {"open_step": "plan_started_at"}).json()["results"]
    assert made[0].pk not in {r["id"] for r in filtered}
    assert len(filtered) == 6
    assert client.get(URL, {"kind": "violence"}).json()["results"] == []


def test_the_api_is_in_the_openapi_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/crisis/incidents/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"kind", "severity", "open_step", "cursor"} <= names
