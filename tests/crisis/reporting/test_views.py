"""The "not yet reported" page, one report's page and GET /api/v1/crisis/reports/: scope matrix
(anonymous, wrong role, another school / county, allowed), hours left, audit, query counts, and
the JSON format in the OpenAPI schema."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from crisis.models import ReportStatus
from mhcare.audit.models import Action, AuditEvent
from tests.crisis.reporting.helpers import make_case, make_report


@pytest.fixture
def reports(world):
    now = timezone.now()
    a = make_report(
        make_case(world.students["a"], responsible=world.users["psych_a"]),
        due_by=now - datetime.timedelta(hours=3),
        status=ReportStatus.FAILED,
        attempts=4,
        last_error="HTTP 503: maintenance",
    )
    a2 = make_report(make_case(world.students["a2"]), due_by=now + datetime.timedelta(hours=20))
    b = make_report(make_case(world.students["b"]), due_by=now + datetime.timedelta(hours=5))
    sent = make_report(
        make_case(world.students["a_other_class"]),
        status=ReportStatus.SENT,
        sent_at=now,
        response={"receipt": "R-9"},
    )
    return {"a": a, "a2": a2, "b": b, "sent": sent}


LIST = reverse("crisis:report_unreported")


def _ids(response):
    return {row.report.pk for row in response.context["page"].rows}


def test_anonymous_is_sent_to_the_login_page(client, reports):
    assert client.get(LIST).status_code == 302
    assert client.get(reverse("crisis:report_detail", args=[reports["a"].pk])).status_code == 302


@pytest.mark.parametrize("username", ["homeroom_a", "official_a", "official_province", "admin"])
def test_roles_that_never_see_cases_get_403_before_any_lookup(client, world, reports, username):
    client.force_login(world.users[username])
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("crisis:report_detail", args=[reports["a"].pk])).status_code == 403
    assert client.get(reverse("crisis:report_detail", args=[999999])).status_code == 403
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()


@pytest.mark.parametrize(
    ("username", "visible"),
    [("psych_a", {"a"}), ("leader_a", {"a"}), ("center_a", {"a", "a2"}), ("psych_b", {"b"})],
)
def test_each_role_sees_the_unsent_reports_of_its_school_or_county(
    client, world, reports, username, visible, django_assert_max_num_queries
):
    client.force_login(world.users[username])
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert response.status_code == 200
    assert _ids(response) == {reports[key].pk for key in visible}
    # one VIEW event for the list, naming the reports shown
    event = AuditEvent.objects.get(action=Action.VIEW)
    assert set(event.detail["report_ids"]) == {reports[key].pk for key in visible}


def test_the_list_shows_hours_left_red_when_overdue_with_attempts_and_error(client, world, reports):
    client.force_login(world.users["center_a"])
    response = client.get(LIST)
    rows = response.context["page"].rows
    assert [row.report.pk for row in rows] == [reports["a"].pk, reports["a2"].pk]  # most urgent
    assert rows[0].is_overdue
    assert -3.1 <= rows[0].hours_left <= -2.9
    assert 19.9 <= rows[1].hours_left <= 20.0
    html = response.content.decode()
    assert 'data-testid="overdue"' in html
    assert "HTTP 503: maintenance" in html
    assert "张小明" in html


def test_the_list_says_when_delivery_is_not_configured(client, world, reports, settings):
    client.force_login(world.users["psych_a"])
    settings.PROVINCIAL_REPORT_URL = "http://127.0.0.1:9/platform"
    assert 'data-testid="delivery-off"' not in client.get(LIST).content.decode()
    settings.PROVINCIAL_REPORT_URL = ""
    html = client.get(LIST).content.decode()
    assert 'data-testid="delivery-off"' in html
    assert "nothing is being sent" in html


def test_the_list_pages_by_keyset(client, world, reports):
    client.force_login(world.users["center_a"])
    response = client.get(LIST, {"after": reports["a"].pk})
    assert _ids(response) == {reports["a2"].pk}


@pytest.mark.parametrize(
    ("username", "key", "status"),
    [
        ("psych_a", "a", 200),
        ("leader_a", "a", 200),
        ("center_a", "a2", 200),
        ("psych_a", "a2", 404),  # another school of the county
        ("psych_b", "a", 404),  # another county
        ("center_b", "a", 404),
        ("psych_a", "sent", 200),
    ],
)
def test_report_page_scope(client, world, reports, username, key, status):
    client.force_login(world.users[username])
    response = client.get(reverse("crisis:report_detail", args=[reports[key].pk]))
    assert response.status_code == status
    events = AuditEvent.objects.filter(action=Action.VIEW)
    if status == 200:
        [event] = events
        assert event.object_id == str(reports[key].pk)
        assert event.student_id == reports[key].case.student_id
    else:
        assert not events.exists()


def test_a_missing_report_is_the_same_404(client, world):
    client.force_login(world.users["psych_a"])
    assert client.get(reverse("crisis:report_detail", args=[999999])).status_code == 404


def test_the_report_page_shows_what_was_sent_and_the_answer(client, world, reports):
    client.force_login(world.users["psych_a"])
    html = client.get(reverse("crisis:report_detail", args=[reports["sent"].pk])).content.decode()
    assert "mhcare.case-report/1" in html
    assert "R-9" in html


# --- API -------------------------------------------------------------------------------------

API = "/api/v1/crisis/reports/"


def test_api_anonymous_and_wrong_roles_are_refused(world, reports):
    api = APIClient()
    assert api.get(API).status_code in (401, 403)
    for username in ("homeroom_a", "official_a", "admin"):
        api.force_authenticate(world.users[username])
        assert api.get(API).status_code == 403
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("psych_a", {"a", "sent"}),
        ("leader_a", {"a", "sent"}),
        ("center_a", {"a", "a2", "sent"}),
        ("center_b", {"b"}),
    ],
)
def test_api_lists_the_actors_reports_with_the_payload(
    world, reports, username, visible, django_assert_max_num_queries
):
    api = APIClient()
    api.force_authenticate(world.users[username])
    with django_assert_max_num_queries(10):
        response = api.get(API)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["id"] for row in rows} == {reports[key].pk for key in visible}
    assert all(row["payload"]["schema"] == "mhcare.case-report/1" for row in rows)
    assert AuditEvent.objects.filter(action=Action.VIEW).count() == 1


def test_api_filters_by_status(world, reports):
    api = APIClient()
    api.force_authenticate(world.users["psych_a"])
    rows = api.get(API, {"status": "sent"}).json()["results"]
    assert [row["id"] for row in rows] == [reports["sent"].pk]


def test_the_openapi_schema_documents_the_report_json():
    schema = SchemaGenerator().get_schema(public=True)
    payload = schema["components"]["schemas"]["CaseReportPayload"]
    assert {"schema", "case_id", "version", "student", "school", "county", "reported_at"} <= set(
        payload["properties"]
    )
    assert "Idempotency-Key" in payload["description"]
    operation = schema["paths"]["/api/v1/crisis/reports/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["examples"]


@pytest.mark.zh
def test_teachers_read_plain_words_about_delivery_administrators_the_setting(
    client, world, reports, settings
):
    settings.PROVINCIAL_REPORT_URL = ""
    client.force_login(world.users["psych_a"])
    html = client.get(LIST).content.decode()
    assert "上报尚未接通省平台" in html
    assert "PROVINCIAL_REPORT_URL" not in html
    world.users["psych_a"].is_superuser = True
    world.users["psych_a"].save(update_fields=["is_superuser"])
    html = client.get(LIST).content.decode()
    assert "上报尚未接通省平台" in html
    assert 'data-testid="delivery-off-admin"' in html
    assert "PROVINCIAL_REPORT_URL" in html
