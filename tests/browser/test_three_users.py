"""The foundation's thin slice, clicked through the way its three users do it:

1. a psychology teacher enters a PHQ-9 for a student of her school;
2. the county center sees that student on the county high-risk list (never another county's);
3. a county official asks for the compliance report and downloads the PDF.
Every step leaves its audit event."""

import datetime
import subprocess

import pytest

from mhcare.audit.models import Action, AuditEvent
from screening.models import CriticalAlertPending, Instrument, RiskProposal, ScreeningResult
from screening.services import result_create
from tests.browser.conftest import ARTIFACTS, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def enter_phq9(page, answers: list[int]) -> None:
    for number, value in enumerate(answers, start=1):
        page.check(f"input[name=item_{number}][value='{value}']")
    page.click("[data-testid=result-form] button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_psych_teacher_enters_phq9_and_county_center_sees_it(page, browser, live_server, world):
    student = world.students["a"]
    other_county = world.students["b"]
    # a high score in the other county must never reach county A's list
    result_create(
        actor=world.users["psych_b"],
        student=other_county,
        instrument=Instrument.objects.get(code="PHQ-9"),
        answers=[3, 3, 3, 3, 3, 3, 3, 3, 1],
        administered_on=datetime.date(2026, 11, 20),
    )

    # 1. the psychology teacher opens her student and enters a PHQ-9 with item 9 = 1
    log_in(page, "psych_a", world.password)
    page.goto("/students/")
    page.click(f"text={student.name}")
    page.wait_for_url(f"**/students/{student.pk}/")
    page.click("[data-testid=student-actions] a[href$='/enter/PHQ-9/']")
    screenshot(page, "1-psych-phq9-form")
    enter_phq9(page, [2, 2, 2, 2, 2, 2, 2, 2, 1])

    result = ScreeningResult.objects.get(student=student)
    assert (result.total, result.band, result.is_critical) == (17, "moderately_severe", True)
    assert RiskProposal.objects.filter(student=student, level="2").exists()
    assert page.url.endswith(f"/students/{student.pk}/")
    assert "17" in page.locator(".messages").inner_text()
    screenshot(page, "2-psych-student-after-phq9")
    # the alert went through its outbox (written with the result, sent after COMMIT): it is in
    # her inbox, naming the student and item 9, and nothing is left to send
    assert not CriticalAlertPending.objects.exists()
    page.goto("/inbox/")
    alert = page.locator("text=有一条危急筛查结果需要您查看").first
    alert.wait_for()
    assert student.name in page.content()
    screenshot(page, "2b-psych-inbox-critical-alert")
    assert AuditEvent.objects.filter(
        action=Action.CREATE, student=student, actor_username="psych_a"
    ).exists()

    # 2. the county center of county A sees her on the county list, not county B's student
    center = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    log_in(center, "center_a", world.password)
    center.goto("/crisis/high-risk/")
    table = center.locator("[data-testid=highrisk-table]")
    assert student.name in table.inner_text()
    assert other_county.name not in table.inner_text()
    screenshot(center, "3-county-center-highrisk-list")
    center.click(f"[data-testid=highrisk-table] >> text={student.name}")
    center.wait_for_url(f"**/students/{student.pk}/")
    assert AuditEvent.objects.filter(
        action=Action.VIEW, student=student, actor_username="center_a"
    ).exists()
    center.context.close()


def test_county_official_downloads_the_compliance_report(page, world):
    result_create(
        actor=world.users["psych_a"],
        student=world.students["a"],
        instrument=Instrument.objects.get(code="PHQ-9"),
        answers=[0, 1, 0, 1, 0, 0, 0, 0, 0],
        administered_on=datetime.date(2026, 11, 20),
    )
    log_in(page, "official_a", world.password)
    page.goto("/compliance/reports/")
    page.click("[data-testid=report-request-form] button[type=submit]")
    link = page.locator("[data-testid=report-download]").first
    link.wait_for(timeout=60_000)
    screenshot(page, "4-official-report-ready")

    with page.expect_download() as download_info:
        link.click()
    ARTIFACTS.mkdir(exist_ok=True)
    pdf_path = ARTIFACTS / "5-county-compliance-report.pdf"
    download_info.value.save_as(pdf_path)
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert world.county_a.name in text
    assert world.students["a"].name not in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf_path), str(pdf_path)[:-4]],
        check=True,
    )
    assert AuditEvent.objects.filter(action=Action.DOWNLOAD, actor_username="official_a").exists()
    assert AuditEvent.objects.filter(action=Action.CREATE, actor_username="official_a").exists()
