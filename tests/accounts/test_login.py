import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from mhcare.accounts.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from mhcare.accounts.validators import PASSWORD_CLASSES_ERROR
from mhcare.accounts.views import TIMED_OUT_MESSAGE
from mhcare.audit.models import Action, AuditEvent
from tests import factories

LOGIN = reverse("accounts:login")


@pytest.fixture
def teacher(world):
    return world.users["psych_a"]


@pytest.fixture
def member(db):
    """A user without role assignments: the session mechanics do not depend on roles."""
    return factories.UserFactory(username="member")


def post_login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_login_page_renders(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b"login-card" in response.content
    assert response.templates[0].name == "accounts/login.html"


def test_login_rotates_session_id_and_is_audited(client, teacher):
    # given an anonymous session
    before = client.session
    before["pre_login"] = True
    before.save()
    before_key = before.session_key

    # when
    response = post_login(client, "psych_a", factories.PASSWORD)

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    after_key = client.cookies["sessionid"].value
    assert after_key != before_key
    assert str(client.session["_auth_user_id"]) == str(teacher.pk)
    event = AuditEvent.objects.get(action=Action.LOGIN)
    assert event.actor_id == teacher.pk
    assert event.actor_username == "psych_a"
    assert event.roles == "psych_teacher"
    assert event.org_unit_code == teacher.assignments.get().org_unit.code
    assert event.ip == "127.0.0.1"
    assert len(event.request_id) == 32
    assert event.request_id == response["X-Request-ID"]


def test_failed_login_is_audited_without_password(client, teacher):
    response = post_login(client, "psych_a", "wrong-Password-1")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.actor_id is None
    assert event.actor_username == "psych_a"
    assert event.ip == "127.0.0.1"
    assert event.request_id
    assert "wrong-Password-1" not in str(event.detail)


def test_logout_is_post_only_and_audited(client, teacher):
    client.force_login(teacher)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action=Action.LOGOUT)
    assert event.actor_id == teacher.pk
    assert event.detail == {"reason": "user"}


def test_lockout_after_five_failures_ignores_forged_forwarded_for(client, teacher):
    # five failures, each claiming a different client address in X-Forwarded-For
    statuses = [
        post_login(
            client, "psych_a", "wrong-Password-1", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}"
        ).status_code
        for i in range(5)
    ]
    # the fifth failure locks the pair
    assert statuses == [200, 200, 200, 200, 429]
    # the sixth attempt, even with the right password and yet another forged address, is refused
    response = post_login(
        client, "psych_a", factories.PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert b"locked-out" in response.content
    assert "_auth_user_id" not in client.session
    # the key is (username, REMOTE_ADDR): one attempt row, for the real address
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("psych_a", "127.0.0.1")
    assert attempt.failures_since_start >= 5
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 6
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, detail__locked_out=True).exists()
    assert not AuditEvent.objects.filter(action=Action.LOGIN).exists()


def test_lockout_is_per_username_and_address(client, teacher, world):
    for _ in range(5):
        post_login(client, "psych_a", "wrong-Password-1")
    assert post_login(client, "psych_a", factories.PASSWORD).status_code == 429
    # another user from the same address still logs in
    assert post_login(client, "psych_b", factories.PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    # the same user from another address still logs in
    response = post_login(client, "psych_a", factories.PASSWORD, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302


def test_four_failures_do_not_lock(client, teacher):
    for _ in range(4):
        post_login(client, "psych_a", "wrong-Password-1")
    assert post_login(client, "psych_a", factories.PASSWORD).status_code == 302


def _set_session(client, **values):
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()


def test_idle_timeout_logs_out_and_login_page_says_so(client, member):
    client.force_login(member)
    assert client.get(reverse("core:home")).status_code == 200

    _set_session(client, **{SESSION_SEEN_KEY: time.time() - 31 * 60})
    response = client.get(reverse("core:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"])
    assert str(TIMED_OUT_MESSAGE) in page.content.decode()
    # shown once
    assert str(TIMED_OUT_MESSAGE) not in client.get(LOGIN).content.decode()
    assert AuditEvent.objects.get(action=Action.LOGOUT).detail == {"reason": "idle_timeout"}


def test_activity_within_idle_limit_keeps_session(client, member):
    client.force_login(member)
    _set_session(client, **{SESSION_SEEN_KEY: time.time() - 29 * 60})
    assert client.get(reverse("core:home")).status_code == 200
    assert str(client.session["_auth_user_id"]) == str(member.pk)


def test_absolute_timeout_after_twelve_hours(client, member):
    client.force_login(member)
    now = time.time()
    _set_session(client, **{SESSION_STARTED_KEY: now - 12 * 3600 - 5, SESSION_SEEN_KEY: now - 5})
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action=Action.LOGOUT).detail == {"reason": "absolute_timeout"}


def test_authenticated_pages_are_not_cached(client, member):
    client.force_login(member)
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    # the home view sets no cache headers itself: this is the middleware's
    assert response["Cache-Control"] == "no-store, private"
    assert response["Pragma"] == "no-cache"
    inbox = client.get(reverse("notifications:inbox"))
    assert "no-store" in inbox["Cache-Control"]


@pytest.mark.parametrize(
    "password",
    ["Ab1!", "abcdefghij", "abcdefgh12", "ABCDEFGH!!"],
)
def test_password_rules_refuse(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_password_two_classes_gives_the_class_error():
    with pytest.raises(ValidationError) as exc:
        validate_password("zqxwvymk38")
    assert PASSWORD_CLASSES_ERROR in {e.code for e in exc.value.error_list}


@pytest.mark.parametrize("password", ["Zqxw-vymk", "zqxw3vymK", "ZQXW3VY!k"])
def test_password_rules_accept(password):
    validate_password(password)


def test_password_change(client, member):
    client.force_login(member)
    key_before = client.cookies["sessionid"].value
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": factories.PASSWORD,
            "new_password1": "Neu-Passw0rt",
            "new_password2": "Neu-Passw0rt",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("Neu-Passw0rt")
    # still logged in, with a new session id
    assert client.cookies["sessionid"].value != key_before
    assert client.get(reverse("core:home")).status_code == 200
    event = AuditEvent.objects.get(action=Action.UPDATE, object_type="accounts.user")
    assert event.detail == {"field": "password"}


def test_password_change_refuses_weak_password(client, member):
    client.force_login(member)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": factories.PASSWORD,
            "new_password1": "password",
            "new_password2": "password",
        },
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.check_password(factories.PASSWORD)
