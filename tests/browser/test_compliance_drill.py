"""A city official drills from the city to a county to a school on the indicator dashboard
(snapshots computed by the refresh service), in Chinese, without any student's identity."""

import datetime

import pytest

from compliance import services
from compliance.periods import parse_period
from mhcare.accounts.models import Role
from screening.models import Instrument
from screening.services import result_create
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_city_official_drills_from_the_city_to_a_school(page, world):
    w = world
    result_create(
        actor=w.users["psych_a"],
        student=w.students["a"],
        instrument=Instrument.objects.get(code="PHQ-9"),
        answers=[0] * 9,
        administered_on=datetime.date(2026, 10, 8),
    )
    services.snapshot_refresh(period=parse_period("2026"))
    factories.user_with_role(Role.OFFICIAL, w.city, username="official_city")
    log_in(page, "official_city", w.password)

    page.goto("/compliance/indicators/")
    assert page.locator("h1").inner_text().startswith("杭州市")
    assert "筛查覆盖率" in page.locator("[data-testid=indicator-table]").inner_text()
    # every indicator has its source now: one with nothing to count says so, none says "no data"
    table = page.locator("[data-testid=indicator-table]").inner_text()
    assert "无统计对象" in table
    assert "暂无数据" not in table
    # each one has its trend sparkline
    assert "趋势" in page.locator("[data-testid=indicator-table]").inner_text()
    assert page.locator("[data-testid=indicator-table] svg.sparkline").count() == 12
    assert page.locator("[data-testid=sub-units] svg").count() == 1

    page.click(f"[data-testid=drill-{w.county_a.code}]")
    assert page.locator("h1").inner_text().startswith("西湖区")
    non_compliant = page.locator("[data-testid=non-compliant]").inner_text()
    assert "西湖二中" in non_compliant
    assert "低于目标值" in non_compliant
    screenshot(page, "compliance_drill")

    page.click(f"[data-testid=drill-{w.school_a.code}]")
    assert page.locator("h1").inner_text().startswith("西湖一中")
    row = page.locator("[data-indicator=screening_coverage]").inner_text()
    assert "50.0%" in row
    assert "杭州市" in page.locator("[data-testid=breadcrumb]").inner_text()
    body = page.locator("main").inner_text()
    for student in w.students.values():
        assert student.name not in body
