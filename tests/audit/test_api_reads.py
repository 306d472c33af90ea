"""Every /api/v1/ read of student-linked rows writes a VIEW audit event in the same transaction,
like the pages: one per list request naming the rows returned, one per object for details. If
the event cannot be written, the read fails and returns nothing (fail closed)."""

import pytest
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from rest_framework.test import APIClient

from mhcare.audit.models import Action, AuditEvent
from screening.models import Instrument
from screening.observations import services as observation_services
from screening.services import result_create
from tests.crisis.incidents.conftest import make_incident
from tests.crisis.reporting.helpers import make_case, make_report


@pytest.fixture
def rows(world):
    student = world.students["a"]
    result = result_create(
        actor=world.users["psych_a"],
        student=student,
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=[1] * 9,
        administered_on=timezone.localdate(),
    )
    observation = observation_services.observation_report(
        actor=world.users["homeroom_a"],
        student=student,
        category="mood",
        description="上课常发呆",
        observed_on=timezone.localdate(),
    )
    return {
        "student": student,
        "result": result,
        "observation": observation,
        "incident": make_incident(world),
        "report": make_report(make_case(student)),
    }


def _last_event_id():
    return AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


LISTS = [
    ("/api/v1/students/", "orgs.student", "student"),
    ("/api/v1/screening/results/", "screening.screeningresult", "result"),
    ("/api/v1/screening/observations/", "screening.observation", "observation"),
    ("/api/v1/crisis/incidents/", "crisis.incident", "incident"),
]


@pytest.mark.parametrize(("url", "object_type", "key"), LISTS)
def test_each_list_endpoint_writes_one_view_event_naming_its_rows(
    world, rows, url, object_type, key
):
    before = _last_event_id()
    response = _client(world.users["psych_a"]).get(url)
    assert response.status_code == 200
    assert rows[key].pk in {row["id"] for row in response.json()["results"]}
    event = AuditEvent.objects.get(action=Action.VIEW, pk__gt=before)
    assert event.object_type == object_type
    assert event.actor_id == world.users["psych_a"].pk
    assert rows[key].pk in event.detail["ids"]
    assert rows["student"].pk in event.detail["student_ids"]
    assert event.detail["via"] == "api"


def test_the_reports_list_writes_its_event(world, rows):
    before = _last_event_id()
    response = _client(world.users["psych_a"]).get("/api/v1/crisis/reports/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=Action.VIEW, pk__gt=before)
    assert event.object_type == "crisis.casereport"
    assert rows["report"].pk in event.detail["report_ids"]


def test_the_student_detail_writes_one_event_for_the_student(world, rows):
    before = _last_event_id()
    student = rows["student"]
    response = _client(world.users["psych_a"]).get(f"/api/v1/students/{student.pk}/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=Action.VIEW, pk__gt=before)
    assert (event.object_type, event.object_id, event.student_id) == (
        "orgs.student",
        str(student.pk),
        student.pk,
    )


def test_a_read_whose_audit_cannot_be_written_fails_and_returns_nothing(world, rows):
    # given the audit table refuses inserts (as if the database rejected the event)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit refused'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_auditevent "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()"
        )
    client = _client(world.users["psych_a"])
    client.raise_request_exception = False
    response = client.get("/api/v1/students/")
    assert response.status_code == 500
    assert rows["student"].name not in response.content.decode()
