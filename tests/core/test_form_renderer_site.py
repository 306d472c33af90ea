"""The site's form renderer (``FORM_RENDERER``: ``QuickWidgetRenderer``) gives every page the
characters Django's own renderer gives: each page without URL parameters, for a user of each
role, in both languages — nonces and CSRF tokens aside, which change with every response."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings as site_settings
from django.forms.renderers import get_default_renderer

from mhcare.core.forms import QuickWidgetRenderer
from tests.accounts.test_pages_two_roles import parameterless_paths
from tests.conftest import login

pytestmark = pytest.mark.django_db

USERS = ["psych_a", "homeroom_a", "leader_a", "center_a", "official_a", "official_province"]
# A CSP nonce, a masked CSRF token: new in every response.
VOLATILE = re.compile(r'nonce="[^"]*"|\b[A-Za-z0-9]{64}\b')
QUICK = site_settings.FORM_RENDERER  # the site's own setting
# What only a Django form puts on a page: a widget's or label's automatic id (``auto_id``, always
# "id_…" here) or an error list. The layout's own language and logout forms carry neither.
FORM_MARKS = re.compile(r'(id|for)="id_|errorlist')
STOCK = "django.forms.renderers.DjangoTemplates"


def _pages(client: Any, settings: Any, renderer: str, paths: list[str]) -> dict[str, Any]:
    settings.FORM_RENDERER = renderer
    pages = {}
    for path in paths:
        response = client.get(path)
        html = response.get("Content-Type", "").startswith("text/html")
        body = VOLATILE.sub("…", response.content.decode()) if html else ""
        pages[path] = (response.status_code, body)
    settings.FORM_RENDERER = QUICK
    return pages


def test_the_site_renders_forms_with_the_quick_renderer():
    assert isinstance(get_default_renderer(), QuickWidgetRenderer)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_is_the_same_with_djangos_own_renderer(client, world, settings, language):
    paths = parameterless_paths()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with_select = 0
    for username in USERS:
        user = world.users[username]
        user.language = language
        user.save(update_fields=["language"])
        login(client, user)
        quick = _pages(client, settings, QUICK, paths)
        # Only a page that renders a Django form can differ by form renderer; every other one (a
        # 403, a download, a page of figures) is not requested again with Django's renderer.
        with_forms = [path for path, (_status, body) in quick.items() if FORM_MARKS.search(body)]
        stock = _pages(client, settings, STOCK, with_forms)
        for path in with_forms:
            if quick[path] != stock[path]:  # a minute turned between the two (a form's "now")?
                quick[path] = _pages(client, settings, QUICK, [path])[path]
                stock[path] = _pages(client, settings, STOCK, [path])[path]
            assert quick[path] == stock[path], (username, path)
            with_select += quick[path][0] == 200 and "<select" in quick[path][1]
        client.logout()
    assert with_select > 20  # pages with a form's <select> among them
