import functools

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mhcare.accounts import policy, scope
from mhcare.core.registry import todo_for


@policy.any_authenticated
def home(request: HttpRequest) -> HttpResponse:
    """The home page: what this person needs first, from every app's registered panels."""
    return render(
        request,
        "core/home.html",
        {"panels": todo_for(request.user), "grants": scope.grants(request.user)},
    )


# How long /healthz waits for workers to say which tasks they hold: the probe must stay fast.
HEALTHZ_WORKER_TIMEOUT_SECONDS = 1.0
IN_PROCESS = "not used: tasks run in-process (CELERY_TASK_ALWAYS_EAGER)"
NO_WORKER = "error: no worker answers"


def _redis_needed() -> bool:
    """Redis is the broker unless tasks run in-process, and the cache when it is configured so."""
    from django.conf import settings

    backend = str(settings.CACHES.get("default", {}).get("BACKEND", ""))
    return not settings.CELERY_TASK_ALWAYS_EAGER or "redis" in backend.lower()


@functools.cache
def expected_tasks() -> frozenset[str]:
    """Every task of this code base (the same discovery the worker runs at start-up); found once
    per process, the code does not change under it."""
    from mhcare.celery import app

    app.loader.import_default_modules()
    return frozenset(name for name in app.tasks if not name.startswith("celery."))


def _worker_check() -> str:
    """'ok (n workers)', or which worker lacks which task, or that no worker answers."""
    from mhcare.celery import app

    expected = expected_tasks()
    replies = app.control.inspect(timeout=HEALTHZ_WORKER_TIMEOUT_SECONDS).registered() or {}
    if not replies:
        return NO_WORKER
    problems = []
    for worker, registered in sorted(replies.items()):
        missing = sorted(expected - {name.split(" ", 1)[0] for name in registered or ()})
        if missing:
            problems.append(f"{worker} missing tasks [{', '.join(missing)}]")
    if problems:
        return "error: " + "; ".join(problems)
    return f"ok ({len(replies)} worker{'s' if len(replies) > 1 else ''})"


@policy.public
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database and Redis answer, and a Celery worker answers with
    every task of the code (a worker of an older image, or one started without the task modules,
    would leave jobs "waiting" for ever). 503 with the reason otherwise. When tasks run in-process
    (``make run`` without Redis) neither Redis nor a worker is needed."""
    from django.conf import settings

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        checks["database"] = f"error: {exc.__class__.__name__}"
    if _redis_needed():
        try:
            import redis

            redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
            ).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {exc.__class__.__name__}"
    else:
        checks["redis"] = IN_PROCESS
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["worker"] = IN_PROCESS
    elif checks["redis"] != "ok":
        checks["worker"] = "error: unknown (the broker does not answer)"
    else:
        try:
            checks["worker"] = _worker_check()
        except Exception as exc:  # noqa: BLE001
            checks["worker"] = f"error: {exc.__class__.__name__}"
    healthy = not any(value.startswith("error") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
