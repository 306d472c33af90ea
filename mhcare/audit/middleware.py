import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from mhcare.audit.context import audit_context, client_ip


class RequestContextMiddleware:
    """Gives every request an id (echoed as ``X-Request-ID``) and the client IP for audit events."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        with audit_context(request_id=request_id, ip=client_ip(request)):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
