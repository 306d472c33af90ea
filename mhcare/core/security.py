"""The Content-Security-Policy header on every response: scripts only from this site (no inline
script, no inline handler, no eval), so an injected ``<script>`` or ``onerror=`` in a student's
free text could not run even if escaping failed somewhere. Inline ``style`` attributes stay
allowed (htmx injects its indicator styles; a style cannot run code)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = "; ".join(
            f"{directive} {sources}".strip()
            for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = self.policy
        return response
