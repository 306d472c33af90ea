import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from mhcare.accounts.models import Role, RoleAssignment
from mhcare.audit.models import Action, AuditEvent
from mhcare.orgs.models import OrgUnit, Student
from tests import factories


@pytest.fixture
def platform_admin(world):
    user = world.users["admin"]
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


def test_platform_admin_manages_org_tree_users_and_assignments(client, platform_admin, world):
    client.force_login(platform_admin)
    assert client.get(reverse("admin:index")).status_code == 200
    for name in [
        "orgs_orgunit_changelist",
        "orgs_schoolclass_changelist",
        "orgs_schoolyear_changelist",
        "accounts_user_changelist",
        "accounts_roleassignment_changelist",
    ]:
        assert client.get(reverse(f"admin:{name}")).status_code == 200, name
    # separation of duties: the audit log is the auditor's, not the platform administrator's
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403
    response = client.get(reverse("admin:orgs_orgunit_change", args=[world.school_a.pk]))
    assert response.status_code == 200

    response = client.post(
        reverse("admin:orgs_orgunit_add"),
        {
            "code": "3301069999",
            "name": "新学校",
            "kind": "school",
            "parent": world.county_a.pk,
            "stage": "junior",
            "campus_count": 1,
            "enrolled_count": 100,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    school = OrgUnit.objects.get(code="3301069999")
    assert school.path == world.county_a.path + "3301069999/"
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="orgs.orgunit", object_id=str(school.pk)
    ).exists()


def test_platform_admin_sees_no_student_data(client, platform_admin, world):
    # even holding the Django view permission, the role's scope has no students
    platform_admin.user_permissions.add(
        Permission.objects.get(codename="view_student"),
        Permission.objects.get(codename="view_guardian"),
    )
    client.force_login(platform_admin)
    response = client.get(reverse("admin:orgs_student_changelist"))
    assert response.status_code == 200
    assert "张小明" not in response.content.decode()
    assert response.context["cl"].result_count == 0
    student = world.students["a"]
    assert client.get(reverse("admin:orgs_student_change", args=[student.pk])).status_code == 302
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()
    assert client.get(reverse("admin:orgs_guardian_changelist")).context["cl"].result_count == 0


def test_platform_admin_without_permission_cannot_open_students(client, platform_admin):
    client.force_login(platform_admin)
    assert client.get(reverse("admin:orgs_student_changelist")).status_code == 403


def test_staff_with_school_role_sees_own_school_only(client, world):
    user = world.users["psych_a"]
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_student"))
    client.force_login(user)
    response = client.get(reverse("admin:orgs_student_changelist"))
    names = {s.name for s in response.context["cl"].result_list}
    assert names == {"张小明", "李小红"}
    other = world.students["b"]
    assert client.get(reverse("admin:orgs_student_change", args=[other.pk])).status_code == 302
    own = world.students["a"]
    assert client.get(reverse("admin:orgs_student_change", args=[own.pk])).status_code == 200
    event = AuditEvent.objects.get(action=Action.VIEW)
    assert (event.student_id, event.actor_id) == (own.pk, user.pk)


def test_superuser_sees_all_students(client, superuser, world):
    client.force_login(superuser)
    response = client.get(reverse("admin:orgs_student_changelist"))
    assert response.context["cl"].result_count == Student.objects.count()


def test_audit_and_notifications_are_read_only_even_for_superuser(client, superuser, world):
    from mhcare.audit.services import audit_record
    from mhcare.notifications.services import notification_send

    event = audit_record(actor=superuser, action=Action.VIEW, student=world.students["a"])
    notification = notification_send(recipient=superuser, kind="k", key="k", title="t")
    client.force_login(superuser)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    response = client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {})
    assert response.status_code == 403
    assert client.get(reverse("admin:audit_auditevent_change", args=[event.pk])).status_code == 200
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403
    assert (
        client.get(
            reverse("admin:notifications_notification_delete", args=[notification.pk])
        ).status_code
        == 403
    )


def test_platform_admin_cannot_escalate(client, platform_admin, superuser, world):
    client.force_login(platform_admin)
    # cannot see or edit a superuser
    assert client.get(reverse("admin:accounts_user_change", args=[superuser.pk])).status_code == 302
    # cannot edit own account (and so own role assignments)
    response = client.post(
        reverse("admin:accounts_user_change", args=[platform_admin.pk]), {"username": "admin"}
    )
    assert response.status_code == 403
    # cannot hand a role to themselves through the assignment admin
    response = client.post(
        reverse("admin:accounts_roleassignment_add"),
        {
            "user": platform_admin.pk,
            "role": Role.PSYCH_TEACHER,
            "org_unit": world.school_a.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user=platform_admin, role=Role.PSYCH_TEACHER).exists()
    # but may give a role to another user
    teacher = factories.UserFactory(username="newteacher")
    response = client.post(
        reverse("admin:accounts_roleassignment_add"),
        {
            "user": teacher.pk,
            "role": Role.PSYCH_TEACHER,
            "org_unit": world.school_a.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=teacher, role=Role.PSYCH_TEACHER).exists()
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="accounts.roleassignment"
    ).exists()


def test_non_staff_cannot_use_admin(client, world):
    client.force_login(world.users["admin"])  # platform admin role but not is_staff
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_platform_admin_creates_an_account_without_setting_its_password(
    client, platform_admin, django_capture_on_commit_callbacks, mailoutbox
):
    """Separation of duties: the new account's owner chooses the password through a one-time
    link; the administrator never knows it, not even the first one."""
    client.force_login(platform_admin)
    add = reverse("admin:accounts_user_add")
    form = client.get(add).content.decode()
    assert 'name="password1"' not in form
    assert 'name="usable_password"' not in form

    # a password slipped into the post is ignored
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            add,
            {
                "username": "new_teacher",
                "display_name": "新老师",
                "email": "new_teacher@example.org",
                "password1": "Chosen-by-admin-1",
                "password2": "Chosen-by-admin-1",
                "assignments-TOTAL_FORMS": "0",
                "assignments-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content
    from mhcare.accounts.models import User

    user = User.objects.get(username="new_teacher")
    assert not user.has_usable_password()
    assert not user.check_password("Chosen-by-admin-1")
    assert [m.to for m in mailoutbox] == [["new_teacher@example.org"]]
    assert "/accounts/reset/" in mailoutbox[0].body
    assert AuditEvent.objects.filter(
        action=Action.UPDATE, object_id=str(user.pk), detail__password_reset="sent"
    ).exists()


def test_platform_admin_must_give_the_new_account_an_email(client, platform_admin):
    client.force_login(platform_admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"username": "no_mail", "assignments-TOTAL_FORMS": "0", "assignments-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 200
    from mhcare.accounts.models import User

    assert not User.objects.filter(username="no_mail").exists()


def test_superuser_keeps_djangos_add_form(client, superuser):
    client.force_login(superuser)
    assert 'name="password1"' in client.get(reverse("admin:accounts_user_add")).content.decode()
