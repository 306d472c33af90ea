"""A referral from a case to the institution and back to school (issue 10): the psychology teacher
refers a case student from the case page, records the guardian's consent and sends; the
institution's doctor logs in, finds it on the home page, accepts and writes feedback; the school
marks the return to school and writes the return plan. Screenshots: test-artifacts/referral_*.png.
"""

import pytest

from crisis.models import CaseStatus
from referrals.models import Referral, ReferralState
from tests.browser.conftest import log_in, screenshot
from tests.crisis.reporting.helpers import make_case
from tests.referrals.conftest import inst as inst  # the institution fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _new_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 860}
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _submit(page, testid):
    page.click(f"[data-testid={testid}] button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_a_case_student_is_referred_treated_and_returns_to_school(
    page, browser, live_server, world, inst
):
    student = world.students["a"]
    case = make_case(student, level="1", responsible=world.users["psych_a"])

    # 1. the psychology teacher refers the student from her case page
    log_in(page, "psych_a", world.password)
    page.goto(f"/crisis/cases/{case.pk}/")
    page.click("[data-testid=case-refer-link]")
    page.select_option("select[name=institution]", str(world.inst_h.pk))
    page.select_option("select[name=urgency]", "priority")
    page.fill("textarea[name=reason]", "持续情绪低落两个月，有自伤念头，学校评估后建议专业评估。")
    page.fill("textarea[name=observations]", "上课注意力下降，近两周两次独自哭泣。")
    screenshot(page, "referral_1_create")
    _submit(page, "referral-create-form")
    referral = Referral.objects.get()
    assert referral.case == case
    assert referral.state == ReferralState.DRAFT

    # 2. the guardian's consent, then send
    page.fill("[data-testid=consent-form] input[name=guardian]", "张小明母亲")
    page.select_option("[data-testid=consent-form] select[name=way]", "in_person")
    _submit(page, "consent-form")
    page.click("[data-testid=step-send]")
    page.wait_for_load_state("networkidle")
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED
    screenshot(page, "referral_2_sent")

    # 3. the institution's doctor sees it on the home page, accepts and writes feedback
    context, doctor = _new_page(browser, live_server)
    log_in(doctor, "staff_h", world.password)
    panel = doctor.locator("[data-panel=referrals_institution]")
    assert panel.count() == 1
    screenshot(doctor, "referral_3_institution_home")
    panel.locator(f"a[href='/referrals/{referral.pk}/']").click()
    doctor.wait_for_load_state("networkidle")
    assert student.name in doctor.locator("[data-testid=referral-student]").inner_text()
    doctor.click("[data-testid=step-accept]")
    doctor.wait_for_load_state("networkidle")
    doctor.fill("textarea[name=assessment_summary]", "门诊评估：中度抑郁发作，无精神病性症状。")
    doctor.fill("textarea[name=diagnosis]", "抑郁发作（中度）")
    doctor.fill("textarea[name=recommendations]", "药物治疗加心理治疗，两周复诊。")
    doctor.fill("textarea[name=return_advice]", "可复学，前两周减轻课业负担。")
    doctor.check("input[name=return_cleared]")
    _submit(doctor, "feedback-form")
    screenshot(doctor, "referral_4_feedback")
    referral.refresh_from_db()
    assert referral.state == ReferralState.FEEDBACK_RECEIVED
    # the doctor cannot open the student's growth file
    response = doctor.goto(f"/students/{student.pk}/")
    assert response.status in (403, 404)
    context.close()

    # 4. the school marks the return to school and writes the plan
    page.goto(f"/referrals/{referral.pk}/")
    assert "门诊评估" in page.locator("[data-testid=referral-feedback]").inner_text()
    _submit(page, "return-form")
    page.fill("[data-testid=plan-form] textarea[name=plan]", "班主任每日关注；每周心理辅导一次。")
    _submit(page, "plan-form")
    referral.refresh_from_db()
    assert referral.state == ReferralState.RETURNED
    assert referral.return_plan_at is not None
    assert "每周心理辅导" in page.locator("[data-testid=referral-plan]").inner_text()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    screenshot(page, "referral_5_returned")
    # the feedback is on the growth file
    page.goto(f"/students/{student.pk}/")
    assert "门诊评估" in page.content()
