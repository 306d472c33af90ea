import io
import re

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from mhcare.core.fields import (
    LOOKUP_REFUSED_ERROR,
    NO_KEYS_ERROR,
    DecryptionError,
    decrypt_str,
    encrypt_str,
)
from tests.fieldtest.models import SecretNote

PLAINTEXT = "学生自述近两周失眠，有轻生念头 — confidential"


def raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT body, extra FROM fieldtest_secretnote WHERE id = %s", [pk])
        return cursor.fetchone()


def test_round_trip_and_no_plaintext_in_database(db):
    note = SecretNote.objects.create(title="t", body=PLAINTEXT, extra="x")

    body, extra = raw_row(note.pk)
    assert PLAINTEXT not in body
    assert "失眠" not in body
    assert body.startswith("gAAAA")  # a Fernet token
    assert extra != "x"
    assert SecretNote.objects.get(pk=note.pk).body == PLAINTEXT


def test_empty_and_null_stay_as_they_are(db):
    note = SecretNote.objects.create(title="t", body="", extra=None)
    assert raw_row(note.pk) == ("", None)
    loaded = SecretNote.objects.get(pk=note.pk)
    assert loaded.body == ""
    assert loaded.extra is None


def test_update_encrypts_too(db):
    note = SecretNote.objects.create(title="t", body="a")
    SecretNote.objects.filter(pk=note.pk).update(body=PLAINTEXT)
    assert PLAINTEXT not in raw_row(note.pk)[0]
    assert SecretNote.objects.get(pk=note.pk).body == PLAINTEXT


def test_lookups_other_than_isnull_are_refused(db):
    SecretNote.objects.create(title="t", body=PLAINTEXT, extra=None)
    assert SecretNote.objects.filter(extra__isnull=True).count() == 1
    for lookup in ("body", "body__icontains", "body__startswith"):
        with pytest.raises(FieldError, match=re.escape(LOOKUP_REFUSED_ERROR)):
            SecretNote.objects.filter(**{lookup: PLAINTEXT}).count()


def test_no_keys_is_improperly_configured():
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[]),
        pytest.raises(ImproperlyConfigured, match=re.escape(NO_KEYS_ERROR)),
    ):
        encrypt_str("x")


def test_rotation_with_reencrypt_command(db):
    old = Fernet.generate_key().decode()
    new = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        notes = [SecretNote.objects.create(title=str(i), body=f"{PLAINTEXT} {i}") for i in range(5)]
        SecretNote.objects.create(title="empty", body="")
    old_token = raw_row(notes[0].pk)[0]

    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        # both keys configured: old values still readable before rotation
        assert SecretNote.objects.get(pk=notes[0].pk).body == f"{PLAINTEXT} 0"
        out = io.StringIO()
        call_command("reencrypt", "--batch-size", "2", stdout=out)
        assert "fieldtest.SecretNote: 5 rotated, 0 already on the newest key" in out.getvalue()

        again = io.StringIO()
        call_command("reencrypt", stdout=again)
        assert "fieldtest.SecretNote: 0 rotated, 5 already on the newest key" in again.getvalue()

    new_token = raw_row(notes[0].pk)[0]
    assert new_token != old_token
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]), pytest.raises(DecryptionError):
        decrypt_str(new_token)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert [SecretNote.objects.get(pk=n.pk).body for n in notes] == [
            f"{PLAINTEXT} {i}" for i in range(5)
        ]
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]), pytest.raises(DecryptionError):
        SecretNote.objects.get(pk=notes[0].pk)
