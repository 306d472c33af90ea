"""The idle-timeout bookkeeping writes the session row at most once per
``SESSION_ACTIVITY_WRITE_SECONDS``: a request within that window saves nothing, and the idle
timeout is still enforced from the stored stamp."""

import time

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mhcare.accounts.middleware import SESSION_SEEN_KEY

LOGIN = reverse("accounts:login")


def _session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]


def _set_seen(client, value: float) -> None:
    session = client.session
    session[SESSION_SEEN_KEY] = value
    session.save()


@pytest.mark.parametrize("page", ["core:home", "orgs:student_list"])
def test_no_session_write_on_a_request_within_the_window(client, world, page):
    client.force_login(world.users["psych_a"])
    assert client.get(reverse(page)).status_code == 200  # the first request stamps the session
    stamp = client.session[SESSION_SEEN_KEY]
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            assert client.get(reverse(page)).status_code == 200
    assert _session_writes(ctx.captured_queries) == []
    assert client.session[SESSION_SEEN_KEY] == stamp


def test_the_stamp_is_rewritten_once_the_window_passed(client, world):
    client.force_login(world.users["psych_a"])
    old = time.time() - settings.SESSION_ACTIVITY_WRITE_SECONDS - 1
    _set_seen(client, old)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("core:home")).status_code == 200
    assert len(_session_writes(ctx.captured_queries)) == 1
    assert client.session[SESSION_SEEN_KEY] > old + settings.SESSION_ACTIVITY_WRITE_SECONDS


def test_requests_within_the_window_do_not_push_back_the_idle_timeout(client, world):
    """Requests that save nothing leave the stored stamp where it was: once the idle timeout has
    passed since that stamp, the next request logs out."""
    client.force_login(world.users["psych_a"])
    client.get(reverse("core:home"))
    stamp = client.session[SESSION_SEEN_KEY]
    for _ in range(2):
        assert client.get(reverse("core:home")).status_code == 200
    assert client.session[SESSION_SEEN_KEY] == stamp
    _set_seen(client, stamp - settings.SESSION_IDLE_TIMEOUT_SECONDS - 1)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_window_is_much_shorter_than_the_idle_timeout():
    assert 0 < settings.SESSION_ACTIVITY_WRITE_SECONDS * 10 <= settings.SESSION_IDLE_TIMEOUT_SECONDS
