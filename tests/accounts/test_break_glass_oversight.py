"""The emergency accesses are listed for those concerned — the leaders of the record's school, the
county center over it, the auditor — with who opened what, why and until when (reading the list
is audited); a live one is ended early by its holder or by a leader / the county center (audited,
the record is a 404 again at once); nobody else sees or ends it (the same 404)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crisis import services
from mhcare.accounts import breakglass
from mhcare.accounts.models import BreakGlassGrant, Role
from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from tests import factories

REASON = "学生在校外发生紧急情况，需要立即了解其危机个案"


@pytest.fixture
def case_a(world):
    return services.evaluation_confirm(
        actor=world.users["psych_a"], student=world.students["a"], level="2", reason="面谈确认"
    ).case


@pytest.fixture
def grant(world, case_a):
    """psych_b (school B) opened school A's case in an emergency."""
    breakglass.break_glass_open(actor=world.users["psych_b"], query=str(case_a.pk), reason=REASON)
    return BreakGlassGrant.objects.get(user=world.users["psych_b"])


@pytest.fixture
def auditor(world):
    return factories.user_with_role(Role.AUDITOR, world.province, username="auditor")


@pytest.mark.parametrize("who", ["leader_a", "center_a", "auditor"])
def test_those_concerned_see_who_opened_what_why_and_until_when(
    client, world, grant, auditor, who, django_assert_max_num_queries
):
    user = auditor if who == "auditor" else world.users[who]
    client.force_login(user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("accounts:emergency_grants"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "psych_b" in text
    assert REASON in text
    assert f"crisis.case #{grant.object_id}" in text
    assert timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M") in text
    # reading the reasons is audited
    event = AuditEvent.objects.filter(
        actor_username=user.username, action=Action.VIEW, object_type="accounts.breakglassgrant"
    ).get()
    assert event.detail["grants"] == [grant.pk]
    # the auditor reads, never ends
    assert ('data-testid="end-grant"' in text) is (who != "auditor")


@pytest.mark.parametrize("who", ["leader_b", "center_b", "psych_a", "homeroom_a", "official_a"])
def test_others_do_not_see_the_grants_of_school_a(client, world, grant, who):
    user = world.users.get(who) or factories.user_with_role(
        Role.SCHOOL_LEADER, world.school_b, username=who
    )
    client.force_login(user)
    response = client.get(reverse("accounts:emergency_grants"))
    if response.status_code == 200:
        assert REASON not in response.content.decode()
        assert response.context["rows"] == []
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("who", ["psych_b", "leader_a", "center_a"])
def test_a_live_grant_is_ended_early_audited_and_the_record_closes(client, world, grant, who):
    user = world.users[who]
    client.force_login(user)
    response = client.post(reverse("accounts:emergency_grant_end", args=[grant.pk]))
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.ended_by == user
    assert grant.ended_at is not None
    assert not grant.is_live
    assert not BreakGlassGrant.objects.live().exists()
    event = AuditEvent.objects.get(
        action=Action.UPDATE, object_type="accounts.breakglassgrant", object_id=str(grant.pk)
    )
    assert event.actor_username == user.username
    assert event.detail["break_glass"] == "ended"
    # the holder's record is a 404 again at once
    holder = type(client)()
    holder.force_login(world.users["psych_b"])
    case_url = reverse("crisis:case_detail", args=[grant.object_id])
    assert holder.get(case_url).status_code == 404
    # someone else ending it tells the holder
    told = Notification.objects.filter(
        recipient=world.users["psych_b"], key=f"break-glass-ended:{grant.pk}"
    ).exists()
    assert told is (who != "psych_b")
    # ending twice changes nothing
    again = client.post(reverse("accounts:emergency_grant_end", args=[grant.pk]))
    assert again.status_code == 302
    grant.refresh_from_db()
    assert grant.ended_by == user
    assert AuditEvent.objects.filter(action=Action.UPDATE, object_id=str(grant.pk)).count() == 1


@pytest.mark.parametrize(("who", "status"), [("center_b", 404), ("official_a", 403)])
def test_nobody_else_ends_it(client, world, grant, who, status):
    client.force_login(world.users[who])
    response = client.post(reverse("accounts:emergency_grant_end", args=[grant.pk]))
    assert response.status_code == status
    grant.refresh_from_db()
    assert grant.is_live
    assert not AuditEvent.objects.filter(action=Action.UPDATE, object_id=str(grant.pk)).exists()


def test_the_auditor_cannot_end_it(client, world, grant, auditor):
    client.force_login(auditor)
    assert client.post(reverse("accounts:emergency_grant_end", args=[grant.pk])).status_code == 403
    grant.refresh_from_db()
    assert grant.is_live


def test_an_expired_grant_is_listed_as_past_and_cannot_be_ended(client, world, grant):
    past = timezone.now() - datetime.timedelta(hours=30)
    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        created_at=past, expires_at=past + datetime.timedelta(hours=24)
    )
    client.force_login(world.users["leader_a"])
    page = client.get(reverse("accounts:emergency_grants")).content.decode()
    assert "Expired" in page
    assert 'data-testid="end-grant"' not in page
    client.post(reverse("accounts:emergency_grant_end", args=[grant.pk]))
    grant.refresh_from_db()
    assert grant.ended_at is None


def test_the_holder_ends_it_from_the_emergency_page(client, world, grant):
    client.force_login(world.users["psych_b"])
    page = client.get(reverse("accounts:emergency_access")).content.decode()
    assert 'data-testid="end-own-grant"' in page
    response = client.post(reverse("accounts:emergency_grant_end", args=[grant.pk]))
    assert response["Location"] == reverse("accounts:emergency_access")
    assert "Ended at" in client.get(reverse("accounts:emergency_access")).content.decode()
