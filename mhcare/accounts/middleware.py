"""Session lifetime and caching rules for pages that show minors' data."""

import datetime
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PASSWORD_EXPIRED_MESSAGE = _(
    "Your password is older than the rules allow for your role: choose a new one to go on."
)

SESSION_STARTED_KEY = "mhcare_started"
SESSION_SEEN_KEY = "mhcare_seen"
SESSION_TIMED_OUT_KEY = "mhcare_timed_out"
# Set on the request before a forced logout so that the audit event says why.
LOGOUT_REASON_ATTR = "mhcare_logout_reason"
# Single sign-on (``sso.py``): how the session was opened, and whether the provider asserted a
# second factor (then the local one is not asked).
LOGIN_METHOD_KEY = "mhcare_login_method"
SSO_MFA_KEY = "mhcare_sso_mfa"
# Set on the request before a single sign-on login so that the login's audit event says how.
LOGIN_DETAIL_ATTR = "mhcare_login_detail"


def signed_in_by_provider(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return session is not None and session.get(LOGIN_METHOD_KEY) == "oidc"


class SessionTimeoutMiddleware:
    """Logs a user out after ``SESSION_IDLE_TIMEOUT_SECONDS`` without a request or
    ``SESSION_ABSOLUTE_TIMEOUT_SECONDS`` after login, whichever comes first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_STARTED_KEY)
            seen = request.session.get(SESSION_SEEN_KEY)
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
                started = now
            idle = seen is not None and now - seen > settings.SESSION_IDLE_TIMEOUT_SECONDS
            expired = now - started > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS
            if idle or expired:
                setattr(request, LOGOUT_REASON_ATTR, "idle_timeout" if idle else "absolute_timeout")
                logout(request)
                request.session[SESSION_TIMED_OUT_KEY] = True
            else:
                request.session[SESSION_SEEN_KEY] = now
        return self.get_response(request)


def password_expired(user: Any) -> bool:
    """Whether the user must change the password before going on: a role at county level or
    above, or an administrator, whose password is older than ``PASSWORD_MAX_AGE_DAYS`` (counted
    from the account's creation when it was never changed)."""
    from mhcare.accounts.scope import roles

    if not (
        user.is_staff or user.is_superuser or roles(user) & set(settings.PASSWORD_EXPIRY_ROLES)
    ):
        return False
    since = user.password_changed_at or user.date_joined
    return timezone.now() - since > datetime.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


class PasswordExpiryMiddleware:
    """Sends a user whose password expired to the password change page (and lets through only
    that page, logout and the language switch) until it is changed."""

    ALLOWED = (
        "accounts:password_change",
        "accounts:logout",
        "set_language",
        "javascript-catalog",
        "accounts:two_factor",
        "accounts:two_factor_verify",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not signed_in_by_provider(request)  # no local password was used
            and password_expired(user)
        ):
            allowed = {reverse(name) for name in self.ALLOWED}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": str(PASSWORD_EXPIRED_MESSAGE)}, status=403)
                messages.warning(request, PASSWORD_EXPIRED_MESSAGE)
                return redirect("accounts:password_change")
        return self.get_response(request)


SECOND_FACTOR_MESSAGE = _("Enter the code of your authenticator app to go on.")
ENROL_MESSAGE = _("Your role needs a second factor: set up an authenticator app to go on.")


class TwoFactorMiddleware:
    """Before anything else, a signed-in user whose session is not verified by a second factor
    (``request.user.is_verified()``, django-otp) is sent to enter a code when they have a
    device, or to enrol one when their role needs it (``twofactor.two_factor_required``). Only the
    two-factor pages, logout and the language switch stay open. Off in the test settings only."""

    ALLOWED = (
        "accounts:two_factor",
        "accounts:two_factor_verify",
        "accounts:logout",
        "set_language",
        "javascript-catalog",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.TWO_FACTOR_ENFORCED
            and user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.session.get(SSO_MFA_KEY)
        ):
            denied = self._refuse(request, user)
            if denied is not None:
                return denied
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, user: Any) -> HttpResponse | None:
        from mhcare.accounts.twofactor import confirmed_device, two_factor_required

        has_device = confirmed_device(user) is not None
        if not has_device and not two_factor_required(user):
            return None
        allowed = {reverse(name) for name in self.ALLOWED}
        if request.path in allowed or request.path.startswith(settings.STATIC_URL):
            if has_device and request.path == reverse("accounts:two_factor"):
                return redirect_to("accounts:two_factor_verify", request)
            return None
        message = SECOND_FACTOR_MESSAGE if has_device else ENROL_MESSAGE
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": str(message)}, status=403)
        target = "accounts:two_factor_verify" if has_device else "accounts:two_factor"
        return redirect_to(target, request)


def redirect_to(name: str, request: HttpRequest) -> HttpResponse:
    """A redirect to ``name`` that remembers the page asked for (``?next=``)."""
    from urllib.parse import urlencode

    url = reverse(name)
    if request.method == "GET" and request.path != url:
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return redirect(url)


class NoStoreMiddleware:
    """Authenticated pages are never kept by a browser or a proxy cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response
