from django.test import override_settings
from django.urls import reverse

from mhcare.core.views import IN_PROCESS

# /healthz with a real worker (complete, tasks missing, none): tests/test_worker_registry.py


def test_healthz_with_tasks_in_process_needs_neither_redis_nor_a_worker(client, db):
    # the test settings run tasks eagerly with a per-process cache, as `make run` without Redis
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": IN_PROCESS,
        "worker": IN_PROCESS,
    }


@override_settings(REDIS_URL="redis://127.0.0.1:1/0", CELERY_TASK_ALWAYS_EAGER=False)
def test_healthz_fails_when_redis_is_down(client, db):
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["redis"].startswith("error")
    assert body["worker"] == "error: unknown (the broker does not answer)"
    assert body["database"] == "ok"


def test_home_requires_login(client, db):
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_home_shows_the_users_roles(client, world):
    client.force_login(world.users["psych_a"])
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store")
