"""Error pages of the app (403, 404, 500), in the user's language and in the site's layout.

- ``handler403`` / ``handler404`` / ``handler500`` in ``mhcare/urls.py`` point here.
- With ``DEBUG = True`` Django answers a 404 with its technical page (every URL pattern, the
  settings): ``AppErrorPagesMiddleware`` puts the app's page in its place, so a developer sees
  what a teacher sees.
- ``ExpectedClientErrors`` (a filter on the ``django.request`` logger) keeps the one-line
  "Forbidden" / "Not Found" warning but drops the traceback of an expected ``PermissionDenied``
  or ``Http404``: a refused page is not a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

FALLBACK_500 = (
    '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>系统出错 · mhcare'
    "</title></head><body><h1>系统出错了</h1><p>请稍后再试；如果问题仍然存在，请联系管理员。</p>"
    '<p lang="en">Something went wrong. Please try again later; if it keeps happening, tell '
    "your administrator.</p></body></html>"
)


def _page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    response = render(request, template, {"status": status}, status=status)
    response.is_app_error_page = True  # type: ignore[attr-defined]
    return response


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form (expired or missing CSRF token): the app's page in the user's language,
    saying nothing was saved (``CSRF_FAILURE_VIEW``); Django's reason is for the log only."""
    logger.warning("CSRF check failed on %s: %s", request.path, reason)
    return _page(request, "403_csrf.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        # An API URL that matches nothing (a path parameter that is not a number) answers as the
        # API's own 404 does: JSON, as the schema documents.
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return _page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The layout needs the database (navigation, inbox): when that is what failed, a plain page
    in both languages still answers."""
    try:
        return _page(request, "500.html", 500)
    except Exception:
        logger.exception("The 500 page could not be rendered")
        return HttpResponse(FALLBACK_500, status=500)


class AppErrorPagesMiddleware:
    """With DEBUG on, a 404 is still the app's page (Django would show its technical page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not getattr(response, "is_app_error_page", False)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return page_not_found(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None


NUL_IN_REQUEST = _(
    "The address contains a NUL character (a zero byte), which no value may contain; nothing "
    "was done."
)


class RefuseNulBytesMiddleware:
    """A NUL character in the path or the query string is no valid value anywhere (PostgreSQL
    text cannot hold it: a lookup with it would be a server error): 400 before any view runs, as
    JSON under /api/. Form and JSON bodies are checked by the fields themselves (Django's and
    DRF's ``CharField`` refuse NUL)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            message = str(NUL_IN_REQUEST)
            if request.path.startswith(API_PREFIX):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ExpectedClientErrors(logging.Filter):
    """Drop the traceback (not the warning) of a refused or missing page."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info: Any = record.exc_info
        if exc_info and isinstance(exc_info[1], PermissionDenied | Http404):
            record.exc_info = None
            record.exc_text = None
        return True
