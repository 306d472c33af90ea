"""A psychology teacher sees her duty shift in the week view, books a student into a free slot of
it, confirms the appointment and, once it has taken place, records the session (proposing a risk
level to the crisis registry). The school leader's counseling log then shows that the session
happened — date, counselor, duration — and nothing that was said."""

import datetime

import pytest
from django.utils import timezone

from counseling.models import Appointment, CounselingSession, DutyShift
from counseling.rooms.services import room_create, shift_create
from screening.models import RiskProposal
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY = "该生谈到期中考试后一直睡不好，担心让父母失望。"


def test_booking_into_a_duty_slot_and_recording_the_session(page, live_server, world):
    psych, student = world.users["psych_a"], world.students["a"]
    room = room_create(
        actor=psych,
        unit=world.school_a,
        name="心理辅导室",
        place="行政楼 302",
        standards=["individual"],
    )
    day = timezone.localdate() + datetime.timedelta(days=1)
    tz = timezone.get_current_timezone()
    shift = shift_create(
        actor=psych,
        room=room,
        counselor=psych,
        starts_at=datetime.datetime.combine(day, datetime.time(16, 30), tzinfo=tz),
        ends_at=datetime.datetime.combine(day, datetime.time(18, 0), tzinfo=tz),
    )

    # 1. the duty week shows her shift
    log_in(page, "psych_a", world.password)
    page.goto(f"/counseling/duty/?week={day.isoformat()}")
    assert page.locator(f"[data-shift='{shift.pk}']").count() == 1
    screenshot(page, "counseling_1_duty_week")

    # 2. she books the student into the first free slot
    page.goto("/counseling/appointments/book/")
    page.fill("input[name=student_number]", student.student_number)
    page.click("[data-testid=student-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("input[name=slot]").count() == 2  # 16:30 and 17:15
    page.locator("input[name=slot]").first.check()
    page.fill("textarea[name=topic]", "班主任反映近期情绪低落")
    screenshot(page, "counseling_2_book")
    page.click("[data-testid=book-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    appointment = Appointment.objects.get()
    assert page.url.endswith(f"/counseling/appointments/{appointment.pk}/")
    assert appointment.starts_at == shift.starts_at

    # 3. she confirms it
    page.click("[data-testid=confirm]")
    page.wait_for_load_state("networkidle")
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"

    # the appointment takes place (moved to an hour ago: the test cannot wait until tomorrow)
    shift_back = timezone.now() - datetime.timedelta(hours=1) - appointment.starts_at
    DutyShift.objects.filter(pk=shift.pk).update(
        starts_at=shift.starts_at + shift_back, ends_at=shift.ends_at + shift_back
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=appointment.starts_at + shift_back, ends_at=appointment.ends_at + shift_back
    )
    page.reload()
    screenshot(page, "counseling_3_appointment")

    # 4. she records the session and proposes 二级 to the crisis registry
    page.click("[data-testid=record-session]")
    page.wait_for_load_state("networkidle")
    page.fill("input[name=theme]", "考试焦虑与睡眠")
    page.fill("textarea[name=summary]", SUMMARY)
    page.fill("textarea[name=plan]", "每周一次，下周三再约；告知班主任关注。")
    page.select_option("select[name=risk_observed]", "2")
    page.check("input[name=propose_risk]")
    screenshot(page, "counseling_4_session_form")
    page.click("[data-testid=session-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    session = CounselingSession.objects.get()
    assert page.url.endswith(f"/counseling/sessions/{session.pk}/")
    assert SUMMARY in page.locator("[data-testid=session-summary]").inner_text()
    screenshot(page, "counseling_5_session")
    appointment.refresh_from_db()
    assert appointment.status == "completed"
    assert RiskProposal.objects.get(student=student).level == "2"

    # 5. the leader sees that it happened, not what was said
    page.context.clear_cookies()
    log_in(page, "leader_a", world.password)
    page.goto("/counseling/sessions/log/")
    log = page.locator("[data-testid=session-log]").inner_text()
    assert psych.display_name in log
    assert SUMMARY not in page.content()
    assert student.name not in page.content()
    screenshot(page, "counseling_6_leader_log")
    page.goto(f"/counseling/sessions/{session.pk}/")
    assert SUMMARY not in page.content()
