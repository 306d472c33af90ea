"""The bureau reads an incident's narrative only as the school cleared it of names (issue 13):
officials see the checklist times at once, the narrative and the timeline's free text only after
the school clears a text without names, and only the timeline written up to that moment."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from crisis.incidents import selectors, services
from mhcare.audit.models import AuditEvent
from tests.crisis.incidents.conftest import SUMMARY

pytestmark = pytest.mark.django_db

NAMED = "张小明在操场与同学冲突后情绪激动。"
CLEARED = "一名八年级学生在课间情绪激动，已由心理教师陪同。"


def _page(client, user, incident):
    client.force_login(user)
    response = client.get(reverse("crisis:incident_detail", args=[incident.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_official_reads_no_narrative_until_the_school_clears_one(client, world, incident_a):
    services.incident_action_add(
        actor=world.users["psych_a"], incident=incident_a, at=timezone.now(), description=NAMED
    )
    official = world.users["official_a"]
    html = _page(client, official, incident_a)
    assert SUMMARY not in html
    assert NAMED not in html
    assert "has not cleared a text without names" in html
    # the school still reads everything
    school_html = _page(client, world.users["psych_a"], incident_a)
    assert SUMMARY in school_html
    assert NAMED in school_html


def test_after_clearance_the_official_reads_the_cleared_text_and_the_earlier_timeline(
    client, world, incident_a
):
    psych = world.users["psych_a"]
    services.incident_action_add(
        actor=psych, incident=incident_a, at=timezone.now(), description="已联系家长到校。"
    )
    services.incident_clear_for_bureau(actor=psych, incident=incident_a, bureau_summary=CLEARED)
    services.incident_action_add(
        actor=psych, incident=incident_a, at=timezone.now(), description=NAMED
    )
    incident_a.refresh_from_db()
    rows = selectors.incident_timeline(actor=world.users["official_a"], incident=incident_a)
    texts = [row.text for row in rows]
    assert "已联系家长到校。" in texts
    assert NAMED not in texts
    assert selectors.incident_summary(actor=world.users["official_a"], incident=incident_a) == (
        CLEARED
    )
    html = _page(client, world.users["official_a"], incident_a)
    assert CLEARED in html
    assert SUMMARY not in html


def test_only_a_manager_of_the_school_clears_and_an_empty_text_is_refused(world, incident_a):
    with pytest.raises(PermissionDenied):
        services.incident_clear_for_bureau(
            actor=world.users["psych_b"], incident=incident_a, bureau_summary=CLEARED
        )
    with pytest.raises(ValidationError):
        services.incident_clear_for_bureau(
            actor=world.users["psych_a"], incident=incident_a, bureau_summary="  "
        )
    incident_a.refresh_from_db()
    assert incident_a.cleared_for_bureau_at is None


def test_clearing_through_the_page_is_audited(client, world, incident_a):
    client.force_login(world.users["leader_a"])
    response = client.post(
        reverse("crisis:incident_clear_for_bureau", args=[incident_a.pk]),
        {"bureau_summary": CLEARED},
    )
    assert response.status_code == 302
    incident_a.refresh_from_db()
    assert incident_a.bureau_summary == CLEARED
    assert incident_a.cleared_by == world.users["leader_a"]
    assert AuditEvent.objects.filter(
        object_type="crisis.incident",
        object_id=str(incident_a.pk),
        detail__has_key="cleared_for_bureau",
    ).exists()


def test_an_official_cannot_clear(client, world, incident_a):
    client.force_login(world.users["official_a"])
    response = client.post(
        reverse("crisis:incident_clear_for_bureau", args=[incident_a.pk]),
        {"bureau_summary": CLEARED},
    )
    assert response.status_code == 403
    incident_a.refresh_from_db()
    assert incident_a.cleared_for_bureau_at is None
