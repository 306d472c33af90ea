"""A school leader reports an extreme incident and works through the emergency checklist: one step
"done now", one recorded after the fact; both land on the timeline. The county bureau then opens
the incident and sees the checklist, but no student name."""

import datetime

import pytest
from django.utils import timezone

from crisis.models import Incident, IncidentAction
from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY = "午休时该生在宿舍用刀片划伤手臂，被室友发现后报告宿管。"
FMT = "%Y-%m-%dT%H:%M"


def test_a_leader_reports_an_incident_and_ticks_two_checklist_steps(
    page, browser, live_server, world
):
    student = world.students["a"]
    occurred = timezone.localtime() - datetime.timedelta(hours=2)

    # 1. the leader opens the incident list and reports one
    log_in(page, "leader_a", world.password)
    page.goto("/crisis/incidents/")
    page.click("[data-testid=incident-report-link]")
    form = page.locator("[data-testid=incident-form]")
    assert form.locator("select[name=school]").input_value() == str(world.school_a.pk)
    page.fill("input[name=occurred_at]", occurred.strftime(FMT))
    page.select_option("select[name=kind]", "self_harm")
    page.select_option("select[name=severity]", "serious")
    page.fill("textarea[name=student_numbers]", student.student_number)
    page.fill("textarea[name=summary]", SUMMARY)
    screenshot(page, "incident-1-leader-report")
    page.click("[data-testid=incident-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    incident = Incident.objects.get()
    assert page.url.endswith(f"/crisis/incidents/{incident.pk}/")
    assert student.name in page.locator("[data-testid=incident-students]").inner_text()
    assert SUMMARY in page.locator("[data-testid=incident-summary]").inner_text()
    assert set(
        Notification.objects.filter(key=f"incident:{incident.pk}").values_list(
            "recipient__username", flat=True
        )
    ) == {"center_a", "official_a"}

    # 2. "done now" for the emergency plan
    page.click("tr[data-step=plan_started_at] [data-testid=step-now]")
    page.wait_for_load_state("networkidle")
    assert page.locator("tr[data-step=plan_started_at] [data-testid=step-done]").count() == 1

    # 3. the parents were called 15 minutes after the incident: recorded after the fact
    called = occurred + datetime.timedelta(minutes=15)
    page.fill("tr[data-step=parents_contacted_at] input[name=at]", called.strftime(FMT))
    page.click("tr[data-step=parents_contacted_at] [data-testid=step-at]")
    page.wait_for_load_state("networkidle")
    done = page.locator("tr[data-step=parents_contacted_at] [data-testid=step-done]")
    assert called.strftime("%Y-%m-%d %H:%M") in done.inner_text()
    timeline = page.locator("[data-testid=incident-timeline] tbody tr")
    assert timeline.count() == 2
    # sorted by time: the parents' call (earlier) comes before the plan started just now
    assert called.strftime("%H:%M") in timeline.nth(0).inner_text()
    screenshot(page, "incident-2-leader-checklist")

    # 3b. no one was hurt: medical services "not needed", with the reason on the timeline
    page.fill("tr[data-step=medical_involved_at] input[name=reason]", "学生未受伤")
    page.click("tr[data-step=medical_involved_at] [data-testid=step-skip]")
    page.wait_for_load_state("networkidle")
    assert page.locator("tr[data-step=medical_involved_at] [data-testid=step-not-needed]").count()
    assert "学生未受伤" in page.locator("[data-testid=incident-timeline]").inner_text()
    assert page.locator("tr[data-step=parents_contacted_at] [data-testid=step-skip]").count() == 0
    screenshot(page, "incident-2b-medical-not-needed")

    incident.refresh_from_db()
    assert incident.not_needed == ["medical_involved_at"]
    assert incident.plan_started_at is not None
    assert timezone.localtime(incident.parents_contacted_at).strftime(FMT) == called.strftime(FMT)
    assert IncidentAction.objects.filter(incident=incident).count() == 3
    assert (
        AuditEvent.objects.filter(
            action=Action.UPDATE, object_type="crisis.incident", actor_username="leader_a"
        ).count()
        == 3
    )
    page.context.clear_cookies()

    # 4. the county bureau sees the incident and its checklist, no student name
    bureau = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    log_in(bureau, "official_a", world.password)
    bureau.goto(f"/crisis/incidents/{incident.pk}/")
    assert student.name not in bureau.content()
    assert bureau.locator("[data-testid=step-done]").count() == 2
    assert bureau.locator("[data-testid=step-now]").count() == 0
    screenshot(bureau, "incident-3-bureau-view")
    bureau.context.close()
