"""The county center records a full-time 教研员 on the county page and the teaching-research unit
turns compliant; a psychology teacher marks a student transferred on the student's page (in
Chinese, the default language)."""

import pytest

from mhcare.orgs.models import EnrolmentStatus, Student
from staffing.models import Researcher
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_center_adds_a_researcher_and_the_unit_complies(page, world):
    research = factories.CountyFactory(
        parent=world.county_a, code="330106R", name="西湖区教研室", kind="research"
    )
    log_in(page, "center_a", world.password)
    page.goto(f"/staffing/?unit={world.county_a.code}&on=2025-09-01")
    table = page.locator("[data-testid=research-table]")
    assert table.locator("[data-status=non_compliant]").count() == 1
    form = page.locator("[data-testid=researcher-add-form]")
    form.locator("select[name=unit]").select_option(research.code)
    form.locator("input[name=name]").fill("许研")
    form.locator("select[name=kind]").select_option("fulltime")
    form.locator("input[name=start_date]").fill("2024-09-01")
    form.locator("input[name=psychology_degree]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert Researcher.objects.filter(unit=research, name="许研").exists()
    assert page.locator("[data-testid=researcher-posts]").inner_text().count("许研") == 1
    assert page.locator("[data-testid=research-table] [data-status=compliant]").count() == 1
    screenshot(page, "staffing_bureau_researcher")


def test_psych_teacher_marks_a_student_transferred(page, world):
    student = world.students["a"]
    log_in(page, "psych_a", world.password)
    page.goto(f"/students/{student.pk}/")
    page.locator("[data-testid=student-leave] summary").click()
    form = page.locator("[data-testid=student-leave-form]")
    form.locator("select[name=status]").select_option(EnrolmentStatus.TRANSFERRED)
    form.locator("input[name=left_on]").fill("2025-11-03")
    form.locator("textarea[name=reason]").fill("随父母迁居")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "2025-11-03" in page.locator("[data-testid=student-status]").inner_text()
    assert Student.objects.get(pk=student.pk).status == EnrolmentStatus.TRANSFERRED
    screenshot(page, "student_leave")
