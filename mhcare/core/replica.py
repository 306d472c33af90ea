"""Reads of reports and dashboards from a read replica (issue 14).

Only reads that are explicitly chosen go to the replica: a view or task wraps them in
:func:`using_replica` (or decorates the view with :func:`replica_reads`). Everything else — every
write, every read outside that block — goes to the primary.

Replication lag: a streaming replica is behind the primary by a few milliseconds to seconds (more
during a bulk import or a vacuum). What is chosen here tolerates that: indicator snapshots are
nightly or minute-late already, trend tables are monthly. What must be current never goes there:

- a request or task that wrote anything (other than its session) reads the rest of its rows from
  the primary (:class:`ReplicaRouter` pins it on the first write; a row locked with
  ``select_for_update`` is a write);
- a writing request (POST, PUT, PATCH, DELETE) pins the browser to the primary for
  ``REPLICA_PIN_SECONDS`` with a cookie, so the page it redirects to shows what was just saved
  (a report just requested is in the list).

``REPLICA_DATABASE`` names the alias (``"replica"`` when ``DATABASE_REPLICA_URL`` is set); empty
turns the replica off and every read goes to the primary.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest, HttpResponse

P = ParamSpec("P")
R = TypeVar("R")

PIN_COOKIE = "mhcare_primary"
# Rows the app never reads back right after writing them: saving them does not pin to the primary.
PIN_EXEMPT_MODELS = frozenset({"sessions.session"})
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_replica_chosen: ContextVar[bool] = ContextVar("mhcare_replica_chosen", default=False)
_pinned: ContextVar[bool] = ContextVar("mhcare_replica_pinned", default=False)
_despite_writes: ContextVar[bool] = ContextVar("mhcare_replica_despite_writes", default=False)


def replica_alias() -> str | None:
    """The alias reads go to inside :func:`using_replica`, or None when there is no replica."""
    alias = getattr(settings, "REPLICA_DATABASE", "") or ""
    return alias if alias and alias in settings.DATABASES else None


@contextmanager
def using_replica(*, despite_writes: bool = False) -> Iterator[None]:
    """Reads inside this block go to the replica, unless the request or task wrote before or
    inside it. ``despite_writes``: the caller's own writes are rows it does not read here (a report
    task's status and progress on its request row), so they do not send its reads to the primary."""
    chosen = _replica_chosen.set(True)
    despite = _despite_writes.set(despite_writes)
    try:
        yield
    finally:
        _despite_writes.reset(despite)
        _replica_chosen.reset(chosen)


def replica_reads(view: Callable[P, R]) -> Callable[P, R]:
    """A view whose reads come from the replica (reports, dashboards, trends)."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with using_replica():
            return view(*args, **kwargs)

    return wrapper


def pin_to_primary() -> None:
    """The rest of this request (or task) reads from the primary."""
    _pinned.set(True)


def is_pinned() -> bool:
    return _pinned.get()


class ReplicaRouter:
    """Writes always go to the primary; reads go to the replica only when chosen."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        alias = replica_alias()
        if alias is None or not _replica_chosen.get():
            return None
        if _pinned.get() and not _despite_writes.get():
            return None
        return alias

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        if model._meta.label_lower not in PIN_EXEMPT_MODELS:
            pin_to_primary()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A physical replica follows the primary's schema; it is never migrated on its own.
        if db == replica_alias():
            return False
        return None


class ReplicaPinMiddleware:
    """Each request starts unpinned, unless the browser wrote a moment ago (the cookie); a writing
    request, or one that wrote, pins the browser to the primary for ``REPLICA_PIN_SECONDS``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pinned = request.method in WRITING_METHODS or PIN_COOKIE in request.COOKIES
        token = _pinned.set(pinned)
        try:
            response = self.get_response(request)
            wrote = _pinned.get() and (request.method in WRITING_METHODS or not pinned)
        finally:
            _pinned.reset(token)
        if wrote and replica_alias() is not None:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response


def reset_pin(**_: Any) -> None:
    """Before each Celery task: a worker process runs many tasks, the pin is per task."""
    _pinned.set(False)
