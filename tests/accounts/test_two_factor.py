"""TOTP two-factor (issue 13), with the second factor enforced as in production: enrolment with a
server-side QR code, the second step after the password, recovery codes (hashed, single use),
optional for school roles, an administrator's reset (audited, user notified)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from mhcare.accounts import twofactor
from mhcare.accounts.models import EncryptedTOTPDevice as TOTPDevice
from mhcare.accounts.models import RecoveryCode, Role
from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from tests import factories
from tests.conftest import totp_code, verified_login

pytestmark = pytest.mark.usefixtures("two_factor_on")

HOME = "core:home"


def _enrol(client, user):
    """Enrols through the page; returns (device, recovery codes)."""
    page = client.get(reverse("accounts:two_factor"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("accounts:two_factor"), {"code": totp_code(device)})
    assert response.status_code == 200
    return device, response.context["codes"]


def _login_with_password(client, user):
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    return response


@pytest.mark.parametrize("who", ["center_a", "official_a", "official_province", "admin"])
def test_a_required_role_without_a_device_is_sent_to_enrol_before_anything(client, world, who):
    client.force_login(world.users[who])
    response = client.get(reverse(HOME))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor"))
    api = client.get("/api/v1/notifications/")
    assert api.status_code == 403


def test_staff_and_superusers_need_a_second_factor(client, db):
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    assert twofactor.two_factor_required(root)
    client.force_login(root)
    assert client.get("/admin/").status_code == 302


def test_enrolment_shows_a_server_side_qr_code_and_the_uri(client, world):
    client.force_login(world.users["center_a"])
    page = client.get(reverse("accounts:two_factor"))
    html = page.content.decode()
    assert "<svg" in html
    assert "otpauth://totp/" in html
    assert "<script" not in html.split("<main", 1)[-1].split("</main>", 1)[0]
    assert "cdn" not in html.lower()


def test_enrolment_with_a_wrong_code_fails_and_a_right_one_verifies_the_session(client, world):
    user = world.users["center_a"]
    client.force_login(user)
    client.get(reverse("accounts:two_factor"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post(reverse("accounts:two_factor"), {"code": "000000"})
    assert wrong.status_code == 400
    assert twofactor.BAD_CODE_ERROR in wrong.context["form"].errors["code"]
    response = client.post(reverse("accounts:two_factor"), {"code": totp_code(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    # stored hashed only
    stored = set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not stored & set(codes)
    assert all(code in response.content.decode() for code in codes)  # shown this once
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse(HOME)).status_code == 200
    assert AuditEvent.objects.filter(
        actor_username=user.username, detail__second_factor="totp"
    ).exists()


def test_after_the_password_a_user_with_a_device_must_enter_a_code(client, world):
    user = world.users["center_a"]
    client.force_login(user)
    device, _codes = _enrol(client, user)
    client.post(reverse("accounts:logout"))

    _login_with_password(client, user)
    response = client.get(reverse("crisis:highrisk_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    # the enrolment page does not let a second device in without the first
    assert client.get(reverse("accounts:two_factor"))["Location"].startswith(
        reverse("accounts:two_factor_verify")
    )
    bad = client.post(reverse("accounts:two_factor_verify"), {"code": "123456"})
    assert bad.status_code == 400
    assert AuditEvent.objects.filter(
        action=Action.LOGIN_FAILED, actor_username=user.username, detail__second_factor=True
    ).exists()
    # django-otp throttles: right after a failure even the right code is refused for a while
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    throttled = client.post(
        reverse("accounts:two_factor_verify"), {"code": totp_code(device, steps_ahead=1)}
    )
    assert throttled.status_code == 400
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(minutes=5)
    )
    device.refresh_from_db()
    good = client.post(
        reverse("accounts:two_factor_verify"),
        {"code": totp_code(device, steps_ahead=1), "next": reverse("crisis:highrisk_list")},
    )
    assert good.status_code == 302
    assert good["Location"] == reverse("crisis:highrisk_list")
    assert client.get(reverse(HOME)).status_code == 200


def test_the_verification_belongs_to_the_session(client, world):
    user = world.users["center_a"]
    verified_login(client, user)
    assert client.get(reverse(HOME)).status_code == 200
    other = type(client)()
    other.force_login(user)
    assert other.get(reverse(HOME)).status_code == 302


def test_a_recovery_code_works_once(client, world):
    user = world.users["center_a"]
    client.force_login(user)
    _device, codes = _enrol(client, user)
    for attempt, expected in ((1, 302), (2, 400)):
        fresh = type(client)()
        fresh.force_login(user)
        response = fresh.post(reverse("accounts:two_factor_verify"), {"code": codes[0].upper()})
        assert response.status_code == expected, attempt
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 1
    assert AuditEvent.objects.filter(detail__second_factor="recovery").count() == 1


def test_new_recovery_codes_replace_the_old_ones(client, world):
    user = world.users["center_a"]
    client.force_login(user)
    _device, codes = _enrol(client, user)
    response = client.post(reverse("accounts:two_factor"), {"action": "codes"})
    new = response.context["codes"]
    assert len(new) == 10
    assert not set(new) & set(codes)
    fresh = type(client)()
    fresh.force_login(user)
    assert fresh.post(reverse("accounts:two_factor_verify"), {"code": codes[1]}).status_code == 400


def test_school_roles_may_go_without_and_may_turn_it_on_and_off(client, world):
    user = world.users["psych_a"]
    client.force_login(user)
    assert not twofactor.two_factor_required(user)
    assert client.get(reverse(HOME)).status_code == 200
    _enrol(client, user)
    fresh = type(client)()
    fresh.force_login(user)
    assert fresh.get(reverse(HOME)).status_code == 302  # once on, the code is asked
    response = client.post(reverse("accounts:two_factor"), {"action": "disable"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert fresh.get(reverse(HOME)).status_code == 200


def test_a_required_role_cannot_turn_it_off(client, world):
    user = world.users["center_a"]
    client.force_login(user)
    _enrol(client, user)
    client.post(reverse("accounts:two_factor"), {"action": "disable"})
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_an_expired_password_and_the_second_factor_do_not_loop(client, world):
    user = world.users["center_a"]
    client.force_login(user)
    device, _codes = _enrol(client, user)
    user.password_changed_at = timezone.now() - datetime.timedelta(days=400)
    user.save(update_fields=["password_changed_at"])
    fresh = type(client)()
    fresh.force_login(user)
    assert fresh.get(reverse(HOME))["Location"].startswith(reverse("accounts:two_factor_verify"))
    device.refresh_from_db()
    fresh.post(reverse("accounts:two_factor_verify"), {"code": totp_code(device, steps_ahead=1)})
    assert fresh.get(reverse(HOME))["Location"] == reverse("accounts:password_change")
    assert fresh.get(reverse("accounts:password_change")).status_code == 200


def test_an_administrator_resets_a_second_factor(client, world):
    user = world.users["center_a"]
    user_client = type(client)()
    user_client.force_login(user)
    _enrol(user_client, user)
    platform = factories.user_with_role(
        Role.PLATFORM_ADMIN, world.province, username="platform", is_staff=True
    )
    verified_login(client, platform)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(
        actor_username="platform", object_id=str(user.pk), detail__second_factor="reset"
    ).exists()
    assert Notification.objects.filter(recipient=user, kind="account").exists()
    # the user's sessions ended; at the next login they enrol again
    assert user_client.get(reverse(HOME))["Location"].startswith(reverse("accounts:login"))
    user.refresh_from_db()
    user_client.force_login(user)
    assert user_client.get(reverse(HOME))["Location"].startswith(reverse("accounts:two_factor"))


def test_only_administrators_reset_and_not_their_own(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        twofactor.second_factor_reset(actor=world.users["center_b"], user=world.users["center_a"])
    platform = factories.user_with_role(
        Role.PLATFORM_ADMIN, world.province, username="platform", is_staff=True
    )
    with pytest.raises(PermissionDenied):
        twofactor.second_factor_reset(actor=platform, user=platform)
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    with pytest.raises(PermissionDenied):
        twofactor.second_factor_reset(actor=platform, user=root)


def test_the_demo_seeder_enrols_the_demo_key_once(db, world):
    from io import StringIO

    from mhcare.accounts.demo import DEMO_TOTP_KEY_HEX, seed_two_factor_demo

    center = factories.user_with_role(Role.COUNTY_CENTER, world.county_a, username="center_xihu")
    out = StringIO()
    seed_two_factor_demo(stdout=out)
    seed_two_factor_demo(stdout=out)
    assert list(TOTPDevice.objects.filter(user=center).values_list("key", flat=True)) == [
        DEMO_TOTP_KEY_HEX
    ]
    assert "GEZDGNBV" in out.getvalue()


def test_codes_and_the_switch_need_a_verified_session(client, world, settings):
    """Even with enforcement off (the test settings), the two-factor page of a user with a device
    sends an unverified session to the code first."""
    user = world.users["psych_a"]
    verified_login(client, user)
    settings.TWO_FACTOR_ENFORCED = False
    fresh = type(client)()
    fresh.force_login(user)
    for response in (
        fresh.get(reverse("accounts:two_factor")),
        fresh.post(reverse("accounts:two_factor"), {"action": "disable"}),
        fresh.post(reverse("accounts:two_factor"), {"action": "codes"}),
    ):
        assert response["Location"] == reverse("accounts:two_factor_verify")
    assert TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
