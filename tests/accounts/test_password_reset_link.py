"""An administrator sends a password reset link (issue 13): Django's token, one use, expires after
PASSWORD_RESET_TIMEOUT, audited; the administrator never sets the password."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from mhcare.accounts import resets
from mhcare.accounts.models import Role
from mhcare.audit.models import AuditEvent
from tests import factories

NEW_PASSWORD = "Neues-Passwort-2026!x"


@pytest.fixture
def platform(world):
    return factories.user_with_role(
        Role.PLATFORM_ADMIN, world.province, username="platform", is_staff=True
    )


def _send(client, platform, user, capture):
    client.force_login(platform)
    with capture(execute=True):
        return client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "send_password_reset", "_selected_action": [user.pk]},
        )


def _link(message):
    return re.search(r"https?://\S+", message.body).group(0)


def test_the_link_sets_a_new_password_once(
    client, world, platform, django_capture_on_commit_callbacks
):
    teacher = world.users["psych_a"]
    teacher.email = "psych_a@example.cn"
    teacher.save()
    response = _send(client, platform, teacher, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["psych_a@example.cn"]
    assert AuditEvent.objects.filter(
        actor_username="platform", object_id=str(teacher.pk), detail__password_reset="sent"
    ).exists()
    teacher.refresh_from_db()
    assert teacher.check_password(factories.PASSWORD)  # nothing changed yet

    link = _link(mail.outbox[0]).replace("http://127.0.0.1:8000", "")
    anonymous = type(client)()
    first = anonymous.get(link)
    assert first.status_code == 302  # Django hides the token behind set-password/
    form_url = first["Location"]
    page = anonymous.get(form_url)
    assert page.status_code == 200
    assert page.context["validlink"]
    done = anonymous.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert anonymous.get(done["Location"]).status_code == 200
    teacher.refresh_from_db()
    assert teacher.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        actor_username=teacher.username, detail__via="reset_link"
    ).exists()
    # used: the same link is dead
    again = type(client)().get(link, follow=True)
    assert not again.context["validlink"]


def test_the_link_expires(client, world, settings):
    teacher = world.users["psych_a"]
    generator = PasswordResetTokenGenerator()
    long_ago = generator._num_seconds(datetime.now()) - settings.PASSWORD_RESET_TIMEOUT - 60
    token = generator._make_token_with_timestamp(teacher, long_ago, generator.secret)
    uid = urlsafe_base64_encode(force_bytes(teacher.pk))
    response = client.get(
        reverse("accounts:password_reset_confirm", args=[uid, token]), follow=True
    )
    assert response.status_code == 200
    assert not response.context["validlink"]
    assert settings.PASSWORD_RESET_TIMEOUT == 24 * 3600


def test_a_user_without_email_gets_no_link(
    client, world, platform, django_capture_on_commit_callbacks
):
    teacher = world.users["psych_a"]
    teacher.email = ""
    teacher.save()
    _send(client, platform, teacher, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(detail__password_reset="sent").exists()


def test_only_administrators_send_links(world):
    from django.core.exceptions import PermissionDenied

    teacher = world.users["psych_a"]
    teacher.email = "psych_a@example.cn"
    with pytest.raises(PermissionDenied):
        resets.password_reset_send(actor=world.users["leader_a"], user=teacher)


def test_the_reset_pages_are_public_and_in_chinese_too(client, db):
    url = reverse("accounts:password_reset_confirm", args=["MQ", "bad-token"])
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert "not valid" in response.content.decode()


@pytest.mark.zh
def test_the_invalid_link_page_in_chinese(client, db):
    url = reverse("accounts:password_reset_confirm", args=["MQ", "bad-token"])
    response = client.get(url, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "链接" in response.content.decode()


def test_reset_url_uses_site_url(world, settings):
    settings.SITE_URL = "https://mhcare.example.gov.cn"
    assert resets.reset_url(world.users["psych_a"]).startswith("https://mhcare.example.gov.cn/")
    assert timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT) == timedelta(days=1)
