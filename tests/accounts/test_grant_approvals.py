"""Separation of duties (issue 13): a role that sees student data is granted by two people."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from mhcare.accounts import approvals, scope
from mhcare.accounts.models import GrantStatus, Role, RoleAssignment
from mhcare.audit.models import AuditEvent
from mhcare.notifications.models import Notification
from tests import factories


def _request(world, user, role=Role.PSYCH_TEACHER, unit=None, actor=None, klass=None):
    return approvals.assignment_request(
        actor=actor or world.users["admin"],
        user=user,
        role=role,
        org_unit=unit or world.school_a,
        klass=klass,
        via="test",
    )


def _fresh(user):
    """The user as a new request would load it (scope caches grants per user object)."""
    return type(user).objects.get(pk=user.pk)


def test_student_data_roles_are_listed_in_one_place():
    assert {
        Role.PSYCH_TEACHER,
        Role.HOMEROOM_TEACHER,
        Role.SUBJECT_TEACHER,
        Role.SCHOOL_LEADER,
        Role.COUNTY_CENTER,
        Role.OFFICIAL,  # incidents name the student
        Role.INSTITUTION_STAFF,  # referrals shared with the institution
    } == scope.STUDENT_DATA_ROLES
    assert not approvals.needs_approval(Role.PLATFORM_ADMIN)
    assert not approvals.needs_approval(Role.AUDITOR)
    assert not approvals.needs_approval(Role.SUPERVISOR)


def test_a_pending_psychology_teacher_sees_nothing_until_the_leader_approves(client, world):
    # given a grant asked for by the platform administrator
    teacher = factories.UserFactory(username="newpsych")
    assignment = _request(world, teacher)
    assert (assignment.status, assignment.is_active) == (GrantStatus.PENDING, False)
    assert scope.grants(_fresh(teacher)) == []
    client.force_login(teacher)
    url = reverse("orgs:student_detail", args=[world.students["a"].pk])
    # no active role at all: the page itself is refused (a teacher with an active role elsewhere
    # gets the scope's 404: test_two_role_user_keeps_the_first_role_while_the_second_waits)
    assert client.get(url).status_code == 403
    assert not scope.scoped(_fresh(teacher), type(world.students["a"])).exists()
    # when the school's leader approves
    approvals.assignment_approve(actor=world.users["leader_a"], assignment=assignment)
    # then
    assignment.refresh_from_db()
    assert (assignment.status, assignment.is_active) == (GrantStatus.APPROVED, True)
    assert assignment.decided_by == world.users["leader_a"]
    assert client.get(url).status_code == 200


def test_the_requester_and_the_person_granted_cannot_approve(world):
    leader = world.users["leader_a"]
    # the leader asked for it: a second person decides
    asked = _request(world, factories.UserFactory(), actor=leader)
    with pytest.raises(PermissionDenied):
        approvals.assignment_approve(actor=leader, assignment=asked)
    # the leader is the one granted: likewise
    for_leader = _request(world, leader, role=Role.PSYCH_TEACHER)
    with pytest.raises(PermissionDenied):
        approvals.assignment_approve(actor=leader, assignment=for_leader)
    assert not RoleAssignment.objects.filter(is_active=True, status=GrantStatus.PENDING).exists()
    assert (
        RoleAssignment.objects.filter(pk__in=[asked.pk, for_leader.pk], is_active=True).count() == 0
    )
    # the county center above the school may decide both (the school has no other leader)
    approvals.assignment_approve(actor=world.users["center_a"], assignment=asked)
    approvals.assignment_approve(actor=world.users["center_a"], assignment=for_leader)
    assert RoleAssignment.objects.get(pk=for_leader.pk).is_active


def test_the_database_refuses_a_self_decided_or_active_pending_grant(world):
    from django.db import IntegrityError, transaction

    assignment = _request(world, factories.UserFactory())
    with transaction.atomic(), pytest.raises(IntegrityError):
        RoleAssignment.objects.filter(pk=assignment.pk).update(is_active=True)
    with transaction.atomic(), pytest.raises(IntegrityError):
        RoleAssignment.objects.filter(pk=assignment.pk).update(decided_by=world.users["admin"])


def test_a_leader_grant_is_approved_by_another_leader_or_the_county_center(world):
    second_leader = factories.user_with_role(Role.SCHOOL_LEADER, world.school_a)
    newcomer = factories.UserFactory()
    assignment = _request(world, newcomer, role=Role.SCHOOL_LEADER)
    assert {u.pk for u in approvals.approvers(assignment, first_tier_only=True)} == {
        world.users["leader_a"].pk,
        second_leader.pk,
    }
    assert world.users["center_a"] in approvals.approvers(assignment)
    # a leader or the center of another unit may not
    for outsider in (world.users["center_b"], world.users["psych_a"], world.users["official_a"]):
        with pytest.raises(PermissionDenied):
            approvals.assignment_approve(actor=outsider, assignment=assignment)
    approvals.assignment_approve(actor=second_leader, assignment=assignment)
    assert RoleAssignment.objects.get(pk=assignment.pk).is_active


def test_county_and_city_grants_have_their_approvers(world):
    center = _request(world, factories.UserFactory(), role=Role.COUNTY_CENTER, unit=world.county_a)
    assert {u.username for u in approvals.approvers(center, first_tier_only=True)} == {"center_a"}
    assert {u.username for u in approvals.approvers(center)} == {"center_a", "official_a"}
    city = _request(world, factories.UserFactory(), role=Role.OFFICIAL, unit=world.city)
    # no city official yet: the province's officials decide
    assert {u.username for u in approvals.approvers(city, first_tier_only=True)} == {
        "official_province"
    }
    approvals.assignment_approve(actor=world.users["official_province"], assignment=city)
    assert RoleAssignment.objects.get(pk=city.pk).is_active


def test_rejection_needs_a_reason_and_tells_the_requester(world):
    assignment = _request(world, factories.UserFactory())
    with pytest.raises(ValidationError):
        approvals.assignment_reject(
            actor=world.users["leader_a"], assignment=assignment, reason=" "
        )
    approvals.assignment_reject(
        actor=world.users["leader_a"], assignment=assignment, reason="不是本校教师"
    )
    assignment.refresh_from_db()
    assert (assignment.status, assignment.is_active) == (GrantStatus.REJECTED, False)
    assert assignment.rejection_reason == "不是本校教师"
    told = Notification.objects.get(kind=approvals.GRANT_REJECTED_KIND)
    assert told.recipient == world.users["admin"]
    assert "不是本校教师" in told.body
    with pytest.raises(ValidationError):
        approvals.assignment_approve(actor=world.users["leader_a"], assignment=assignment)
    # asked for again, it waits again
    again = _request(world, assignment.user)
    assert (again.pk, again.status) == (assignment.pk, GrantStatus.PENDING)


def test_approvers_and_then_the_units_leaders_are_notified(world):
    second_leader = factories.user_with_role(Role.SCHOOL_LEADER, world.school_a)
    assignment = _request(world, factories.UserFactory(username="xin"))
    requested = Notification.objects.filter(kind=approvals.GRANT_REQUESTED_KIND)
    assert {n.recipient_id for n in requested} == {world.users["leader_a"].pk, second_leader.pk}
    assert all(n.url == reverse("accounts:grant_approvals") for n in requested)
    # the county center is not bothered while the school has leaders who may decide
    assert not requested.filter(recipient=world.users["center_a"]).exists()
    approvals.assignment_approve(actor=world.users["leader_a"], assignment=assignment)
    approved = Notification.objects.filter(kind=approvals.GRANT_APPROVED_KIND)
    assert {n.recipient_id for n in approved} == {second_leader.pk, world.users["admin"].pk}


def test_every_step_is_audited(world):
    assignment = _request(world, factories.UserFactory())
    approvals.assignment_approve(actor=world.users["leader_a"], assignment=assignment)
    approvals.assignment_end(actor=world.users["admin"], assignment=assignment, via="test")
    events = AuditEvent.objects.filter(
        object_type="accounts.roleassignment", object_id=str(assignment.pk)
    ).order_by("id")
    assert [(e.actor_username, e.detail["grant"]) for e in events] == [
        ("admin", "requested"),
        ("leader_a", "approved"),
        ("admin", "ended"),
    ]


def test_a_role_without_student_data_is_granted_at_once(world):
    auditor = factories.UserFactory()
    assignment = _request(world, auditor, role=Role.AUDITOR, unit=world.province)
    assert (assignment.status, assignment.is_active) == (GrantStatus.APPROVED, True)
    assert not Notification.objects.exists()


def test_two_role_user_keeps_the_first_role_while_the_second_waits(client, world):
    psych_b = world.users["psych_b"]
    assignment = _request(world, psych_b, role=Role.SCHOOL_LEADER)
    client.force_login(psych_b)
    url_a = reverse("orgs:student_detail", args=[world.students["a"].pk])
    url_b = reverse("orgs:student_detail", args=[world.students["b"].pk])
    assert client.get(url_b).status_code == 200
    assert client.get(url_a).status_code == 404
    # psych_b cannot approve their own grant, and the leader of A cannot approve grants at B
    with pytest.raises(PermissionDenied):
        approvals.assignment_approve(actor=psych_b, assignment=assignment)
    at_b = _request(world, factories.UserFactory(), unit=world.school_b)
    with pytest.raises(PermissionDenied):
        approvals.assignment_decide_many(
            actor=world.users["leader_a"], ids=[assignment.pk, at_b.pk], approve=True
        )
    assert not RoleAssignment.objects.filter(pk__in=[assignment.pk, at_b.pk], is_active=True)
    approvals.assignment_approve(actor=world.users["leader_a"], assignment=assignment)
    assert client.get(url_a).status_code == 200
    assert {g.role for g in scope.grants(_fresh(psych_b))} == {
        Role.PSYCH_TEACHER,
        Role.SCHOOL_LEADER,
    }


def test_setup_path_grants_at_once(world):
    user = factories.UserFactory()
    assignment = approvals.assignment_grant_setup(
        user=user, role=Role.PSYCH_TEACHER, org_unit=world.school_a, source="seed_province"
    )
    assert (assignment.status, assignment.is_active) == (GrantStatus.APPROVED, True)
    event = AuditEvent.objects.get(object_id=str(assignment.pk))
    assert (event.actor_username, event.detail["source"]) == ("", "seed_province")


# ------------------------------------------------------------------------- the admin's paths


@pytest.fixture
def platform_admin(world):
    user = world.users["admin"]
    user.is_staff = True
    user.save()
    return user


def test_platform_admin_adding_a_school_role_creates_a_pending_grant(client, platform_admin, world):
    teacher = factories.UserFactory(username="newteacher")
    client.force_login(platform_admin)
    response = client.post(
        reverse("admin:accounts_roleassignment_add"),
        {
            "user": teacher.pk,
            "role": Role.PSYCH_TEACHER,
            "org_unit": world.school_a.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    assignment = RoleAssignment.objects.get(user=teacher)
    assert (assignment.status, assignment.is_active) == (GrantStatus.PENDING, False)
    assert assignment.requested_by == platform_admin
    teacher_client = type(client)()
    teacher_client.force_login(teacher)
    url = reverse("orgs:student_detail", args=[world.students["a"].pk])
    assert teacher_client.get(url).status_code == 403  # no active role: no student page at all
    # the leader approves on the approvers' page
    client.force_login(world.users["leader_a"])
    page = client.get(reverse("accounts:grant_approvals"))
    assert page.status_code == 200
    assert "newteacher" in page.content.decode()
    response = client.post(
        reverse("accounts:grant_approvals"), {"ids": [assignment.pk], "decision": "approve"}
    )
    assert response.status_code == 302
    assert teacher_client.get(url).status_code == 200


def test_admin_reactivation_waits_for_approval(client, platform_admin, world):
    assignment = RoleAssignment.objects.get(user=world.users["homeroom_a"])
    approvals.assignment_end(actor=platform_admin, assignment=assignment)
    client.force_login(platform_admin)
    url = reverse("admin:accounts_roleassignment_change", args=[assignment.pk])
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:accounts_roleassignment_add")).status_code == 200
    assert (
        client.get(reverse("admin:accounts_user_change", args=[assignment.user_id])).status_code
        == 200
    )
    response = client.post(url, {"is_active": "on"})
    assert response.status_code == 302, response.content
    assignment.refresh_from_db()
    assert (assignment.status, assignment.is_active) == (GrantStatus.PENDING, False)


def test_admin_user_inline_creates_pending_grants(client, platform_admin, world):
    teacher = factories.UserFactory(username="inlineteacher")
    client.force_login(platform_admin)
    url = reverse("admin:accounts_user_change", args=[teacher.pk])
    data = {
        "username": teacher.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "display_name": "新老师",
        "phone": "",
        "language": "zh-hans",
        "assignments-TOTAL_FORMS": "1",
        "assignments-INITIAL_FORMS": "0",
        "assignments-MIN_NUM_FORMS": "0",
        "assignments-MAX_NUM_FORMS": "1000",
        "assignments-0-role": Role.SCHOOL_LEADER,
        "assignments-0-org_unit": world.school_a.pk,
        "assignments-0-klass": "",
        "assignments-0-is_active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content
    assignment = RoleAssignment.objects.get(user=teacher)
    assert (assignment.role, assignment.status, assignment.is_active) == (
        Role.SCHOOL_LEADER,
        GrantStatus.PENDING,
        False,
    )
    assert AuditEvent.objects.filter(object_id=str(assignment.pk), detail__grant="requested")
    # the role of an existing assignment cannot be changed there (a new grant in disguise)
    data |= {
        "assignments-INITIAL_FORMS": "1",
        "assignments-0-id": assignment.pk,
        "assignments-0-user": teacher.pk,
        "assignments-0-role": Role.PSYCH_TEACHER,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert RoleAssignment.objects.get(pk=assignment.pk).role == Role.SCHOOL_LEADER


def test_the_approvers_page_is_for_approvers_only(client, world):
    url = reverse("accounts:grant_approvals")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for who in ("psych_a", "homeroom_a", "admin"):
        client.force_login(world.users[who])
        assert client.get(url).status_code == 403, who
    assignment = _request(world, factories.UserFactory())
    # a leader of another school sees nothing to decide and cannot post it
    other = factories.user_with_role(Role.SCHOOL_LEADER, world.school_b)
    client.force_login(other)
    response = client.post(url, {"ids": [assignment.pk], "decision": "approve"})
    assert response.status_code == 400
    assert RoleAssignment.objects.get(pk=assignment.pk).status == GrantStatus.PENDING


def test_the_page_lists_pending_grants_in_few_queries(client, world, django_assert_max_num_queries):
    for _n in range(5):
        _request(world, factories.UserFactory())
    client.force_login(world.users["leader_a"])
    with django_assert_max_num_queries(15):
        response = client.get(reverse("accounts:grant_approvals"))
    assert response.content.decode().count('data-testid="grant-row"') == 5


def test_a_rejection_from_the_page_needs_a_reason(client, world):
    assignment = _request(world, factories.UserFactory())
    client.force_login(world.users["leader_a"])
    url = reverse("accounts:grant_approvals")
    response = client.post(url, {"ids": [assignment.pk], "decision": "reject", "reason": ""})
    assert response.status_code == 400
    assert RoleAssignment.objects.get(pk=assignment.pk).status == GrantStatus.PENDING
    response = client.post(
        url, {"ids": [assignment.pk], "decision": "reject", "reason": "查无此人"}
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.get(pk=assignment.pk).rejection_reason == "查无此人"


def test_the_leader_home_shows_the_count_and_the_menu_the_page(client, world):
    _request(world, factories.UserFactory())
    client.force_login(world.users["leader_a"])
    home = client.get(reverse("core:home")).content.decode()
    assert "Role grants awaiting your approval: 1" in home
    assert f'href="{reverse("accounts:grant_approvals")}"' in home
    client.force_login(world.users["psych_a"])
    assert (
        reverse("accounts:grant_approvals") not in client.get(reverse("core:home")).content.decode()
    )
