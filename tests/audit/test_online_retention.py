"""The audit log stays online at least six months (等保三级): the setting says how long, a system
check refuses less than 183 days, nothing removes an event (the table refuses DELETE, the
retention job leaves the audit app alone) and the auditor's page states the guarantee."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from mhcare.accounts.models import Role
from mhcare.audit.checks import (
    AUDIT_ONLINE_RETENTION_MIN_DAYS,
    RETENTION_TOO_SHORT_ID,
    audit_online_since,
    audit_retention_check,
)
from mhcare.audit.models import Action, AuditEvent
from mhcare.audit.services import audit_record
from mhcare.core.retention.services import SKIPPED_APPS
from tests import factories


@pytest.mark.parametrize(("days", "ids"), [(182, [RETENTION_TOO_SHORT_ID]), (183, []), (365, [])])
def test_the_check_refuses_less_than_six_months(settings, days, ids):
    settings.AUDIT_ONLINE_RETENTION_DAYS = days
    assert [message.id for message in audit_retention_check()] == ids


def test_the_check_stops_manage_py(settings):
    settings.AUDIT_ONLINE_RETENTION_DAYS = 90
    with pytest.raises(SystemCheckError, match="mhcare.audit.E001"):
        call_command("check")


def test_the_default_keeps_at_least_six_months():
    from mhcare.settings import base

    assert base.AUDIT_ONLINE_RETENTION_DAYS >= AUDIT_ONLINE_RETENTION_MIN_DAYS


def test_the_online_window_never_shrinks_below_the_floor(settings):
    now = timezone.now()
    settings.AUDIT_ONLINE_RETENTION_DAYS = 400
    assert audit_online_since(now) == now - datetime.timedelta(days=400)
    settings.AUDIT_ONLINE_RETENTION_DAYS = 10  # refused by the check; the floor holds anyway
    assert audit_online_since(now) == now - datetime.timedelta(days=183)


@pytest.mark.django_db
def test_no_event_can_be_deleted_and_the_retention_job_skips_the_audit_log(world):
    event = audit_record(actor=world.users["psych_a"], action=Action.VIEW, object_id="1")
    assert "audit" in SKIPPED_APPS
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_the_auditor_page_states_the_online_retention(client, world, settings):
    settings.AUDIT_ONLINE_RETENTION_DAYS = 200
    auditor = factories.user_with_role(Role.AUDITOR, world.province, username="auditor")
    client.force_login(auditor)
    response = client.get(reverse("audit:log"))
    assert "at least 200 days" in response.content.decode()
