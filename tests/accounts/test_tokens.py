"""API tokens (issue 13): they expire, are revocable by their owner and administrators, die with a
password change or a disabled account, may be read-only, and are stored only as a hash."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from mhcare.accounts import tokens
from mhcare.accounts.models import ApiToken
from mhcare.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

STUDENTS = "api-student-list"
SCORE = "/api/v1/screening/instruments/PHQ-9/score/"
# 403 rather than 401 where the session authenticator comes first (it sends no WWW-Authenticate).
REFUSED = {401, 403}


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_live_token_reads_and_its_key_is_stored_only_as_a_hash(world):
    token, key = tokens.token_create(actor=world.users["psych_a"], name="sync")
    assert _client(key).get(reverse(STUDENTS)).status_code == 200
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in {stored.key_hash, stored.prefix}
    assert stored.prefix == key[:8]
    assert stored.last_used_at is not None
    assert AuditEvent.objects.filter(object_type="accounts.apitoken", action="create").exists()


def test_an_expired_token_is_refused(world):
    token, key = tokens.token_create(actor=world.users["psych_a"], name="sync", days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert _client(key).get(reverse(STUDENTS)).status_code in REFUSED


def test_a_token_may_not_outlive_the_setting(world, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    with pytest.raises(ValidationError):
        tokens.token_create(actor=world.users["psych_a"], name="sync", days=31)


def test_a_password_change_kills_the_tokens_made_before_it(world):
    user = world.users["psych_a"]
    _token, key = tokens.token_create(actor=user, name="sync")
    user.set_password("A-new-password-2026!")
    user.save()
    assert _client(key).get(reverse(STUDENTS)).status_code in REFUSED
    _fresh, fresh_key = tokens.token_create(actor=user, name="sync again")
    assert _client(fresh_key).get(reverse(STUDENTS)).status_code == 200


def test_a_disabled_account_kills_its_tokens(world):
    user = world.users["psych_a"]
    _token, key = tokens.token_create(actor=user, name="sync")
    user.is_active = False
    user.save()
    assert _client(key).get(reverse(STUDENTS)).status_code in REFUSED


def test_a_revoked_token_is_refused(world):
    user = world.users["psych_a"]
    token, key = tokens.token_create(actor=user, name="sync")
    tokens.token_revoke(actor=user, token=token)
    assert _client(key).get(reverse(STUDENTS)).status_code in REFUSED


def test_a_read_only_token_reads_but_never_writes(world):
    _token, key = tokens.token_create(actor=world.users["psych_a"], name="r", is_read_only=True)
    client = _client(key)
    assert client.get(reverse(STUDENTS)).status_code == 200
    response = client.post(SCORE, {"answers": [0] * 9}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_an_administrator_revokes_but_another_user_cannot(world):
    token, _key = tokens.token_create(actor=world.users["psych_a"], name="sync")
    with pytest.raises(PermissionDenied):
        tokens.token_revoke(actor=world.users["psych_b"], token=token)
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    tokens.token_revoke(actor=admin, token=token)
    token.refresh_from_db()
    assert token.revoked_by == admin


def test_the_account_page_shows_a_new_key_once_and_revokes(world, client):
    user = world.users["psych_a"]
    client.force_login(user)
    response = client.post(
        reverse("accounts:tokens"), {"name": "报表同步", "days": 7, "is_read_only": "on"}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=user)
    assert token.is_read_only
    assert token.name == "报表同步"
    assert (token.expires_at - token.created_at) == datetime.timedelta(days=7)
    html = response.content.decode()
    assert 'data-testid="new-token"' in html
    again = client.get(reverse("accounts:tokens")).content.decode()
    assert 'data-testid="new-token"' not in again
    assert token.prefix in again
    # another user's token is not found on this user's revoke URL
    other, _ = tokens.token_create(actor=world.users["psych_b"], name="x")
    assert client.post(reverse("accounts:token_revoke", args=[other.pk])).status_code == 404
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_account_page_refuses_a_too_long_life_with_a_message(world, client, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    client.force_login(world.users["psych_a"])
    response = client.post(reverse("accounts:tokens"), {"name": "x", "days": 90})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
    assert "field-error" in response.content.decode()


@pytest.mark.parametrize("loads_scope", [False, True])
def test_the_token_query_reads_what_the_orm_would(world, loads_scope):
    """The token check's hand-written query (``tokens._token_sql``) finds the token and owner the
    ORM's query finds, with every column equal; newest first among live tokens of one key hash,
    none once expired or revoked."""
    from mhcare.accounts import scope

    user = world.users["center_a"]
    user.phone = "13800000000"
    user.save()
    token, key = tokens.token_create(actor=user, name="sync")
    now = timezone.now()

    found = tokens._live_token(key, now, loads_scope=loads_scope)

    assert found is not None
    read, grants_and_shares = found
    expected = ApiToken.objects.select_related("user").get(pk=token.pk)
    for field in ApiToken._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(expected, field.attname), field.name
    for field in type(user)._meta.concrete_fields:
        assert getattr(read.user, field.attname) == getattr(expected.user, field.attname), field
    assert read.user_id == user.pk
    assert not read._state.adding
    assert read.user._state.db == expected._state.db
    if loads_scope:
        loaded = type(user).objects.get(pk=user.pk)
        scope.prime_from(loaded, grants_and_shares)
        assert loaded._mhcare_grants == scope.grants(type(user).objects.get(pk=user.pk))
    else:
        assert grants_and_shares == ""
    ApiToken.objects.filter(pk=token.pk).update(expires_at=now)
    assert tokens._live_token(key, now, loads_scope=loads_scope) is None
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=now + datetime.timedelta(days=1), revoked_at=now
    )
    assert tokens._live_token(key, now, loads_scope=loads_scope) is None


def test_a_row_is_read_through_its_fields_converters(world):
    """``tokens._from_row`` decrypts an encrypted column as the ORM does (a guardian's phone:
    ``EncryptedTextField``), so an encrypted field added to the user or the token is read right."""
    from django.db import connection

    from mhcare.orgs.models import Guardian

    guardian = factories.GuardianFactory(student=world.students["a"], phone="13912345678")
    columns = ", ".join(f'"{f.column}"' for f in Guardian._meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {columns} FROM "{Guardian._meta.db_table}" WHERE id = %s',  # noqa: S608
            [guardian.pk],
        )
        row = cursor.fetchone()
    assert "13912345678" not in [str(value) for value in row]  # stored encrypted

    read = tokens._from_row(Guardian, "default", row)

    assert read.phone == "13912345678"
    assert read == Guardian.objects.get(pk=guardian.pk)
