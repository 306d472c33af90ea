"""What the schema fuzz test (test_api_schema_fuzz.py) found, each pinned by a plain test."""

import pytest

from mhcare.core import errors
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_an_api_url_that_matches_nothing_answers_json_404(client, world):
    login(client, world.users["psych_a"])
    response = client.get("/api/v1/students/not-a-number/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    # a page keeps the app's HTML page
    assert client.get("/students/not-a-number/")["Content-Type"].startswith("text/html")


def test_a_nul_character_in_the_query_is_400_not_a_server_error(client, world):
    login(client, world.users["center_a"])
    response = client.get("/api/v1/staffing/schools/", {"unit": "33\x0001"})
    assert response.status_code == 400
    assert response.json() == {"detail": str(errors.NUL_IN_REQUEST)}
    page = client.get("/students/", {"q": "a\x00"})
    assert page.status_code == 400


@pytest.mark.zh
def test_the_nul_message_speaks_chinese(client, world):
    login(client, world.users["center_a"])
    response = client.get("/api/v1/staffing/schools/", {"unit": "\x00"})
    assert "零字节" in response.json()["detail"]


def test_a_watch_list_filter_out_of_range_is_ignored_not_a_server_error(client, world):
    login(client, world.users["psych_a"])
    url = "/api/v1/counseling/guidance/watch-list/"
    assert client.get(url, {"quiet_days": 10**12, "responsible": 10**30}).status_code == 200


def test_a_lesson_for_a_class_out_of_scope_is_a_json_404(client, world):
    login(client, world.users["psych_a"])
    response = client.post(
        "/api/v1/staffing/lessons/",
        {"classes": [world.class_b.pk], "given_on": "2026-10-10", "hours": "1", "topic": "t"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_schema_documents_the_error_answers(client, world):
    login(client, world.users["official_a"])
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"400", "403", "404"} <= set(operation["responses"]), (method, path)


def test_the_schema_documents_201_where_the_api_creates(client, world):
    login(client, world.users["official_a"])
    paths = client.get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/counseling/guidance/students/{id}/records/",
        "/api/v1/counseling/centers/checklists/{id}/judgements/",
        "/api/v1/counseling/supervision/sessions/",
        "/api/v1/counseling/supervision/stations/",
    ):
        codes = set(paths[path]["post"]["responses"])
        assert "201" in codes, path
        assert "200" not in codes, path
