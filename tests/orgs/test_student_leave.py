"""A student leaves the roll (transferred, graduated) or is suspended (休学): the kernel service
``student_leave``, who may (psychology teacher or leader of the student's school; a user with two
roles in two units), the audit, the reason encrypted, and the small form on the student's page."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from mhcare.accounts.models import Role, RoleAssignment
from mhcare.audit.models import AuditEvent
from mhcare.orgs import services
from mhcare.orgs.models import EnrolmentStatus, Student
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 11, 3)


def leave_url(student):
    return reverse("orgs:student_leave", args=[student.pk])


def test_transfer_sets_the_first_day_off_the_roll_audited(world):
    student = world.students["a"]
    services.student_leave(
        actor=world.users["psych_a"],
        student=student,
        status=EnrolmentStatus.TRANSFERRED,
        left_on=DAY,
        reason="随父母迁居外省",
    )
    student.refresh_from_db()
    assert (student.status, student.left_on) == (EnrolmentStatus.TRANSFERRED, DAY)
    assert student.left_reason == "随父母迁居外省"
    event = AuditEvent.objects.get(detail__operation="student_leave")
    assert event.student_id == student.pk
    assert event.detail["old"] == EnrolmentStatus.ENROLLED
    assert event.detail["new"] == EnrolmentStatus.TRANSFERRED
    assert event.detail["left_on"] == DAY.isoformat()
    assert "迁居" not in str(event.detail)  # the reason is never in the audit detail
    with connection.cursor() as cursor:
        cursor.execute("SELECT left_reason FROM orgs_student WHERE id = %s", [student.pk])
        (stored,) = cursor.fetchone()
    assert "迁居" not in stored  # encrypted at rest
    assert set(Student.objects.on_roll(DAY - datetime.timedelta(days=1))) >= {student}
    assert student not in set(Student.objects.on_roll(DAY))


def test_suspension_keeps_the_student_on_the_roll(world):
    student = world.students["a"]
    services.student_leave(
        actor=world.users["leader_a"],
        student=student,
        status=EnrolmentStatus.SUSPENDED,
        left_on=DAY,
    )
    student.refresh_from_db()
    assert (student.status, student.left_on) == (EnrolmentStatus.SUSPENDED, None)
    assert student in set(Student.objects.on_roll(DAY + datetime.timedelta(days=30)))
    with pytest.raises(ValidationError) as exc:
        services.student_leave(
            actor=world.users["leader_a"],
            student=student,
            status=EnrolmentStatus.SUSPENDED,
            left_on=DAY,
        )
    assert services.ERROR_ALREADY_SUSPENDED in exc.value.message_dict["status"]
    # A suspended student may later transfer out.
    services.student_leave(
        actor=world.users["leader_a"],
        student=student,
        status=EnrolmentStatus.TRANSFERRED,
        left_on=DAY + datetime.timedelta(days=60),
    )
    student.refresh_from_db()
    assert student.left_on == DAY + datetime.timedelta(days=60)


def test_refusals(world):
    student = world.students["a"]
    for who in ("homeroom_a", "center_a", "official_a", "psych_b"):
        with pytest.raises(PermissionDenied):
            services.student_leave(
                actor=world.users[who],
                student=student,
                status=EnrolmentStatus.GRADUATED,
                left_on=DAY,
            )
    psych = world.users["psych_a"]
    with pytest.raises(ValidationError) as exc:
        services.student_leave(
            actor=psych, student=student, status=EnrolmentStatus.ENROLLED, left_on=DAY
        )
    assert services.ERROR_LEAVE_STATUS in exc.value.message_dict["status"]
    with pytest.raises(ValidationError) as exc:
        services.student_leave(
            actor=psych, student=student, status=EnrolmentStatus.GRADUATED, left_on=None
        )
    assert services.ERROR_LEAVE_DATE_REQUIRED in exc.value.message_dict["left_on"]
    Student.objects.filter(pk=student.pk).update(enrolled_on=DAY)
    student.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.student_leave(
            actor=psych, student=student, status=EnrolmentStatus.GRADUATED, left_on=DAY
        )
    assert services.ERROR_LEFT_BEFORE_ENROLLED in exc.value.message_dict["left_on"]
    with pytest.raises(ValidationError) as exc:
        services.student_leave(
            actor=psych,
            student=student,
            status=EnrolmentStatus.GRADUATED,
            left_on=datetime.date.today() + datetime.timedelta(days=400),
        )
    assert services.ERROR_LEAVE_TOO_LATE in exc.value.message_dict["left_on"]
    services.student_leave(
        actor=psych,
        student=student,
        status=EnrolmentStatus.GRADUATED,
        left_on=DAY + datetime.timedelta(days=1),
    )
    with pytest.raises(ValidationError) as exc:
        services.student_leave(
            actor=psych, student=student, status=EnrolmentStatus.TRANSFERRED, left_on=DAY
        )
    assert services.ERROR_ALREADY_LEFT in exc.value.messages
    assert AuditEvent.objects.filter(detail__operation="student_leave").count() == 1


# ---------------------------------------------------------------- the page


def test_the_form_is_shown_to_who_may_use_it(client, world):
    student = world.students["a"]
    url = reverse("orgs:student_detail", args=[student.pk])
    for who, shown in (("psych_a", True), ("leader_a", True), ("homeroom_a", False)):
        login(client, world.users[who])
        body = client.get(url).content.decode()
        assert ('data-testid="student-leave-form"' in body) is shown, who


def test_scope_matrix_of_the_leave_form(client, world):
    student = world.students["a"]
    data = {"status": EnrolmentStatus.TRANSFERRED, "left_on": "2025-11-03", "reason": "转学"}
    response = client.post(leave_url(student), data)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    for who, code in (
        ("homeroom_a", 403),  # reads the student, may not change the roll
        ("official_a", 403),  # never sees students
        ("center_a", 403),  # reads students of the county, does not keep a school's roll
        ("psych_b", 404),  # another county
    ):
        login(client, world.users[who])
        assert client.post(leave_url(student), data).status_code == code, who
    student.refresh_from_db()
    assert student.status == EnrolmentStatus.ENROLLED
    login(client, world.users["psych_a"])
    response = client.post(leave_url(student), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:student_detail", args=[student.pk])
    student.refresh_from_db()
    assert (student.status, student.left_on) == (
        EnrolmentStatus.TRANSFERRED,
        datetime.date(2025, 11, 3),
    )
    page = client.get(reverse("orgs:student_detail", args=[student.pk]))
    assert 'data-testid="student-leave-form"' not in page.content.decode()  # already left
    assert "2025-11-03" in page.content.decode()


def test_two_role_user_changes_the_roll_only_where_they_keep_it(client, world):
    """Psychology teacher of school A, homeroom teacher of a class in school B."""
    user = factories.user_with_role(Role.PSYCH_TEACHER, world.school_a, username="psych_homeroom")
    RoleAssignment.objects.create(
        user=user, role=Role.HOMEROOM_TEACHER, org_unit=world.school_b, klass=world.class_b
    )
    login(client, user)
    data = {"status": EnrolmentStatus.GRADUATED, "left_on": "2025-07-01"}
    assert client.post(leave_url(world.students["b"]), data).status_code == 403
    assert client.post(leave_url(world.students["a2"]), data).status_code == 404
    assert client.post(leave_url(world.students["a"]), data).status_code == 302
    assert Student.objects.get(pk=world.students["b"].pk).status == EnrolmentStatus.ENROLLED


def test_form_errors_stay_on_the_page(client, world):
    student = world.students["a"]
    Student.objects.filter(pk=student.pk).update(enrolled_on=datetime.date(2025, 9, 1))
    login(client, world.users["leader_a"])
    response = client.post(leave_url(student), {"status": "graduated", "left_on": ""})
    assert response.status_code == 400
    assert "left_on" in response.context["leave_form"].errors
    response = client.post(leave_url(student), {"status": "graduated", "left_on": "2025-08-01"})
    assert response.status_code == 400
    assert services.ERROR_LEFT_BEFORE_ENROLLED in response.context["leave_form"].errors["left_on"]
    student.refresh_from_db()
    assert student.status == EnrolmentStatus.ENROLLED
