"""Break-glass emergency access (issue 13, DHIS2 pattern): a county center or a school's crisis
group opens a crisis case outside their scope by stating a reason; audited, the school's leader is
told, at most 24 hours, 404 again after expiry; not for other roles, not for other record kinds."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from crisis import services
from crisis.models import Case, FollowUp, FollowUpWay
from mhcare.accounts import breakglass, scope
from mhcare.accounts.models import BreakGlassGrant, Role
from mhcare.accounts.scope import RecordKind
from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from tests import factories

REASON = "学生在校外发生紧急情况，需要立即了解其危机个案"


@pytest.fixture
def case_a(world):
    """A crisis case of school A (county A)."""
    return services.evaluation_confirm(
        actor=world.users["psych_a"],
        student=world.students["a"],
        level="2",
        reason="面谈确认有消极想法",
    ).case


def _open(client, query, reason=REASON):
    return client.post(reverse("accounts:emergency_access"), {"query": query, "reason": reason})


def _expire(user):
    past = timezone.now() - datetime.timedelta(hours=30)
    BreakGlassGrant.objects.filter(user=user).update(
        created_at=past, expires_at=past + datetime.timedelta(hours=24)
    )


@pytest.mark.parametrize("who", ["center_b", "psych_b"])
def test_before_after_and_after_expiry(client, world, case_a, who):
    user = world.users[who]
    client.force_login(user)
    url = reverse("crisis:case_detail", args=[case_a.pk])
    assert client.get(url).status_code == 404

    response = _open(client, str(case_a.pk))
    assert response.status_code == 302
    assert response["Location"] == url
    page = client.get(url)
    assert page.status_code == 200
    grant = BreakGlassGrant.objects.get(user=user)
    assert grant.reason == REASON
    assert grant.expires_at - grant.created_at == datetime.timedelta(hours=24)
    event = AuditEvent.objects.get(
        action=Action.CREATE, object_type="accounts.breakglassgrant", object_id=str(grant.pk)
    )
    assert event.actor_username == user.username
    assert event.detail["break_glass"] == "crisis.case"
    assert event.student_id == case_a.student_id
    note = Notification.objects.get(recipient=world.users["leader_a"], kind="break_glass")
    assert REASON in note.detail
    assert not Notification.objects.filter(kind="break_glass").exclude(
        recipient=world.users["leader_a"]
    )
    # read only: a grant is no write access
    follow = client.post(reverse("crisis:case_follow_up", args=[case_a.pk]), {})
    assert follow.status_code in (403, 404)

    _expire(user)
    fresh = type(client)()
    fresh.force_login(user)
    assert fresh.get(url).status_code == 404


def test_by_student_number_and_the_case_history_opens_with_it(client, world, case_a):
    services.follow_up_record(
        actor=world.users["psych_a"],
        case=case_a,
        done_on=timezone.localdate(),
        way=FollowUpWay.values[0],
        state_observed="回访时情绪平稳",
    )
    user = world.users["center_b"]
    client.force_login(user)
    response = _open(client, world.students["a"].student_number)
    assert response.status_code == 302
    assert scope.scoped(user, Case, break_glass=True).filter(pk=case_a.pk).exists()
    assert scope.scoped(user, FollowUp, break_glass=True).count() == 1
    page = client.get(reverse("crisis:case_detail", args=[case_a.pk]))
    assert "回访时情绪平稳" in page.content.decode()


def test_other_record_kinds_stay_closed(world, case_a):
    user = world.users["center_b"]
    breakglass.break_glass_open(actor=user, query=str(case_a.pk), reason=REASON)
    assert scope.scoped(user, Case, break_glass=True).filter(pk=case_a.pk).exists()
    # the same case as a flag, the student, her scores: none opened
    assert (
        not scope.scoped(user, Case, kind=RecordKind.FLAG, break_glass=True)
        .filter(pk=case_a.pk)
        .exists()
    )
    from mhcare.orgs.models import Student
    from screening.models import ScreeningResult

    assert not scope.scoped(user, Student, break_glass=True).filter(pk=case_a.student_id).exists()
    assert (
        not scope.scoped(user, ScreeningResult, break_glass=True)
        .filter(student=case_a.student)
        .exists()
    )


def test_student_page_stays_404(client, world, case_a):
    user = world.users["center_b"]
    client.force_login(user)
    _open(client, str(case_a.pk))
    student_url = reverse("orgs:student_detail", args=[case_a.student_id])
    assert client.get(student_url).status_code == 404


@pytest.mark.parametrize("who", ["homeroom_a", "official_a", "official_province", "admin"])
def test_not_for_other_roles(client, world, case_a, who):
    user = world.users[who]
    client.force_login(user)
    assert client.get(reverse("accounts:emergency_access")).status_code == 403
    assert _open(client, str(case_a.pk)).status_code == 403
    with pytest.raises(PermissionDenied):
        breakglass.break_glass_open(actor=user, query=str(case_a.pk), reason=REASON)
    assert not BreakGlassGrant.objects.exists()


def test_a_grant_row_does_not_open_anything_for_a_role_without_break_glass(world, case_a):
    official = world.users["official_a"]
    now = timezone.now()
    BreakGlassGrant.objects.create(
        user=official,
        object_type="crisis.case",
        object_id=case_a.pk,
        school=world.school_a,
        reason=REASON,
        created_at=now,
        expires_at=now + datetime.timedelta(hours=1),
    )
    assert not scope.scoped(official, Case, break_glass=True).exists()


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("accounts:emergency_access"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_reason_is_required_and_a_miss_is_audited(client, world, case_a):
    client.force_login(world.users["center_b"])
    short = _open(client, str(case_a.pk), reason="急")
    assert short.status_code == 400
    assert not BreakGlassGrant.objects.exists()
    miss = _open(client, "99999999")
    assert miss.status_code == 400
    assert breakglass.NOT_FOUND_ERROR in miss.context["form"].non_field_errors()
    assert AuditEvent.objects.filter(detail__break_glass="no_match").exists()


def test_a_case_in_scope_needs_no_grant(client, world, case_a):
    client.force_login(world.users["center_a"])
    response = _open(client, str(case_a.pk))
    assert response.status_code == 302
    assert not BreakGlassGrant.objects.exists()


def test_the_setting_and_the_24_hour_ceiling(settings, world, case_a):
    settings.BREAK_GLASS_HOURS = 4
    breakglass.break_glass_open(actor=world.users["center_b"], query=str(case_a.pk), reason=REASON)
    grant = BreakGlassGrant.objects.get()
    assert grant.expires_at - grant.created_at == datetime.timedelta(hours=4)
    settings.BREAK_GLASS_HOURS = 100
    assert breakglass.grant_hours() == 24
    with pytest.raises(IntegrityError), transaction.atomic():
        BreakGlassGrant.objects.filter(pk=grant.pk).update(
            expires_at=grant.created_at + datetime.timedelta(hours=25)
        )


def test_two_roles_in_two_units(client, world, case_a):
    """A homeroom teacher of school A who is psychology teacher of school B breaks the glass under
    the psych role and opens A's case (which the homeroom role shows as a flag only)."""
    user = world.users["homeroom_a"]
    factories.RoleAssignmentFactory(user=user, role=Role.PSYCH_TEACHER, org_unit=world.school_b)
    client.force_login(user)
    url = reverse("crisis:case_detail", args=[case_a.pk])
    assert client.get(url).status_code == 404
    assert _open(client, str(case_a.pk)).status_code == 302
    assert client.get(url).status_code == 200


def test_the_page_lists_the_users_grants(client, world, case_a, django_assert_max_num_queries):
    user = world.users["center_b"]
    client.force_login(user)
    _open(client, str(case_a.pk))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("accounts:emergency_access"))
    assert page.status_code == 200
    assert f"crisis.case #{case_a.pk}" in page.content.decode()
    assert f'href="{reverse("crisis:case_detail", args=[case_a.pk])}"' in page.content.decode()


def test_validation_error_for_short_reason_service(world, case_a):
    with pytest.raises(ValidationError):
        breakglass.break_glass_open(actor=world.users["center_b"], query=str(case_a.pk), reason="x")


def test_lists_exports_and_counts_do_not_include_the_opened_case(client, world, case_a):
    """The grant opens the one record's page, nothing else: not the high-risk list, not its
    export, not a plain scoped() read (aggregates)."""
    user = world.users["psych_b"]
    client.force_login(user)
    _open(client, str(case_a.pk))
    assert client.get(reverse("crisis:case_detail", args=[case_a.pk])).status_code == 200
    assert not scope.scoped(user, Case).filter(pk=case_a.pk).exists()
    listing = client.get(reverse("crisis:highrisk_list"))
    assert listing.status_code == 200
    assert world.students["a"].name not in listing.content.decode()
