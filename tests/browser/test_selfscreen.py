"""A student answers the campaign's questionnaire with the code from her slip, at a school
computer, without an account: she types the code, answers with the keyboard and the mouse, and
sees only a thank-you."""

import datetime

import pytest
from django.utils import timezone

from screening.models import (
    Campaign,
    CampaignInstrument,
    Instrument,
    ResultSource,
    ScreeningResult,
    SelfScreeningCode,
)
from screening.selfscreen.services import selfscreen_codes_issue
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign(world):
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="2026 秋季心理普查",
        school_year=world.class_a.school_year,
        org_unit=world.county_a,
        window_start=today - datetime.timedelta(days=1),
        window_end=today + datetime.timedelta(days=14),
        allow_self_screening=True,
    )
    CampaignInstrument.objects.create(
        campaign=campaign,
        instrument=Instrument.objects.get(code="PHQ-9"),
        grade_min=4,
        grade_max=12,
    )
    return campaign


def test_the_teacher_prints_codes(page, world, campaign):
    log_in(page, "psych_a", world.password)
    page.goto("/screening/selfscreen/")
    page.select_option("select[name=campaign]", str(campaign.pk))
    page.select_option("select[name=klass]", str(world.class_a.pk))
    page.click("[data-testid=codes-form] button[type=submit]")
    page.wait_for_selector("[data-testid=slip]")
    slip = page.locator("[data-testid=slip]").first
    assert world.students["a"].name in slip.inner_text()
    assert SelfScreeningCode.objects.filter(student=world.students["a"]).exists()
    screenshot(page, "selfscreen-1-teacher-slips")


def test_a_student_answers_with_her_code(page, world, campaign):
    [issued] = selfscreen_codes_issue(
        actor=world.users["psych_a"], campaign=campaign, klass=world.class_a
    )

    page.goto("/screening/s/")
    assert page.locator("input[name=code]").is_visible()
    screenshot(page, "selfscreen-2-code")

    # a typo first: a calm message, no student data
    page.fill("input[name=code]", "ZZZZ-ZZZZ")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=code-message]")
    assert world.students["a"].name not in page.content()

    # her code, typed in lower case
    page.fill("input[name=code]", issued.display.lower())
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=answer-form]")
    assert world.students["a"].name in page.locator("[data-testid=who]").inner_text()

    # items 1–5 with the keyboard: Tab to the group, arrow keys choose the option
    page.locator("input[name=item_1]").first.focus()
    page.keyboard.press("Space")  # 0 · 完全不会
    page.keyboard.press("ArrowRight")  # 1
    for _ in range(4):
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        page.keyboard.press("ArrowRight")  # 1
    # items 6–9 with the mouse, on the big option labels
    for number, value in [(6, 0), (7, 0), (8, 0), (9, 1)]:
        page.locator(f"fieldset#fs-item_{number} label.option").nth(value).click()
    screenshot(page, "selfscreen-3-answers")

    page.click("[data-testid=answer-form] button[type=submit]:not([name=language])")
    page.wait_for_selector("[data-testid=done]")
    screenshot(page, "selfscreen-4-thank-you")
    assert "6" not in page.locator("[data-testid=done]").inner_text()

    result = ScreeningResult.objects.get(student=world.students["a"])
    assert result.answers == [1, 1, 1, 1, 1, 0, 0, 0, 1]
    assert (result.source, result.is_critical) == (ResultSource.SELF, True)
    assert SelfScreeningCode.objects.get().used_at is not None

    # the code works once
    page.goto("/screening/s/")
    page.fill("input[name=code]", issued.code)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=code-message]")
    screenshot(page, "selfscreen-5-used-code")
    assert ScreeningResult.objects.count() == 1
