"""Single sign-on with the provincial identity provider over OpenID Connect: the authorization
code flow with PKCE, ``state`` and ``nonce``; the ``id_token``'s signature is checked against the
provider's JWKS and its issuer, audience, expiry and nonce by authlib's Django client.

What was decided, and why:

- The provider authenticates, local data authorises. A provider's person logs in only to the
  local account linked to their subject (``ExternalIdentity``: issuer + ``sub``, unique); the roles
  are that account's role assignments, never claims. Accounts are never created from claims:
  a role here is scoped to a school, a class or a county, which a provincial directory's claims
  cannot be trusted to say exactly, and a wrong guess would open minors' records.
- An unknown subject is refused with a message in the user's language (ask an administrator to
  link the account, or use the local login). First-time linking by a claim (``OIDC_LINK_CLAIM``,
  e.g. the provincial staff number, matched to the local user name) happens only when configured,
  only to an active account with no link to this provider yet, and never to an administrator
  (staff or superuser accounts are linked by hand).
- A disabled local account is refused even when linked.
- Second factor: when the ``id_token`` asserts one (an ``amr`` value in ``OIDC_MFA_AMR_VALUES`` or
  the ``acr`` in ``OIDC_MFA_ACR_VALUES``), it counts for the roles that need a second factor;
  otherwise the local TOTP is asked exactly as after a password login.
- Password expiry does not apply to a single sign-on session (no local password was used); the
  idle and absolute timeouts and the session epoch apply as to any session (Django's ``login``).
- Logout ends the local session and, when the provider has an ``end_session_endpoint``, sends the
  browser there too.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings
from django.contrib.auth import login
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from joserfc.errors import JoseError

from mhcare.accounts.middleware import (
    LOGIN_DETAIL_ATTR,
    LOGIN_METHOD_KEY,
    SSO_MFA_KEY,
    signed_in_by_provider,
)
from mhcare.accounts.models import ExternalIdentity, User
from mhcare.audit.context import client_ip
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record

METHOD = "oidc"
PROVIDER_NAME = "provincial"
SESSION_ID_TOKEN_KEY = "mhcare_sso_id_token"  # noqa: S105 - a session key's name
SESSION_NEXT_KEY = "mhcare_sso_next"

NOT_ENABLED_MESSAGE = _("Sign-in with the provincial account is not switched on.")
FAILED_MESSAGE = _(
    "Sign-in with the provincial account did not succeed. Try again, or log in with your user "
    "name and password."
)
UNKNOWN_SUBJECT_MESSAGE = _(
    "Your provincial account is not linked to an account on this platform. Ask your "
    "administrator to link it, or log in with your user name and password."
)
DISABLED_MESSAGE = _("This account is disabled. Ask your administrator.")

# Errors of the protocol, the provider's answers and the network: all end as FAILED_MESSAGE.
PROTOCOL_ERRORS = (
    AuthlibBaseError,
    JoseError,
    requests.RequestException,
    ValueError,
    KeyError,
    TypeError,
    RuntimeError,
)


class SsoRefusedError(Exception):
    """A refused single sign-on: ``message`` for the user, ``reason`` for the audit log."""

    def __init__(self, message: Any, reason: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason


# The provider's metadata (discovery document and JWKS), per discovery URL, for
# OIDC_METADATA_TTL_SECONDS: one fetch per process and hour rather than one per login.
_metadata_cache: dict[str, dict[str, Any]] = {}


def _configured_metadata() -> dict[str, Any]:
    given = {
        "issuer": settings.OIDC_ISSUER,
        "authorization_endpoint": settings.OIDC_AUTHORIZATION_ENDPOINT,
        "token_endpoint": settings.OIDC_TOKEN_ENDPOINT,
        "jwks_uri": settings.OIDC_JWKS_URI,
        "userinfo_endpoint": settings.OIDC_USERINFO_ENDPOINT,
        "end_session_endpoint": settings.OIDC_END_SESSION_ENDPOINT,
    }
    return {key: value for key, value in given.items() if value}


def provider_app() -> DjangoOAuth2App:
    """authlib's client for the configured provider. Endpoints given one by one win over the
    discovery document's; without a discovery document only RS256 signatures are accepted. The
    discovery document and the JWKS (which authlib adds to it) are shared by the process's logins
    for ``OIDC_METADATA_TTL_SECONDS``."""
    url = settings.OIDC_DISCOVERY_URL
    app = DjangoOAuth2App(
        DjangoIntegration(PROVIDER_NAME),
        name=PROVIDER_NAME,
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=settings.OIDC_CLIENT_SECRET,
        server_metadata_url=url or None,
        client_kwargs={
            "scope": settings.OIDC_SCOPES,
            "code_challenge_method": "S256",
            "default_timeout": settings.OIDC_TIMEOUT_SECONDS,
        },
    )
    if url:
        cached = _metadata_cache.get(url)
        if cached is None or (
            time.time() - cached["_loaded_at"] > settings.OIDC_METADATA_TTL_SECONDS
        ):
            cached = app.load_server_metadata()
            if settings.OIDC_ISSUER and cached.get("issuer") != settings.OIDC_ISSUER:
                raise RuntimeError("the discovery document names another issuer")
            _metadata_cache[url] = cached
        app.server_metadata = cached
    else:
        app.server_metadata = {"id_token_signing_alg_values_supported": ["RS256"]}
    app.server_metadata.update(_configured_metadata())
    if not app.server_metadata.get("issuer"):
        raise RuntimeError("no issuer: set OIDC_DISCOVERY_URL or OIDC_ISSUER")
    return app


def _safe_next(request: HttpRequest, wanted: str) -> str:
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return str(reverse(settings.LOGIN_REDIRECT_URL))


def authorize_redirect(request: HttpRequest) -> HttpResponse:
    """Sends the browser to the provider's login, remembering state, nonce, PKCE verifier and the
    page asked for in the (anonymous) session."""
    if not settings.OIDC_ENABLED:
        raise SsoRefusedError(NOT_ENABLED_MESSAGE, "not_enabled")
    try:
        app = provider_app()
        request.session[SESSION_NEXT_KEY] = _safe_next(request, request.GET.get("next", ""))
        redirect_uri = request.build_absolute_uri(reverse("accounts:sso_callback"))
        return app.authorize_redirect(request, redirect_uri)  # type: ignore[no-any-return]
    except PROTOCOL_ERRORS as exc:
        _audit_refusal(request, reason=f"provider:{type(exc).__name__}", subject="")
        raise SsoRefusedError(FAILED_MESSAGE, "provider") from exc


def _audit_refusal(request: HttpRequest, *, reason: str, subject: str) -> None:
    detail = {"method": METHOD, "reason": reason}
    if subject:
        detail["subject"] = subject
    audit_record(
        actor=None,
        action=Action.LOGIN_FAILED,
        username=f"{METHOD}:{subject}" if subject else METHOD,
        ip=client_ip(request),
        detail=detail,
    )


def provider_asserts_second_factor(claims: dict[str, Any]) -> bool:
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    if set(map(str, amr)) & set(settings.OIDC_MFA_AMR_VALUES):
        return True
    acr = claims.get("acr")
    return bool(acr) and str(acr) in settings.OIDC_MFA_ACR_VALUES


def _link_claim_value(app: DjangoOAuth2App, token: dict[str, Any], claims: dict[str, Any]) -> str:
    """The linking claim, from the id_token or else from the userinfo endpoint (whose ``sub``
    must be the id_token's, OpenID Connect Core 5.3.2)."""
    name = settings.OIDC_LINK_CLAIM
    value = claims.get(name)
    if value is None and app.server_metadata.get("userinfo_endpoint"):
        userinfo = app.userinfo(token=token)
        if userinfo.get("sub") != claims["sub"]:
            raise ValueError("userinfo names another subject")
        value = userinfo.get(name)
    return value.strip() if isinstance(value, str) else ""


@transaction.atomic
def identity_resolve(*, issuer: str, subject: str, link_value: str = "") -> User:
    """The local account linked to ``issuer`` + ``subject``; with ``link_value`` (the configured
    linking claim), a first link to the active non-administrator account of that user name that
    has no link to this issuer yet. Raises ``SsoRefusedError`` otherwise, or when the account is
    disabled."""
    identity = (
        ExternalIdentity.objects.select_related("user")
        .select_for_update()
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is None and link_value:
        candidate = User.objects.filter(
            username=link_value, is_active=True, is_staff=False, is_superuser=False
        ).first()
        if (
            candidate is not None
            and not ExternalIdentity.objects.filter(user=candidate, issuer=issuer).exists()
        ):
            identity = ExternalIdentity.objects.create(
                user=candidate, issuer=issuer, subject=subject
            )
            audit_record(
                actor=candidate,
                action=Action.CREATE,
                obj=identity,
                detail={"method": METHOD, "linked_by": settings.OIDC_LINK_CLAIM},
            )
    if identity is None:
        raise SsoRefusedError(UNKNOWN_SUBJECT_MESSAGE, "unknown_subject")
    if not identity.user.is_active:
        raise SsoRefusedError(DISABLED_MESSAGE, "inactive")
    identity.last_login_at = timezone.now()
    identity.save(update_fields=["last_login_at"])
    return identity.user


def login_complete(request: HttpRequest) -> str:
    """The provider's redirect back: checks state, exchanges the code, validates the id_token,
    finds the linked account and logs it in (audited with the method). Returns the page to go to;
    raises ``SsoRefusedError`` (audited as a failed login) otherwise."""
    if not settings.OIDC_ENABLED:
        raise SsoRefusedError(NOT_ENABLED_MESSAGE, "not_enabled")
    subject = ""
    try:
        app = provider_app()
        token = app.authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims or not claims.get("sub"):
            raise ValueError("no id_token")
        subject = str(claims["sub"])
        issuer = str(claims["iss"])
        link_value = _link_claim_value(app, token, claims) if settings.OIDC_LINK_CLAIM else ""
        user = identity_resolve(issuer=issuer, subject=subject, link_value=link_value)
    except SsoRefusedError as refused:
        _audit_refusal(request, reason=refused.reason, subject=subject)
        raise
    except (*PROTOCOL_ERRORS, DatabaseError) as exc:
        _audit_refusal(request, reason=f"protocol:{type(exc).__name__}", subject=subject)
        raise SsoRefusedError(FAILED_MESSAGE, "protocol") from exc
    second_factor = provider_asserts_second_factor(claims)
    amr = claims.get("amr")
    detail: dict[str, Any] = {"method": METHOD, "issuer": issuer, "subject": subject}
    if amr:
        detail["amr"] = amr if isinstance(amr, list) else [amr]
    if second_factor:
        detail["second_factor"] = "provider"
    goto = str(request.session.get(SESSION_NEXT_KEY) or reverse(settings.LOGIN_REDIRECT_URL))
    setattr(request, LOGIN_DETAIL_ATTR, detail)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.pop(SESSION_NEXT_KEY, None)
    request.session[LOGIN_METHOD_KEY] = METHOD
    request.session[SESSION_ID_TOKEN_KEY] = token.get("id_token", "")
    if second_factor:
        request.session[SSO_MFA_KEY] = True
    return goto


def end_session_url(request: HttpRequest) -> str:
    """Where to send the browser after a local logout of a single sign-on session: the
    provider's end_session_endpoint (with the id_token as hint and the login page to come back
    to), or "" when there is none, SSO is off or the session was opened by password. Read it
    before the local logout: it needs the session."""
    if not settings.OIDC_ENABLED or not signed_in_by_provider(request):
        return ""
    try:
        app = provider_app()
        if not app.server_metadata.get("end_session_endpoint"):
            return ""
        result = app.create_logout_url(
            post_logout_redirect_uri=request.build_absolute_uri(reverse("accounts:login")),
            id_token_hint=request.session.get(SESSION_ID_TOKEN_KEY) or None,
            client_id=settings.OIDC_CLIENT_ID,
        )
    except PROTOCOL_ERRORS:
        return ""  # the local session still ends
    return str(result["url"])
