"""The national student number is masked on the student's page; the psychology teacher, the
leader and the county center over the student see it in full on request (POST), each showing
audited with the field; other roles are refused and out of scope is the 404 of a missing
student, with no audit row."""

import pytest
from django.urls import reverse

from mhcare.accounts.models import Role
from mhcare.audit.models import Action, AuditEvent
from tests import factories


def _events():
    return AuditEvent.objects.filter(action=Action.VIEW, detail__field="student_number")


def test_the_page_shows_the_number_masked_with_a_show_action(client, world):
    student = world.students["a"]
    client.force_login(world.users["psych_a"])
    text = client.get(reverse("orgs:student_detail", args=[student.pk])).content.decode()
    assert student.masked_student_number in text
    assert student.student_number not in text
    assert reverse("orgs:student_number", args=[student.pk]) in text


def test_the_homeroom_teacher_sees_no_show_action(client, world):
    student = world.students["a"]
    client.force_login(world.users["homeroom_a"])
    text = client.get(reverse("orgs:student_detail", args=[student.pk])).content.decode()
    assert reverse("orgs:student_number", args=[student.pk]) not in text


@pytest.mark.parametrize("username", ["psych_a", "leader_a", "center_a"])
def test_show_number_gives_the_full_number_and_is_audited(client, world, username):
    student = world.students["a"]
    client.force_login(world.users[username])
    response = client.post(reverse("orgs:student_number", args=[student.pk]))
    assert response.status_code == 200
    assert student.student_number in response.content.decode()
    event = _events().get()
    assert (event.object_type, event.object_id) == ("orgs.student", str(student.pk))
    assert event.student_id == student.pk
    assert event.actor_id == world.users[username].pk


def test_show_number_is_a_post(client, world):
    client.force_login(world.users["psych_a"])
    url = reverse("orgs:student_number", args=[world.students["a"].pk])
    assert client.get(url).status_code == 405


def test_other_roles_get_403_and_other_scopes_404(client, world):
    student = world.students["a"]
    cases = [
        (world.users["homeroom_a"], student, 403),
        (world.users["official_a"], student, 403),
        (world.users["psych_b"], student, 404),
        (world.users["center_b"], student, 404),
        (world.users["psych_a"], world.students["b"], 404),
    ]
    for user, target, status in cases:
        client.force_login(user)
        response = client.post(reverse("orgs:student_number", args=[target.pk]))
        assert response.status_code == status, user.username
        assert target.student_number not in response.content.decode()
    assert not _events().exists()


def test_a_homeroom_teacher_who_is_psych_teacher_elsewhere_gets_404_for_their_class(client, world):
    """Two roles in two units: the reveal right comes from the psych role in school B only."""
    user = world.users["homeroom_a"]
    factories.RoleAssignmentFactory(user=user, role=Role.PSYCH_TEACHER, org_unit=world.school_b)
    client.force_login(user)
    response = client.post(reverse("orgs:student_number", args=[world.students["a"].pk]))
    assert response.status_code == 404
    ok = client.post(reverse("orgs:student_number", args=[world.students["b"].pk]))
    assert ok.status_code == 200
    assert not _events().filter(student_id=world.students["a"].pk).exists()
