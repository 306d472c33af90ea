"""The auditor (等保三级 separation of duties): reads and exports the audit log and nothing else;
nobody else — the platform administrator included — opens the audit log pages."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from mhcare.accounts.models import Role
from mhcare.audit.models import Action, AuditEvent
from mhcare.audit.services import audit_record
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(world):
    return factories.user_with_role(Role.AUDITOR, world.province, username="auditor")


def test_the_auditor_reads_filters_and_pages_the_log(client, auditor, world):
    for n in range(3):
        audit_record(actor=world.users["psych_a"], action=Action.VIEW, object_id=str(n))
    audit_record(actor=world.users["psych_b"], action=Action.EXPORT)
    client.force_login(auditor)
    response = client.get(reverse("audit:log"), {"username": "psych_a"})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert {r.actor_username for r in rows} == {"psych_a"}
    assert len(rows) == 3


@pytest.mark.parametrize(
    "username", ["psych_a", "leader_a", "center_a", "official_a", "official_province"]
)
def test_no_one_else_opens_the_audit_log(client, world, username):
    client.force_login(world.users[username])
    assert client.get(reverse("audit:log")).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403


def test_the_platform_administrator_does_not_read_the_audit_log(client, world):
    admin = factories.user_with_role(
        Role.PLATFORM_ADMIN, world.province, username="platform", is_staff=True
    )
    client.force_login(admin)
    assert client.get(reverse("audit:log")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403


def test_the_export_of_a_range_holds_its_events_and_is_itself_audited(client, auditor, world):
    audit_record(actor=world.users["psych_a"], action=Action.VIEW, object_id="=HYPERLINK(1)")
    today = timezone.localdate()
    client.force_login(auditor)
    response = client.get(reverse("audit:export"), {"since": today, "until": today})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(row[2] == "psych_a" for row in values[2:])
    # a formula-like value is stored as text, never as a formula
    cell = next(row[7] for row in values[2:] if row[2] == "psych_a")
    assert cell == "=HYPERLINK(1)"
    assert all(c.data_type == "s" for row in sheet.iter_rows(min_row=3) for c in row[7:8])
    assert AuditEvent.objects.filter(
        actor_username="auditor", action=Action.EXPORT, object_type="audit.auditevent"
    ).exists()


def test_an_export_needs_a_range_and_a_reversed_one_is_refused(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("audit:export"), follow=True)
    assert "Choose the start and end dates" in response.content.decode()
    response = client.get(
        reverse("audit:export"), {"since": "2026-12-05", "until": "2026-12-01"}, follow=True
    )
    assert "before the start date" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_the_auditor_sees_no_student_data(client, auditor, world):
    client.force_login(auditor)
    student = world.students["a"]
    assert client.get(reverse("orgs:student_detail", args=[student.pk])).status_code in {
        403,
        404,
    }
