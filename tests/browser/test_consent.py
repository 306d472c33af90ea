"""A homeroom teacher records the guardians' decisions for her class from the header menu; the
psychology teacher sees the refusal on the campaign's class page and cannot enter a result for
the refused student; the parent notice prints with no inline script; the privacy notice is
public."""

import datetime

import pytest
from django.utils import timezone

from screening.models import Campaign, CampaignInstrument, Instrument, ScreeningConsent
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consent_grid_campaign_page_and_notices(page, browser, live_server, world):
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="2026 秋季心理筛查",
        school_year=world.class_a.school_year,
        org_unit=world.county_a,
        window_start=today - datetime.timedelta(days=5),
        window_end=today + datetime.timedelta(days=20),
    )
    CampaignInstrument.objects.create(
        campaign=campaign,
        instrument=Instrument.objects.latest_of("PHQ-9"),
        grade_min=4,
        grade_max=12,
    )
    student = world.students["a"]

    # 1. the homeroom teacher opens "Guardian consent" and records a refusal by phone
    log_in(page, "homeroom_a", world.password)
    page.goto("/")
    page.click("nav.mainnav details[data-navgroup=screening] > summary")
    page.click("nav.mainnav a[href*='/screening/consents/classes/']")
    page.wait_for_load_state("networkidle")
    assert "/screening/consents/classes/" in page.url
    page.select_option(f"select[name=decision-{student.pk}]", "refused")
    page.select_option(f"select[name=way-{student.pk}]", "phone")
    page.uncheck(f"input[name=assent-{student.pk}]")
    screenshot(page, "consent-1-homeroom-grid")
    page.click("[data-testid=consent-save]")
    page.wait_for_load_state("networkidle")
    assert page.locator(f"tr[data-student='{student.pk}']").get_attribute("data-decision") == (
        "refused"
    )
    screenshot(page, "consent-2-homeroom-saved")
    consent = ScreeningConsent.objects.get(student=student)
    assert (consent.decision, consent.way, consent.student_assent) == ("refused", "phone", False)
    page.context.clear_cookies()

    # 2. the psychology teacher sees the refusal and the students without consent
    psych = browser.new_context(base_url=live_server.url).new_page()
    log_in(psych, "psych_a", world.password)
    psych.goto(f"/screening/campaigns/{campaign.pk}/classes/{world.class_a.pk}/")
    assert student.name in psych.locator("[data-testid=refused]").inner_text()
    assert (
        student.name not in psych.locator("[data-testid=unscreened]").inner_text()
        if (psych.locator("[data-testid=unscreened]").count())
        else True
    )
    screenshot(psych, "consent-3-campaign-class")

    # 3. the parent notice: the print button is wired by app.js (no inline handler)
    psych.goto(f"/screening/consents/campaigns/{campaign.pk}/notice/")
    assert "回执" in psych.locator("[data-testid=parent-notice]").inner_text()
    assert psych.locator("[data-print]").count() == 1
    screenshot(psych, "consent-4-parent-notice")

    # 4. the privacy notice needs no login
    anonymous = browser.new_context(base_url=live_server.url).new_page()
    anonymous.goto("/screening/consents/privacy/")
    assert "个人信息处理告知书" in anonymous.locator("[data-testid=privacy-zh]").inner_text()
    screenshot(anonymous, "consent-5-privacy-notice")
