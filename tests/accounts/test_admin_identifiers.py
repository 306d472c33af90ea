"""In the admin, a student's number and a guardian's phone are masked on the change forms too;
a staff member's phone is shown in full only on the user's form, each opening audited."""

import pytest
from django.urls import reverse

from mhcare.accounts.models import User
from mhcare.audit.models import Action, AuditEvent
from tests import factories


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


def test_student_and_guardian_forms_show_masked_values(client, superuser, world):
    student = world.students["a"]
    guardian = student.guardians.first()
    client.force_login(superuser)
    page = client.get(reverse("admin:orgs_student_change", args=[student.pk])).content.decode()
    assert student.masked_student_number in page
    assert student.student_number not in page
    page = client.get(reverse("admin:orgs_guardian_change", args=[guardian.pk])).content.decode()
    assert guardian.masked_phone in page
    assert guardian.phone not in page


def test_the_user_form_shows_the_staff_phone_and_audits_it(client, superuser, world):
    staff = world.users["psych_a"]
    User.objects.filter(pk=staff.pk).update(phone="13912345678")
    client.force_login(superuser)
    page = client.get(reverse("admin:accounts_user_change", args=[staff.pk])).content.decode()
    assert "13912345678" in page
    event = AuditEvent.objects.get(action=Action.VIEW, detail__field="phone")
    assert (event.object_type, event.object_id) == ("accounts.user", str(staff.pk))
    assert event.actor_id == superuser.pk
