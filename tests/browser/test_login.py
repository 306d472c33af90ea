"""Logging in, switching language and being locked out, the way a teacher meets them in Chromium."""

import pytest

from mhcare.audit.models import Action, AuditEvent
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_then_switch_to_english(page, world):
    # given a psychology teacher on the login page, in Chinese by default
    page.goto("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    screenshot(page, "login-zh")

    # when she logs in and switches the language
    log_in(page, "psych_a", world.password)
    assert page.url.endswith("/")
    with page.expect_navigation():
        page.select_option("#lang-select", "en")

    # then the page is in English and the login was audited
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_text("Log out").is_visible()
    screenshot(page, "home-psych-en")
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor_username="psych_a").exists()


def test_five_wrong_passwords_lock_the_account(page, world):
    for _ in range(5):
        log_in(page, "psych_a", "wrong-Password-1")
    log_in(page, "psych_a", world.password)
    # the right password no longer opens the door for 15 minutes
    assert "/accounts/login/" in page.url or page.locator("[data-testid=locked-out]").count() == 1
    assert page.locator("[data-testid=locked-out]").count() == 1
    screenshot(page, "locked-out")
    assert (
        AuditEvent.objects.filter(action=Action.LOGIN_FAILED, actor_username="psych_a").count() >= 5
    )
