"""A city official drills from the city to a school on the dashboard, goes back to the county,
asks for its compliance report through the unit picker and downloads the PDF: Chinese text, the
numbers of the dashboard, the official's watermark, no student. The first page is kept as an
image (test-artifacts/compliance_report_p1.png)."""

import datetime
import subprocess

import pytest

from compliance import services
from compliance.periods import parse_period
from mhcare.accounts.models import Role
from screening.models import Instrument
from screening.services import result_create
from tests import factories
from tests.browser.conftest import ARTIFACTS, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_city_official_drills_to_a_school_and_downloads_the_county_pdf(page, world):
    w = world
    result_create(
        actor=w.users["psych_a"],
        student=w.students["a"],
        instrument=Instrument.objects.get(code="PHQ-9"),
        answers=[0] * 9,
        administered_on=datetime.date(2026, 10, 8),
    )
    services.snapshot_refresh(period=parse_period("2026"))
    factories.user_with_role(
        Role.OFFICIAL, w.city, username="official_city", first_name="", last_name="钱局长"
    )
    log_in(page, "official_city", w.password)

    page.goto("/compliance/indicators/?period=2026")
    assert page.locator("h1").inner_text().startswith("杭州市")
    page.click(f"[data-testid=drill-{w.county_a.code}]")
    page.click(f"[data-testid=drill-{w.school_a.code}]")
    assert page.locator("h1").inner_text().startswith("西湖一中")
    page.click("[data-testid=breadcrumb] >> text=西湖区")
    assert page.locator("h1").inner_text().startswith("西湖区")

    page.click("[data-testid=report-link]")
    assert page.locator("[data-testid=picked-unit]").inner_text() == "西湖区"
    page.select_option("#id_period", "2026")
    page.click("[data-testid=report-request-form] button[type=submit]")
    page.wait_for_selector("[data-testid=report-download]", timeout=30000)
    screenshot(page, "compliance_report_list")
    with page.expect_download() as info:
        page.click("[data-testid=report-download]")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "compliance_report.pdf"
    info.value.save_as(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "西湖区" in text
    assert "筛查覆盖率" in text
    assert "西湖一中" in text
    assert "钱局长" in text  # the watermark
    for student in w.students.values():
        assert student.name not in text
        assert student.student_number not in text
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(ARTIFACTS / "compliance_report_p1"),
        ],
        check=True,
    )
    assert (ARTIFACTS / "compliance_report_p1.png").exists()
