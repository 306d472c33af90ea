"""``EncryptedTextField``: the one field type for sensitive free text (follow-up notes, session
records, incident narratives …).

Values are encrypted with ``cryptography``'s Fernet (AES-128-CBC + HMAC-SHA256) through a
``MultiFernet`` built from ``settings.FIELD_ENCRYPTION_KEYS`` — a list of Fernet keys, newest first.
The newest key encrypts; every key can decrypt, so keys rotate by prepending a new one and running
``manage.py reencrypt``. ``SECRET_KEY`` is deliberately not used: it rotates for other reasons and
leaks through other channels.

The column holds the Fernet token only, so a raw ``SELECT`` shows no plaintext. Because tokens are
randomised, the database cannot compare values: every lookup except ``isnull`` is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.lookups import IsNull

NO_KEYS_ERROR = "FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key (newest first)."
BAD_KEY_ERROR = "FIELD_ENCRYPTION_KEYS contains a value that is not a valid Fernet key."
LOOKUP_REFUSED_ERROR = "Encrypted fields cannot be filtered, except with isnull."
DECRYPT_ERROR = (
    "A stored encrypted value cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS."
)


class DecryptionError(Exception):
    """A stored token matches none of the configured keys (lost key, or a tampered value)."""


def configured_keys() -> tuple[str, ...]:
    keys = getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or []
    if isinstance(keys, str):
        keys = [k.strip() for k in keys.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured(NO_KEYS_ERROR)
    return tuple(str(k) for k in keys)


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    try:
        fernets = [Fernet(key.encode("ascii")) for key in keys]
    except (ValueError, UnicodeEncodeError) as exc:
        raise ImproperlyConfigured(BAD_KEY_ERROR) from exc
    return MultiFernet(fernets), fernets[0]


def multifernet() -> MultiFernet:
    """The MultiFernet for the current settings (cached per key list, so ``override_settings`` and a
    key rotation in a running process both take effect)."""
    return _fernets(configured_keys())[0]


def primary_fernet() -> Fernet:
    return _fernets(configured_keys())[1]


def encrypt_str(value: str) -> str:
    return multifernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_str(token: str) -> str:
    try:
        return multifernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise DecryptionError(DECRYPT_ERROR) from exc


def is_current(token: str) -> bool:
    """Whether ``token`` is already encrypted with the newest key."""
    try:
        primary_fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def rotate_token(token: str) -> str:
    """Re-encrypt ``token`` with the newest key (it may be under any configured key)."""
    try:
        return multifernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise DecryptionError(DECRYPT_ERROR) from exc


class EncryptedTextField(models.TextField):
    """A ``TextField`` whose value is encrypted at rest. The empty string is stored as the empty
    string (it carries no information worth hiding and keeps ``blank=True`` forms simple)."""

    description = "Encrypted text"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A column that was a CharField keeps its limit on the plain text (as CharField does).
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_str(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_str(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return IsNull
        raise FieldError(LOOKUP_REFUSED_ERROR)

    def get_transform(self, lookup_name: str) -> Any:
        raise FieldError(LOOKUP_REFUSED_ERROR)


class EncryptedJSONField(EncryptedTextField):
    """JSON (a dict or a list) encrypted at rest: the column holds the Fernet token of the JSON
    text, so names inside a stored payload or error list are not readable with ``SELECT``. Python
    sees the decoded value, as with ``JSONField``; no lookup (not even ``has_key``)."""

    description = "Encrypted JSON"
    # For django-stubs: the attribute holds any JSON value, not a str.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if value == "":
            return self.get_default()
        return json.loads(decrypt_str(value))

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return encrypt_str(json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder))

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, cls=DjangoJSONEncoder)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return super().formfield(**{"form_class": forms.JSONField, **kwargs})


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField)  # type: ignore[misc]
    ]


ENCRYPT_BATCH = 1000


def _rewrite_column(
    connection: Any, table: str, column: str, rewrite: Callable[[str], str | None]
) -> int:
    """Replace each non-empty value by ``rewrite(value)`` (None: leave it), in batches."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL '  # noqa: S608
            f"AND \"{column}\" <> '' ORDER BY id"
        )
        rows = cursor.fetchall()
    updates = [(new, pk) for pk, value in rows if (new := rewrite(value)) is not None]
    with connection.cursor() as cursor:
        for start in range(0, len(updates), ENCRYPT_BATCH):
            cursor.executemany(
                f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s',  # noqa: S608
                updates[start : start + ENCRYPT_BATCH],
            )
    return len(updates)


def _encrypted_unless_token(text: str) -> str | None:
    try:
        decrypt_str(text)
    except DecryptionError:
        return encrypt_str(text)
    return None  # a token already: the migration is being re-run


def _decrypted_if_token(token: str) -> str | None:
    try:
        return decrypt_str(token)
    except DecryptionError:
        return None


def encrypt_column_in_place(connection: Any, table: str, column: str) -> int:
    """For a data migration that turns a plain column into an encrypted one: encrypt each
    non-empty value that is not a token already (so the migration can be re-run after a partial
    failure). Returns how many rows it changed."""
    return _rewrite_column(connection, table, column, _encrypted_unless_token)


def decrypt_column_in_place(connection: Any, table: str, column: str) -> int:
    """The reverse of :func:`encrypt_column_in_place` (values that are not tokens stay)."""
    return _rewrite_column(connection, table, column, _decrypted_if_token)


def choice_labels(model: type[models.Model], field_name: str) -> dict[Any, Any]:
    """{stored value: label in the active language} of a field with choices, for a loop: what
    ``get_FOO_display()`` returns (``labels.get(value, value)``), built once. Django's method
    rebuilds and translates the whole choice map on every call (≈ 0.1 ms): the growth file of a
    student with years of history called it thousands of times (bench/growth_file.py)."""
    return {
        value: str(label)
        for value, label in model._meta.get_field(field_name).flatchoices  # type: ignore[union-attr]
    }
