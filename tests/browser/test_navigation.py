"""The header menu groups a person's entries by area: a psychology teacher's twenty entries sit on
one line, each group opens below its heading, and a click elsewhere closes it."""

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_psychology_teacher_menu_fits_one_line_and_opens_by_group(page, world):
    log_in(page, "psych_a", world.password)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    nav = page.locator("nav.mainnav")
    home = nav.locator("a").first.bounding_box()
    box = nav.bounding_box()
    assert home is not None
    assert box is not None
    assert box["height"] < 2 * home["height"]  # one line, not two

    crisis = nav.locator("details[data-navgroup=crisis]")
    assert not crisis.locator("a").first.is_visible()  # closed until asked
    crisis.locator("summary").click()
    assert crisis.locator("a[href*='/incidents/']").is_visible()
    screenshot(page, "menu-psych-crisis-open")

    # opening another group closes the first
    nav.locator("details[data-navgroup=screening] > summary").click()
    assert not crisis.locator("a").first.is_visible()
    page.keyboard.press("Escape")
    assert not nav.locator("details[open]").count()

    nav.locator("details[data-navgroup=crisis] > summary").click()
    crisis.locator("a[href*='/incidents/']").click()
    page.wait_for_load_state("networkidle")
    assert "/incidents/" in page.url
    # the group of the open page is marked
    assert "current" in (crisis.locator("summary").get_attribute("class") or "")

    # the browser asks for Chinese: the headings are Chinese
    headings = page.locator("nav.mainnav details > summary").all_inner_texts()
    assert "危机干预" in headings
    assert "心理筛查" in headings
