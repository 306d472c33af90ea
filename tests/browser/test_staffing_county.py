"""A county official opens the staffing page, filters to the non-compliant schools and reads why
each one is non-compliant (in Chinese, the default language)."""

import datetime

import pytest

from staffing.models import MHTeacher, PostKind
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_official_filters_to_non_compliant_schools_and_reads_why(page, world):
    MHTeacher.objects.create(
        school=world.school_a,
        name="林晓",
        kind=PostKind.FULLTIME,
        start_date=datetime.date(2024, 9, 1),
    )
    MHTeacher.objects.create(
        school=world.school_a2,
        name="周敏",
        kind=PostKind.PARTTIME,
        start_date=datetime.date(2024, 9, 1),
    )
    log_in(page, "official_a", world.password)
    page.goto("/staffing/")
    rows = page.locator("[data-testid=staffing-table] tbody tr")
    assert rows.count() == 2
    page.select_option("select[name=status]", "non_compliant")
    page.click("[data-testid=staffing-filter-submit]")
    page.wait_for_load_state("networkidle")
    assert rows.count() == 1
    row = rows.first
    assert row.get_attribute("data-school") == world.school_a2.code
    assert row.locator("[data-status=non_compliant]").count() == 1
    reason = row.locator("[data-testid=staffing-reason]").inner_text()
    assert "2025-09-01" in reason
    assert "没有专职心理健康教师在岗" in reason
    assert "林晓" not in page.content()
    assert "周敏" not in page.content()
    screenshot(page, "staffing_county")


def test_psych_teacher_adds_a_full_time_teacher_and_the_school_complies(page, world):
    log_in(page, "psych_a", world.password)
    page.goto(f"/staffing/schools/{world.school_a.code}/")
    status = page.locator("[data-testid=provision-status]")
    assert status.locator("[data-status=non_compliant]").count() == 1
    form = page.locator("[data-testid=teacher-add-form]")
    form.locator("input[name=name]").fill("林晓")
    form.locator("select[name=kind]").select_option("fulltime")
    form.locator("input[name=start_date]").fill("2024-09-01")
    form.locator("select[name=certificate_level]").select_option("B")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert status.locator("[data-status=compliant]").count() == 1
    assert "林晓" in page.locator("[data-testid=teacher-table]").inner_text()
    screenshot(page, "staffing_provision")
