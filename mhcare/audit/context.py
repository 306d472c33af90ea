"""Per-request context (request id, client IP, actor) that audit events read, set by
``RequestContextMiddleware`` and usable outside requests (tasks, commands) with
``audit_context``."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None
    user: Any = None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "mhcare_request_context", default=None
)


def current() -> RequestContext | None:
    return _current.get()


@contextmanager
def audit_context(
    *, request_id: str | None = None, ip: str | None = None, user: Any = None
) -> Iterator[None]:
    token = _current.set(RequestContext(request_id or uuid.uuid4().hex, ip, user))
    try:
        yield
    finally:
        _current.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the address that the n-th trusted proxy saw (``TRUSTED_PROXY_COUNT``).
    A client cannot choose its address by sending X-Forwarded-For: only hops our own proxies
    appended count."""
    remote = request.META.get("REMOTE_ADDR")
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if hops <= 0:
        return remote
    forwarded = [
        p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
    ]
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return remote


def client_ip_for_axes(request: HttpRequest) -> str | None:
    return client_ip(request)
