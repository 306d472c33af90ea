"""Password rules of 等保三级 (issue 13): county / city / province roles and administrators change
their password every PASSWORD_MAX_AGE_DAYS; nobody repeats one of their last five; an
administrator ends a user's sessions; only a superuser sets another user's password."""

import datetime

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from mhcare.accounts.models import PasswordHistory, Role, User
from mhcare.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

OLD = "Old-password-2026!"


def _age(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_an_official_with_an_old_password_is_sent_to_change_it(client, world):
    official = world.users["official_a"]
    _age(official, 91)
    client.force_login(official)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")
    assert client.get(reverse("accounts:password_change")).status_code == 200
    assert client.get("/api/v1/students/").status_code == 403


def test_a_fresh_password_and_a_school_role_are_not_sent(client, world):
    official = world.users["official_a"]
    _age(official, 89)
    client.force_login(official)
    assert client.get(reverse("core:home")).status_code == 200
    teacher = world.users["psych_a"]
    _age(teacher, 400)  # optional for school roles
    client.force_login(teacher)
    assert client.get(reverse("core:home")).status_code == 200


def test_changing_the_expired_password_lets_the_official_go_on(client, world):
    official = world.users["official_a"]
    official.set_password(OLD)
    official.save()
    _age(official, 91)
    client.force_login(official)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": OLD,
            "new_password1": "Brand-new-2026!x",
            "new_password2": "Brand-new-2026!x",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 200


def test_none_of_the_last_five_passwords_may_return(world):
    user = world.users["center_a"]
    used = [f"Password-{n}-2026!" for n in range(6)]
    for password in used:
        user.set_password(password)
        user.save()
    assert PasswordHistory.objects.filter(user=user).count() >= 6
    for recent in used[1:]:
        with pytest.raises(ValidationError, match="used recently"):
            validate_password(recent, user)
    validate_password(used[0], user)  # the sixth back is allowed again
    validate_password("Entirely-new-2026!", user)


def test_an_administrator_ends_a_users_sessions(client, world):
    teacher = world.users["psych_a"]
    client.force_login(teacher)
    assert client.get(reverse("core:home")).status_code == 200
    admin = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    admin_client = type(client)()
    admin_client.force_login(admin)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "end_sessions", "_selected_action": [teacher.pk]},
    )
    assert response.status_code == 302
    # the teacher's session is gone on its next request
    assert client.get(reverse("core:home")).status_code == 302
    assert AuditEvent.objects.filter(
        actor_username="root", object_id=str(teacher.pk), detail__sessions="ended"
    ).exists()


def test_a_platform_administrator_cannot_set_another_users_password(client, world):
    platform = factories.user_with_role(
        Role.PLATFORM_ADMIN, world.province, username="platform", is_staff=True
    )
    client.force_login(platform)
    teacher = world.users["psych_a"]
    url = reverse("admin:auth_user_password_change", args=[teacher.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": "Taken-over-2026!", "password2": "Taken-over-2026!"})
    assert response.status_code == 403
    teacher.refresh_from_db()
    assert not teacher.check_password("Taken-over-2026!")
