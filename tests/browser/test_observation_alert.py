"""A homeroom teacher reports signs of self-harm; the psychology teacher is alerted, reviews the
observation in her queue and proposes a level; the student appears on the high-risk list."""

import pytest

from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from screening.models import Observation, ObservationStatus, RiskProposal
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESCRIPTION = "课间发现她手臂上有新的划痕，说“活着没意思”。"


def test_self_harm_observation_reaches_the_psych_teacher_and_the_high_risk_list(
    page, browser, live_server, world
):
    student = world.students["a"]

    # 1. the homeroom teacher opens her student and reports a concern, keyboard and mouse alike
    log_in(page, "homeroom_a", world.password)
    page.goto(f"/students/{student.pk}/")
    page.click("[data-testid=student-actions] a[href*='/observations/report/']")
    page.select_option("select[name=category]", "self_harm")
    page.fill("textarea[name=description]", DESCRIPTION)
    page.check("input[name=on_behalf_of_peer]")
    screenshot(page, "observation-1-homeroom-report")
    page.click("[data-testid=observation-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/observations/mine/" in page.url
    mine = page.locator("[data-testid=my-observations]").inner_text()
    assert student.name in mine
    screenshot(page, "observation-2-homeroom-received")
    observation = Observation.objects.get(student=student)
    assert observation.category == "self_harm"
    assert (
        Notification.objects.filter(
            recipient=world.users["psych_a"], key=f"observation:{observation.pk}"
        ).count()
        == 1
    )
    page.context.clear_cookies()

    # 2. the psychology teacher logs in: unread badge, the home panel, the queue
    psych = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    log_in(psych, "psych_a", world.password)
    psych.goto("/")
    assert psych.locator("[data-testid=unread-count]").inner_text().strip() == "1"
    panel = psych.locator("[data-panel=observations_to_review]")
    assert student.name in panel.inner_text()
    screenshot(psych, "observation-3-psych-home")
    psych.click("[data-panel=observations_to_review] a.more")
    queue = psych.locator("[data-testid=observation-queue]")
    assert student.name in queue.inner_text()
    screenshot(psych, "observation-4-psych-queue")

    # 3. she opens it, reads it, proposes a level (二级 preselected for self-harm) and marks it
    psych.click(f"[data-testid=observation-queue] >> text={student.name}")
    assert DESCRIPTION in psych.locator("[data-testid=observation-detail]").inner_text()
    assert psych.locator("select[name=level]").input_value() == "2"
    psych.fill("textarea[name=review_note]", "已当面谈话并通知家长，今日转介评估。")
    screenshot(psych, "observation-5-psych-review")
    psych.click("[data-testid=review-form] button[type=submit]")
    psych.wait_for_load_state("networkidle")
    observation.refresh_from_db()
    assert observation.status == ObservationStatus.REVIEWED
    proposal = RiskProposal.objects.get(student=student)
    assert (proposal.level, proposal.reasons) == ("2", ["observation", "observation_self_harm"])
    assert AuditEvent.objects.filter(
        action=Action.VIEW, object_type="screening.observation", actor_username="psych_a"
    ).exists()

    # 4. the student is on the high-risk list
    psych.goto("/crisis/high-risk/")
    table = psych.locator("[data-testid=highrisk-table]")
    assert student.name in table.inner_text()
    screenshot(psych, "observation-6-highrisk-list")
    psych.context.close()

    # 5. the reporter sees "reviewed" and nothing of the review
    log_in(page, "homeroom_a", world.password)
    page.goto("/screening/observations/mine/")
    text = page.locator("[data-testid=my-observations]").inner_text()
    assert "今日转介评估" not in page.content()
    assert student.name in text
    screenshot(page, "observation-7-homeroom-reviewed")
