"""The crisis registry in the browser: a psychology teacher's evaluation puts a proposed student on
the county list; the county center opens an overdue case from its list, logs a follow-up, and the
overdue mark clears."""

import datetime

import pytest
from django.utils import timezone

from crisis import services
from crisis.models import Case, CaseReport
from screening.models import Instrument
from screening.services import result_create
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_evaluation_puts_the_student_on_the_county_list(page, world, browser, live_server):
    student = world.students["a"]
    result_create(
        actor=world.users["psych_a"],
        student=student,
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=[1, 1, 1, 1, 1, 1, 1, 1, 1],
        administered_on=timezone.localdate(),
    )
    log_in(page, "psych_a", world.password)
    page.goto("/crisis/high-risk/")
    page.click(f"[data-testid=evaluate-{student.pk}]")
    page.wait_for_load_state("networkidle")
    screenshot(page, "crisis-1-evaluation")
    # No level is chosen for the person, not even "none"; submitting without one says so.
    assert page.locator("input[name=level]:checked").count() == 0
    page.fill("textarea[name=reason]", "面谈确认近两周有消极想法，无具体计划")
    page.click("[data-testid=evaluation-form] button[type=submit]")
    # The browser itself refuses (the radios are required); the server's own refusal is tested
    # in tests/crisis/test_cases.py::test_evaluation_preselects_no_level.
    assert page.locator("input[name=level]").first.evaluate("e => e.validity.valueMissing")
    assert not Case.objects.exists()
    page.check("input[name=level][value='2']")
    page.fill("textarea[name=reason]", "面谈确认近两周有消极想法，无具体计划")
    page.click("[data-testid=evaluation-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    case = Case.objects.get(student=student)
    assert page.url.endswith(f"/crisis/cases/{case.pk}/")
    assert case.level == "2"
    assert CaseReport.objects.filter(case=case).exists()
    screenshot(page, "crisis-2-case-opened")

    center = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    log_in(center, "center_a", world.password)
    center.goto("/crisis/high-risk/")
    row = center.locator(f"[data-testid=case-table] tr[data-case='{case.pk}']")
    assert student.name in row.inner_text()
    assert "level-orange" in row.inner_html()
    screenshot(center, "crisis-3-county-list")
    center.context.close()


def test_overdue_case_cleared_by_a_follow_up(page, world):
    student = world.students["a2"]
    case = services.evaluation_confirm(
        actor=world.users["center_a"], student=student, level="2", reason="教师观察：自伤迹象"
    ).case
    Case.objects.filter(pk=case.pk).update(
        opened_on=timezone.localdate() - datetime.timedelta(days=12),
        next_follow_up_due=timezone.localdate() - datetime.timedelta(days=5),
    )
    log_in(page, "center_a", world.password)
    page.goto("/crisis/high-risk/?overdue=on")
    row = page.locator(f"[data-testid=case-table] tr[data-case='{case.pk}']")
    assert row.locator("[data-testid=overdue]").count() == 1
    screenshot(page, "crisis-4-overdue-on-county-list")
    row.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=case-due] [data-testid=overdue]").count() == 1
    page.select_option("select[name=way]", "phone")
    page.fill("textarea[name=state_observed]", "电话回访：情绪较前平稳，睡眠改善")
    page.fill("textarea[name=actions]", "与家长约定本周末陪伴外出")
    page.click("[data-testid=follow-up-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=case-due] [data-testid=overdue]").count() == 0
    assert "电话回访" in page.locator("[data-testid=follow-ups]").inner_text()
    screenshot(page, "crisis-5-follow-up-logged")
    page.goto("/crisis/high-risk/")
    row = page.locator(f"[data-testid=case-table] tr[data-case='{case.pk}']")
    assert row.locator("[data-testid=overdue]").count() == 0
    case.refresh_from_db()
    assert case.next_follow_up_due == timezone.localdate() + datetime.timedelta(days=7)
