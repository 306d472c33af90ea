from django.test import override_settings
from django.urls import reverse


def test_healthz_reports_database_and_redis(client, db):
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_fails_when_redis_is_down(client, db):
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")


def test_home_requires_login(client, db):
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_home_shows_the_users_roles(client, world):
    client.force_login(world.users["psych_a"])
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store")
