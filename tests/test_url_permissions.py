"""Deny by default: every URL pattern's view declares what it needs (``policy.requires`` /
``policy.public`` / ``policy.any_authenticated``), and the declaration is enforced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from mhcare.accounts import policy
from tests.conftest import login

# Declared as a whole: every admin view checks is_staff and the model permissions itself.
WHOLE_DECLARED_NAMESPACES = {"admin"}


def walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in WHOLE_DECLARED_NAMESPACES:
                continue
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield prefix + str(entry.pattern), name, entry.callback


PATTERNS = list(walk(get_resolver().url_patterns))


def test_the_walk_reaches_pages_apis_and_the_admin_is_declared_whole():
    routes = {route for route, _name, _view in PATTERNS}
    assert "crisis/cases/<int:pk>/" in routes
    assert "api/v1/students/" in routes
    assert "screening/s/" in routes
    assert any(
        isinstance(e, URLResolver) and e.namespace == "admin" for e in get_resolver().url_patterns
    )
    assert len(PATTERNS) > 60


@pytest.mark.parametrize(("route", "name", "view"), PATTERNS, ids=[p[0] for p in PATTERNS])
def test_every_pattern_declares_what_it_needs(route, name, view):
    assert policy.declaration(view) is not None, (
        f"{route} ({name}) declares nothing: add @policy.requires(Action.X), "
        "@policy.any_authenticated or @policy.public"
    )


def test_public_views_are_few_and_named():
    public = sorted(
        name for _route, name, view in PATTERNS if (d := policy.declaration(view)) and d.public
    )
    assert public == sorted(
        [
            "accounts:login",
            "accounts:logout",
            "accounts:password_reset_complete",
            "accounts:password_reset_confirm",
            "accounts:sso_callback",  # single sign-on: anonymous until the provider answers
            "accounts:sso_login",
            "core:healthz",
            "javascript-catalog",
            "screening:privacy_notice",
            "screening:selfscreen_answer",
            "screening:selfscreen_done",
            "screening:selfscreen_start",
            "set_language",
        ]
    )


def test_every_declared_action_is_in_the_table():
    for _route, _name, view in PATTERNS:
        declared = policy.declaration(view)
        assert declared is not None
        for action in declared.actions:
            assert action in policy.ACTION_RULES


def test_the_declaration_is_enforced_before_the_view(client, world):
    # an official (no case action anywhere) is refused by the declaration: 403 before any lookup
    login(client, world.users["official_a"])
    assert client.get(reverse("crisis:case_detail", args=[999999])).status_code == 403
    assert client.post(reverse("crisis:evaluate", args=[world.students["a"].pk])).status_code == 403
    assert client.get(reverse("api-student-list")).status_code == 403
    # the school leader reads cases (404 for a missing one) but writes none
    login(client, world.users["leader_a"])
    assert client.get(reverse("crisis:case_detail", args=[999999])).status_code == 404
    response = client.post(reverse("crisis:evaluate", args=[world.students["a"].pk]))
    assert response.status_code == 403


def test_anonymous_is_sent_to_login_and_api_refused(client, world):
    response = client.get(reverse("crisis:highrisk_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert client.get(reverse("api-student-list")).status_code in (401, 403)
    assert client.get(reverse("core:healthz")).status_code in (200, 503)


@pytest.mark.parametrize(
    "who",
    [
        "psych_a",
        "leader_a",
        "homeroom_a",
        "center_a",
        "official_a",
        "official_province",
        "admin",
    ],
)
def test_every_menu_link_opens_for_whom_it_is_shown(client, world, who):
    login(client, world.users[who])
    home = client.get(reverse("core:home"))
    assert home.status_code == 200
    links = [url for _label, url in home.context["nav_items"]]
    assert links
    for url in links:
        if url.startswith("/admin/"):
            continue
        response = client.get(url)
        assert response.status_code == 200, (who, url, response.status_code)


def test_the_api_schema_and_docs_need_a_signed_in_user(client, world):
    from django.urls import reverse

    for name in ("api-schema", "api-docs"):
        assert client.get(reverse(name)).status_code in {401, 403}
    client.force_login(world.users["homeroom_a"])
    assert client.get(reverse("api-schema"), {"format": "json"}).status_code == 200
    assert client.get(reverse("api-docs")).status_code == 200
