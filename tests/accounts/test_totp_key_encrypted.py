"""The TOTP secret is encrypted at rest: the column of ``EncryptedTOTPDevice`` holds a Fernet
token (never the hex key), the device still verifies codes, and the migration moved the devices
enrolled in django-otp's plain table (then emptied it)."""

import pytest
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice as PlainTOTPDevice

from mhcare.accounts import twofactor
from mhcare.accounts.demo import DEMO_TOTP_KEY_HEX
from mhcare.accounts.models import EncryptedTOTPDevice
from mhcare.core.fields import decrypt_str
from tests.conftest import totp_code
from tests.migrating import migrate

BEFORE = [("accounts", "0006_two_factor_break_glass")]


def _stored_key(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_encryptedtotpdevice WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_the_key_column_holds_no_plaintext_and_the_device_still_verifies(db, world):
    # given a device enrolled the usual way
    user = world.users["psych_a"]
    device = twofactor.pending_device(user=user)
    key = device.key
    # then the column holds a token, not the hex key nor any part of it
    stored = _stored_key(device.pk)
    assert key not in stored
    assert key[:16] not in stored
    assert decrypt_str(stored) == key
    # and django-otp's verification works on the decrypted key
    fresh = EncryptedTOTPDevice.objects.get(pk=device.pk)
    assert fresh.key == key
    assert fresh.verify_token(totp_code(fresh))
    assert "secret=" in twofactor.otpauth_uri(fresh)
    # nothing lands in django-otp's plain table
    assert not PlainTOTPDevice.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_keys_enrolled_before_it(django_user_model):
    user = django_user_model.objects.create_user(username="totp_old", password="x")  # noqa: S106
    try:
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO otp_totp_totpdevice (user_id, name, confirmed, key, step, t0, "
                "digits, tolerance, drift, last_t, throttling_failure_count) "
                "VALUES (%s, 'authenticator', true, %s, 30, 0, 6, 1, 0, -1, 0)",
                [user.pk, DEMO_TOTP_KEY_HEX],
            )

        migrate()

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM otp_totp_totpdevice")
            assert cursor.fetchone()[0] == 0
        device = EncryptedTOTPDevice.objects.get(user=user)
        assert device.confirmed
        assert device.key == DEMO_TOTP_KEY_HEX
        assert DEMO_TOTP_KEY_HEX not in _stored_key(device.pk)
        assert device.verify_token(totp_code(device))
    finally:
        migrate()


def test_key_rotation_covers_the_device_keys():
    from mhcare.core.management.commands.reencrypt import encrypted_models

    assert EncryptedTOTPDevice in {model for model, _fields in encrypted_models()}
