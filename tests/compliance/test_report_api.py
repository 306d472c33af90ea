"""/api/v1/compliance/reports/: request, status, download (PDF with the caller's watermark, or
Excel), with the pages' scope: another county's report is 404."""

import pytest
from django.urls import reverse

from compliance import services
from compliance.models import ReportRequest
from mhcare.audit.models import Action, AuditEvent
from tests import factories

LIST = reverse("api-compliance-reports")


def test_request_status_download(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.users["official_province"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            LIST, {"unit": world.county_a.code, "period": "2026"}, content_type="application/json"
        )
    assert response.status_code == 202, response.content
    pk = response.json()["id"]
    status = client.get(reverse("api-compliance-report", args=[pk])).json()
    assert (status["status"], status["progress"], status["unit"]) == ("done", 100, "330106")
    response = client.get(reverse("api-compliance-report-download", args=[pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    response = client.get(reverse("api-compliance-report-download", args=[pk]) + "?filetype=xlsx")
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert AuditEvent.objects.filter(action=Action.DOWNLOAD, object_id=str(pk)).count() == 2
    assert [r["id"] for r in client.get(LIST).json()["results"]] == [pk]


def test_bad_period_and_out_of_scope_unit(client, world):
    client.force_login(world.users["official_a"])
    response = client.post(
        LIST, {"unit": world.county_a.code, "period": "2026-13"}, content_type="application/json"
    )
    assert response.status_code == 400
    response = client.post(
        LIST, {"unit": world.county_b.code, "period": "2026"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert not ReportRequest.objects.exists()


@pytest.fixture
def report_a(world):
    report = services.report_request(actor=world.users["official_a"], org_unit=world.county_a)
    services.report_render(report_id=report.pk)
    return report


@pytest.mark.parametrize(
    ("user_key", "status"),
    [("official_province", 200), ("psych_a", 403), ("leader_a", 403), ("center_b", 404)],
)
def test_scope_matrix(client, world, report_a, user_key, status):
    client.force_login(world.users[user_key])
    assert (
        client.get(reverse("api-compliance-report-download", args=[report_a.pk])).status_code
        == status
    )
    assert client.get(reverse("api-compliance-report", args=[report_a.pk])).status_code == status


def test_another_countys_official_cannot_download(client, world, report_a):
    official_b = factories.user_with_role("official", world.county_b, username="official_b")
    client.force_login(official_b)
    before = AuditEvent.objects.count()
    assert (
        client.get(reverse("api-compliance-report-download", args=[report_a.pk])).status_code == 404
    )
    assert client.get(LIST).json()["results"] == []
    assert AuditEvent.objects.count() == before


def test_anonymous(client, report_a):
    assert client.get(LIST).status_code in (401, 403)
    assert client.get(
        reverse("api-compliance-report-download", args=[report_a.pk])
    ).status_code in (
        401,
        403,
    )
