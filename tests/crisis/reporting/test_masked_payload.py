"""People see the 上报 payload with the student number masked (the report page, the reports
API); the body sent to the provincial platform keeps it in full."""

from django.urls import reverse
from rest_framework.test import APIClient

from crisis.services.reports import masked_payload, report_payload
from tests.crisis.reporting.helpers import make_case, make_report


def test_the_page_and_the_api_mask_the_number_the_platform_body_keeps_it(client, world):
    student = world.students["a"]
    case = make_case(student, responsible=world.users["psych_a"])
    report = make_report(case)
    # the body for the platform carries the full number
    assert report_payload(case)["student"]["student_number"] == student.student_number
    assert report.payload["student"]["student_number"] == student.student_number

    client.force_login(world.users["psych_a"])
    html = client.get(reverse("crisis:report_detail", args=[report.pk])).content.decode()
    assert student.masked_student_number in html
    assert student.student_number not in html

    api = APIClient()
    api.force_authenticate(world.users["psych_a"])
    rows = api.get("/api/v1/crisis/reports/").json()["results"]
    shown = {row["payload"]["student"]["student_number"] for row in rows}
    assert shown == {student.masked_student_number}
    assert student.student_number not in api.get("/api/v1/crisis/reports/").content.decode()


def test_masking_leaves_a_payload_without_a_student_alone():
    assert masked_payload({"schema": "x"}) == {"schema": "x"}
