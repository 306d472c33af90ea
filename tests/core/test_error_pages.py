"""403, 404 and 500 are pages of the app (its layout, the user's language: Chinese first), also
with DEBUG on; a refused or missing page logs one line, never a traceback."""

import logging

import pytest
from django.test import RequestFactory
from django.urls import reverse

from mhcare.core import errors

NOT_FOUND_URL = "/no-such-page/"


def _grid_url(world):
    # The entry grid is refused to a homeroom teacher (403); the campaign id does not matter.
    return reverse("screening:campaign_grid", args=[1, world.class_a.pk, "PHQ-9"])


@pytest.mark.parametrize("debug", [False, True])
def test_404_is_the_apps_page_with_debug_on_or_off(client, world, settings, debug):
    settings.DEBUG = debug
    client.force_login(world.users["psych_a"])
    for url in (
        NOT_FOUND_URL,  # no URL pattern
        reverse("crisis:evaluate", args=[world.students["b"].pk]),  # out of scope: the view's 404
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        html = response.content.decode()
        assert 'data-testid="error-404"' in html, url
        assert 'class="topbar"' in html  # the site's layout, with its navigation
        assert "This page does not exist" in html
        assert "URLconf" not in html
        assert "Django tried these URL patterns" not in html


def test_404_of_the_api_stays_json(client, world, settings):
    settings.DEBUG = True
    client.force_login(world.users["psych_a"])
    response = client.get(reverse("api-campaign-detail", args=[999999999]))
    assert response.status_code == 404
    assert "error-404" not in response.content.decode()


def test_403_is_the_apps_page_without_a_traceback(client, world, caplog):
    client.force_login(world.users["homeroom_a"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(_grid_url(world))
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="error-403"' in html
    assert "You do not have access to this page" in html
    assert "403 Forbidden" not in html
    refused = [r for r in caplog.records if r.name == "django.request"]
    assert refused, "the refusal is still logged, in one line"
    assert all(r.exc_info is None for r in refused)
    assert "Traceback" not in caplog.text


@pytest.mark.zh
def test_error_pages_speak_chinese_first(client, world):
    client.force_login(world.users["homeroom_a"])
    assert "你没有权限访问此页面" in client.get(_grid_url(world)).content.decode()
    assert "页面不存在" in client.get(NOT_FOUND_URL).content.decode()
    anonymous = client.__class__()
    assert "页面不存在" in anonymous.get(NOT_FOUND_URL).content.decode()


def test_500_is_the_apps_page(world):
    request = RequestFactory().get("/")
    request.user = world.users["psych_a"]
    response = errors.server_error(request)
    assert response.status_code == 500
    assert 'data-testid="error-500"' in response.content.decode()


def test_500_still_answers_when_the_layout_cannot_render(world, settings):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": ["no.such.processor"],
            },
        }
    ]
    request = RequestFactory().get("/")
    request.user = world.users["psych_a"]
    response = errors.server_error(request)
    assert response.status_code == 500
    assert "系统出错了" in response.content.decode()


@pytest.mark.zh
def test_a_refused_form_is_the_apps_page_saying_nothing_was_saved(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["psych_a"])
    response = client.post(reverse("notifications:settings"), {"email_digest": "daily"})
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="error-403-csrf"' in body
    assert "表单已失效" in body  # Chinese first
    assert "CSRF verification failed" not in body  # not Django's English page
