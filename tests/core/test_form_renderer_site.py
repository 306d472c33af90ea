"""The site's form renderer (``FORM_RENDERER``: ``QuickWidgetRenderer``) gives every page the
characters Django's own renderer gives: each page without URL parameters, for a user of each
role, in both languages — nonces and CSRF tokens aside, which change with every response."""

from __future__ import annotations

import re

import pytest
from django.forms.renderers import get_default_renderer

from mhcare.core.forms import QuickWidgetRenderer
from tests.accounts.test_pages_two_roles import PARAMS
from tests.conftest import login

pytestmark = pytest.mark.django_db

ROUTES = sorted(name for name, params in PARAMS.items() if not params)
USERS = ["psych_a", "homeroom_a", "leader_a", "center_a", "official_a", "official_province"]
# A CSP nonce, a masked CSRF token: new in every response.
VOLATILE = re.compile(r'nonce="[^"]*"|\b[A-Za-z0-9]{64}\b')
STOCK = "django.forms.renderers.DjangoTemplates"


def _pages(client, paths: list[str]) -> dict[str, tuple[int, str]]:
    pages = {}
    for path in paths:
        response = client.get(path)
        body = (
            response.content.decode()
            if response.get("Content-Type", "").startswith("text/html")
            else ""
        )
        pages[path] = (response.status_code, VOLATILE.sub("…", body))
    return pages


def test_the_site_renders_forms_with_the_quick_renderer():
    assert isinstance(get_default_renderer(), QuickWidgetRenderer)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_is_the_same_with_djangos_own_renderer(client, world, settings, language):
    from django.urls import NoReverseMatch, reverse

    paths = []
    for name in ROUTES:
        try:
            paths.append(reverse(name))
        except NoReverseMatch:
            continue
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    compared = 0
    for username in USERS:
        user = world.users[username]
        user.language = language
        user.save(update_fields=["language"])
        login(client, user)
        quick = _pages(client, paths)
        settings.FORM_RENDERER = STOCK
        stock = _pages(client, paths)
        settings.FORM_RENDERER = "mhcare.core.forms.QuickWidgetRenderer"
        for path in paths:
            if quick[path] != stock[path]:  # a minute turned between the two (a form's "now")?
                quick[path], stock[path] = _pages(client, [path])[path], None
                settings.FORM_RENDERER = STOCK
                stock[path] = _pages(client, [path])[path]
                settings.FORM_RENDERER = "mhcare.core.forms.QuickWidgetRenderer"
            assert quick[path] == stock[path], (username, path)
            compared += quick[path][0] == 200 and "<select" in quick[path][1]
        client.logout()
    assert compared > 20  # pages with a form's <select> among them
