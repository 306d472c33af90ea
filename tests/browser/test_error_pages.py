"""A refused page and a missing page are pages of the app, in Chinese first, English on request."""

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_403_and_404_are_app_pages(page, world, browser, live_server):
    log_in(page, "homeroom_a", world.password)
    page.goto(f"/screening/campaigns/1/classes/{world.class_a.pk}/grid/PHQ-9/")
    page.locator("[data-testid=error-403]").wait_for()
    assert "你没有权限访问此页面" in page.content()
    assert page.locator(".topbar .mainnav a").count() > 0  # the teacher's navigation is there
    screenshot(page, "error-403-zh")
    page.goto("/no-such-page/")
    page.locator("[data-testid=error-404]").wait_for()
    assert "页面不存在" in page.content()
    screenshot(page, "error-404-zh")

    english = browser.new_context(base_url=live_server.url, locale="en-US")
    other = english.new_page()
    other.goto("/no-such-page/")
    other.locator("[data-testid=error-404]").wait_for()
    assert "This page does not exist" in other.content()
    screenshot(other, "error-404-en")
    english.close()
