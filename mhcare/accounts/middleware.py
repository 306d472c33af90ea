"""Session lifetime and caching rules for pages that show minors' data."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SESSION_STARTED_KEY = "mhcare_started"
SESSION_SEEN_KEY = "mhcare_seen"
SESSION_TIMED_OUT_KEY = "mhcare_timed_out"
# Set on the request before a forced logout so that the audit event says why.
LOGOUT_REASON_ATTR = "mhcare_logout_reason"


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
