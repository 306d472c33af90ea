"""A subject teacher of two classes opens her lesson grid (both classes "missing" in October),
logs one lesson for both classes with one form, and sees the month grid update: 2 class hours in
October for each class, the rule met."""

import pytest

from mhcare.accounts.models import Role
from staffing.models import Lesson
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_teacher_logs_a_lesson_for_two_classes_and_sees_the_grid_update(page, world):
    teacher = factories.user_with_role(
        Role.SUBJECT_TEACHER,
        world.school_a,
        klass=world.class_a,
        username="subject_two",
        display_name="陈老师",
    )
    factories.RoleAssignmentFactory(
        user=teacher, role=Role.SUBJECT_TEACHER, org_unit=world.school_a, klass=world.class_a_other
    )
    log_in(page, "subject_two", world.password)
    page.goto("/staffing/lessons/?start=2026-09&end=2026-12")
    grid = page.locator("[data-testid=lesson-grid]")
    october = grid.locator("td[data-month='2026-10']")
    assert october.count() == 2
    assert all(october.nth(i).get_attribute("data-hours") == "0.0" for i in range(2))
    assert grid.locator(".lesson-flag").count() >= 2  # "missing" months flagged
    screenshot(page, "lessons_1_grid_before")

    page.click("[data-testid=log-link]")
    form = page.locator("[data-testid=lesson-form]")
    form.locator(f"input[name=classes][value='{world.class_a.pk}']").check()
    form.locator(f"input[name=classes][value='{world.class_a_other.pk}']").check()
    page.fill("input[name=given_on]", "2026-10-13")
    page.select_option("select[name=hours]", "2.0")
    page.fill("input[name=topic]", "认识情绪：我的情绪小怪兽")
    screenshot(page, "lessons_2_log_form")
    page.click("[data-testid=lesson-form] button[type=submit]")
    page.wait_for_load_state("networkidle")

    assert Lesson.objects.filter(teacher=teacher).count() == 2
    grid = page.locator("[data-testid=lesson-grid]")
    october = grid.locator("td[data-month='2026-10']")
    assert [october.nth(i).get_attribute("data-hours") for i in range(2)] == ["2.0", "2.0"]
    assert all("lesson-met" in (october.nth(i).get_attribute("class") or "") for i in range(2))
    assert page.locator("[data-testid=recent-lessons] tbody tr").count() == 2
    screenshot(page, "lessons_3_grid_after")
