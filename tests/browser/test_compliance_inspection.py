"""A school leader answers a rectification notice with measures and an evidence file; the county
official accepts it. The trend page shows small counts as "<5". Screenshots kept."""

import datetime

import pytest
from django.utils import timezone

from compliance import inspections
from tests.browser.conftest import ARTIFACTS, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_replies_and_official_accepts(page, world):
    w = world
    inspection = inspections.inspection_create(
        actor=w.users["official_a"],
        unit=w.school_a,
        inspected_on=timezone.localdate(),
        items_checked="心理辅导室；危机干预台账",
        findings="危机干预台账未按月更新",
    )
    notice = inspections.rectification_issue(
        actor=w.users["official_a"],
        inspection=inspection,
        school=w.school_a,
        finding="危机干预台账未按月更新",
        deadline=timezone.localdate() + datetime.timedelta(days=14),
    )
    log_in(page, "leader_a", w.password)
    page.goto("/compliance/rectifications/")
    page.click("text=西湖一中")
    page.fill("textarea[name=measures]", "已补录九月、十月台账，指定专人每月更新。")
    ARTIFACTS.mkdir(exist_ok=True)
    evidence = ARTIFACTS / "evidence.txt"
    evidence.write_text("台账照片说明", encoding="utf-8")
    page.set_input_files("input[name=evidence]", str(evidence))
    page.click("[data-testid=reply-form] button[type=submit]")
    assert "已回复" in page.locator("[data-testid=rect-status]").inner_text()
    assert page.locator("text=evidence.txt").count() == 1
    screenshot(page, "compliance_rectification_replied")

    page.context.clear_cookies()
    log_in(page, "official_a", w.password)
    page.goto(f"/compliance/rectifications/{notice.pk}/")
    page.select_option("select[name=decision]", "accept")
    page.click("[data-testid=decide-form] button[type=submit]")
    assert page.locator("[data-testid=rect-status]").inner_text().strip() in ("已接收", "Accepted")

    # Seven PHQ-9 results in the county, recounted as the minute sweep does after an entry.
    from compliance import trends
    from screening.models import Instrument
    from screening.services import result_create
    from tests import factories

    for i in range(7):
        result_create(
            actor=w.users["psych_a"],
            student=factories.StudentFactory(klass=w.class_a, gender="FM"[i % 2]),
            instrument=Instrument.objects.latest_of("PHQ-9"),
            answers=[0] * 9,
            administered_on=timezone.localdate(),
        )
    trends.band_counts_refresh()
    page.goto("/compliance/trends/")
    assert page.locator("[data-testid=trend-table]").count() >= 2
    assert "<5" in page.locator("[data-testid=trend-table]").first.inner_text()
    assert page.locator("[data-testid=band-table]").count() == 2  # this year and last
    assert "筛查分级统计截至" in page.locator("[data-testid=bands-as-of]").inner_text()
    # the bands under their names in the reader's language, not their codes
    header = page.locator("[data-testid=band-table] thead").first.inner_text()
    assert "minimal" not in header
    assert "无" in header or "轻" in header or "正常" in header, header
    screenshot(page, "compliance_trends")
