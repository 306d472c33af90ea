"""Guardian phones are masked on every page; the full number is shown on request (POST "show
number") to the roles that contact families, each showing audited; other roles get 404."""

import pytest
from django.urls import reverse

from mhcare.accounts.models import Role
from mhcare.audit.models import Action, AuditEvent
from tests import factories


@pytest.fixture
def guardian(world):
    return world.students["a"].guardians.first()


def test_the_student_page_shows_the_number_masked_with_a_show_action(client, world, guardian):
    client.force_login(world.users["homeroom_a"])
    body = client.get(reverse("orgs:student_detail", args=[world.students["a"].pk])).content
    text = body.decode()
    assert guardian.masked_phone in text
    assert guardian.phone not in text
    assert reverse("orgs:guardian_phone", args=[guardian.pk]) in text


@pytest.mark.parametrize("username", ["homeroom_a", "psych_a", "leader_a", "center_a"])
def test_show_number_gives_the_full_number_and_is_audited(client, world, guardian, username):
    client.force_login(world.users[username])
    response = client.post(reverse("orgs:guardian_phone", args=[guardian.pk]))
    assert response.status_code == 200
    assert guardian.phone in response.content.decode()
    event = AuditEvent.objects.filter(action=Action.VIEW, object_type="orgs.guardian").get()
    assert (event.object_id, event.student_id) == (str(guardian.pk), world.students["a"].pk)
    assert event.actor_id == world.users[username].pk
    assert event.detail == {"field": "phone"}


def test_show_number_is_a_post(client, world, guardian):
    client.force_login(world.users["homeroom_a"])
    assert client.get(reverse("orgs:guardian_phone", args=[guardian.pk])).status_code == 405


def test_roles_without_family_contacts_get_403_and_other_scopes_404(client, world, guardian):
    subject = factories.user_with_role(
        Role.SUBJECT_TEACHER, world.school_a, klass=world.class_a, username="subject_a"
    )
    other_guardian = world.students["b"].guardians.first()
    # a role that never sees family contacts is refused before anything is looked up (policy);
    # a role that does, asking outside its school or class, gets the 404 of a missing guardian
    cases = [
        (subject, guardian, 403),
        (world.users["official_a"], guardian, 403),
        (world.users["psych_a"], other_guardian, 404),
        (world.users["homeroom_a"], world.students["a_other_class"].guardians.first(), 404),
    ]
    for user, target, status in cases:
        client.force_login(user)
        response = client.post(reverse("orgs:guardian_phone", args=[target.pk]))
        assert response.status_code == status, user.username
    assert not AuditEvent.objects.filter(object_type="orgs.guardian").exists()
