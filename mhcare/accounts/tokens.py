"""API tokens: made, listed and revoked here; checked on every API request by
``ExpiringTokenAuthentication``, which also keeps a read-only token to safe methods. Replaces
DRF's authtoken, whose keys never expire, are stored in clear and survive a password change."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions

from mhcare.accounts import scope
from mhcare.accounts.models import ApiToken, Role, User
from mhcare.audit.services import audit_record

KEYWORD = "Token"
TOKEN_INVALID = _("Invalid, expired or revoked token.")
TOKEN_READ_ONLY = _("This token is read-only.")
TOKEN_LIFETIME_TOO_LONG = _("A token may live at most %(days)s days.")
TOKEN_NOT_YOURS = _("You may revoke only your own tokens.")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, actor: Any, name: str, is_read_only: bool = False, days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for the actor; returns it and the key, which is never shown again."""
    longest = settings.API_TOKEN_MAX_DAYS
    days = days or longest
    if not 1 <= days <= longest:
        raise ValidationError({"days": TOKEN_LIFETIME_TOO_LONG % {"days": longest}})
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken(
        user=actor,
        name=name.strip()[:100],
        prefix=key[:8],
        key_hash=_hash(key),
        is_read_only=is_read_only,
        created_at=now,
        expires_at=now + datetime.timedelta(days=days),
    )
    token.full_clean(exclude=["created_at"])
    token.save()
    audit_record(
        actor=actor,
        action="create",
        obj=token,
        detail={"name": token.name, "read_only": is_read_only, "days": days},
    )
    return token, key


def is_administrator(actor: Any) -> bool:
    return bool(
        actor.is_active
        and actor.is_staff
        and (actor.is_superuser or scope.has_role(actor, Role.PLATFORM_ADMIN.value))
    )


def may_revoke(actor: Any, token: ApiToken) -> bool:
    """The owner, or an administrator (who may revoke a token, never make one for someone)."""
    return token.user_id == actor.pk or is_administrator(actor)


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    if not may_revoke(actor, token):
        raise PermissionDenied(TOKEN_NOT_YOURS)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="update",
            obj=token,
            detail={"revoked": True, "owner": token.user_id},
        )
    return token


def token_list(*, actor: Any) -> Any:
    return ApiToken.objects.filter(user=actor).order_by("-created_at")


class ExpiringTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``: a live token (not expired, not revoked, made after the
    owner's last password change) of an active user.

    A DRF view with ``token_loads_scope = True`` (a hot API list) has the owner's grants and
    shares read in the same query as the token (``scope.scope_sql``), instead of one query more
    for them later; the token check itself is the same either way."""

    keyword = KEYWORD
    loads_scope = False

    def authenticate(self, request: Any) -> tuple[User, ApiToken] | None:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        self.loads_scope = bool(getattr(view, "token_loads_scope", False))
        found = super().authenticate(request)
        # Here, not in each view's permissions: every API view, whatever its permission classes.
        if found and found[1].is_read_only and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied(TOKEN_READ_ONLY)
        return found

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        now = timezone.now()
        found = _live_token(key, now, loads_scope=self.loads_scope)
        if found is None or not found[0].user.is_active:
            raise exceptions.AuthenticationFailed(TOKEN_INVALID)
        token, grants_and_shares = found
        changed = token.user.password_changed_at
        if changed is not None and token.created_at < changed:
            raise exceptions.AuthenticationFailed(TOKEN_INVALID)
        if self.loads_scope:
            scope.prime_from(token.user, grants_and_shares)
        # At most one write a minute per token: "last used" for its owner, not a write per call.
        if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


# --- the token check's query ---------------------------------------------------------------------
# Written once per process from the models' meta, not built and compiled as a queryset on every API
# request: a third of a millisecond of the students API's time went to compiling it. It is what
# ``ApiToken.objects.select_related("user").filter(key_hash=…, revoked_at__isnull=True,
# expires_at__gt=now).order_by("-created_at").first()`` compiles to; tests/accounts/test_tokens.py
# holds the two to the same token and user.
_TOKEN_SQL: dict[bool, str] = {}


def _token_sql(loads_scope: bool) -> str:
    """The live token with the key hash (first parameter), not expired at the time (second
    parameter), newest first; its owner's columns after its own and, with ``loads_scope``, the
    owner's grants and shares (``scope.scope_sql``) last."""
    if loads_scope not in _TOKEN_SQL:
        token, user = ApiToken._meta.db_table, User._meta.db_table
        columns = [f'"{token}"."{f.column}"' for f in ApiToken._meta.concrete_fields]
        columns += [f'"{user}"."{f.column}"' for f in User._meta.concrete_fields]
        if loads_scope:
            columns.append(scope.scope_sql(f'"{token}"."user_id"'))
        _TOKEN_SQL[loads_scope] = (
            f"SELECT {', '.join(columns)} "  # noqa: S608 - names from the models' meta only
            f'FROM "{token}" INNER JOIN "{user}" ON ("{token}"."user_id" = "{user}"."id") '
            f'WHERE "{token}"."key_hash" = %s AND "{token}"."revoked_at" IS NULL '
            f'AND "{token}"."expires_at" > %s '
            f'ORDER BY "{token}"."created_at" DESC LIMIT 1'
        )
    return _TOKEN_SQL[loads_scope]


_CONVERTERS: dict[tuple[Any, str], list[tuple[int, list[Any], Any]]] = {}


def _converters(model: Any, alias: str) -> list[tuple[int, list[Any], Any]]:
    """The columns of ``model`` that have database converters (the backend's and the field's, as
    the ORM applies them), by position: worked out once per process, not on each request."""
    if (model, alias) not in _CONVERTERS:
        connection = connections[alias]
        found = []
        for position, field in enumerate(model._meta.concrete_fields):
            column = field.get_col(model._meta.db_table)
            convert = [
                *connection.ops.get_db_converters(column),
                *field.get_db_converters(connection),
            ]
            if convert:
                found.append((position, convert, column))
        _CONVERTERS[model, alias] = found
    return _CONVERTERS[model, alias]


def _from_row(model: Any, alias: str, values: Sequence[Any]) -> Any:
    """An instance of ``model`` from its concrete columns as read, each through its converters
    (none today; an encrypted column added to the user would have one)."""
    converted = list(values)
    connection = connections[alias]
    for position, convert, column in _converters(model, alias):
        for step in convert:
            converted[position] = step(converted[position], column, connection)
    return model.from_db(alias, [f.attname for f in model._meta.concrete_fields], converted)


def _live_token(
    key: str, now: datetime.datetime, *, loads_scope: bool
) -> tuple[ApiToken, str] | None:
    """The live token of ``key`` with its owner (``token.user``), and with ``loads_scope`` the
    owner's grants and shares as ``scope.prime_from`` reads them (else ``""``); None if none."""
    alias = router.db_for_read(ApiToken)
    with connections[alias].cursor() as cursor:
        cursor.execute(_token_sql(loads_scope), [_hash(key), now])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(ApiToken._meta.concrete_fields)
    end = split + len(User._meta.concrete_fields)
    token = _from_row(ApiToken, alias, row[:split])
    token.user = _from_row(User, alias, row[split:end])
    return token, (row[end] if loads_scope else "")
