"""Audit events for logins, failed logins and logouts, from Django's auth signals (so every way in —
the login page, the admin, the API's session login — is covered)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from mhcare.accounts.middleware import (
    LOGIN_DETAIL_ATTR,
    LOGOUT_REASON_ATTR,
    SESSION_SEEN_KEY,
    SESSION_STARTED_KEY,
    SESSION_TIMED_OUT_KEY,
)
from mhcare.audit.context import client_ip
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record


def _ip(request: HttpRequest | None) -> str | None:
    if request is None or not getattr(request, "META", None):
        return None
    return client_ip(request)


@receiver(user_logged_in, dispatch_uid="mhcare_audit_login")
def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        # The absolute 12-hour limit counts from here (Django has already rotated the session id).
        now = time.time()
        session[SESSION_STARTED_KEY] = now
        session[SESSION_SEEN_KEY] = now
        session.pop(SESSION_TIMED_OUT_KEY, None)
    audit_record(
        actor=user,
        action=Action.LOGIN,
        obj=user,
        ip=_ip(request),
        detail=getattr(request, LOGIN_DETAIL_ATTR, None),  # single sign-on: method, issuer, amr
    )


@receiver(user_login_failed, dispatch_uid="mhcare_audit_login_failed")
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")[:150]
    detail: dict[str, Any] = {"username": username}
    if request is not None and getattr(request, "axes_locked_out", False):
        detail["locked_out"] = True
    audit_record(
        actor=None, action=Action.LOGIN_FAILED, username=username, ip=_ip(request), detail=detail
    )


@receiver(user_logged_out, dispatch_uid="mhcare_audit_logout")
def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    reason = getattr(request, LOGOUT_REASON_ATTR, "user") if request is not None else "user"
    audit_record(
        actor=user, action=Action.LOGOUT, obj=user, ip=_ip(request), detail={"reason": reason}
    )
