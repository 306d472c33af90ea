"""A psychology teacher who gets many reminders chooses the daily digest from her inbox, in
Chinese; the choice is kept and shown the next time."""

import pytest

from mhcare.notifications.models import EmailMode, EmailPreference
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_choose_the_daily_digest(page, world):
    log_in(page, "psych_a", world.password)
    page.goto("/inbox/")
    page.get_by_test_id("email-settings-link").click()
    page.wait_for_url("**/inbox/settings/")
    assert page.locator("input[value=immediate]").is_checked()
    page.locator("input[value=digest]").check()
    screenshot(page, "email-settings-1-digest-chosen")
    page.locator("[data-testid=email-settings] button[type=submit]").click()
    page.locator(".messages").wait_for()
    screenshot(page, "email-settings-2-saved")
    assert page.locator("input[value=digest]").is_checked()
    preference = EmailPreference.objects.get(user=world.users["psych_a"])
    assert preference.mode == EmailMode.DIGEST
