"""Supervision and county-center standardization in the browser: the supervisor's home page shows
their sessions and supervisees; a county center fills its standardization checklist."""

import datetime

import pytest
from django.utils import timezone

from counseling.centers.defaults import ensure_default_items
from counseling.models import CenterChecklistEntry, ChecklistItem
from counseling.supervision import services as supervision_services
from mhcare.accounts.models import Role
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = "初二女生，学业压力大，出现失眠，讨论干预节奏。"


def test_the_supervisor_home_page_shows_sessions_and_supervisees(page, world):
    supervisor = factories.user_with_role(
        Role.SUPERVISOR, world.county_a, username="supervisor_a", display_name="钱督导"
    )
    station = supervision_services.station_create(
        actor=world.users["center_a"], county=world.county_a, name="西湖区督导分站", kind="branch"
    )
    supervision_services.supervisor_profile_save(
        actor=supervisor, qualifications="国家二级心理咨询师", certificate="DD-017", trained_on=None
    )
    for days, fmt, people in (
        (9, "individual", [world.users["psych_a"]]),
        (2, "group", [world.users["psych_a"], world.users["center_a"]]),
    ):
        supervision_services.supervision_session_record(
            actor=supervisor,
            county=world.county_a,
            station=station,
            held_on=timezone.localdate() - datetime.timedelta(days=days),
            format=fmt,
            duration_minutes=90,
            supervisees=people,
            topic="督导",
            cases_discussed=CASES,
        )

    log_in(page, "supervisor_a", world.password)
    sessions = page.locator("[data-panel=supervision_sessions] li")
    supervisees = page.locator("[data-panel=supervision_supervisees] li")
    assert sessions.count() == 2
    assert supervisees.count() == 2
    assert (
        str(world.users["psych_a"])
        in page.locator("[data-panel=supervision_supervisees]").inner_text()
    )
    screenshot(page, "supervisor_home")

    # the supervision page lists the sessions; a session shows the de-identified cases
    page.click("[data-panel=supervision_sessions] a.more")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=sessions-led] tbody tr").count() == 2
    page.locator("[data-testid=sessions-led] tbody tr a").first.click()
    page.wait_for_load_state("networkidle")
    assert CASES in page.locator("[data-testid=session-cases]").inner_text()

    # the form warns not to enter names
    page.goto("/counseling/supervision/sessions/new/")
    assert page.locator("[data-testid=no-names-warning]").is_visible()


def test_a_county_center_fills_its_checklist(page, world):
    ensure_default_items()
    space, staff = ChecklistItem.objects.order_by("order")[:2]

    log_in(page, "center_a", world.password)
    assert page.locator("[data-panel=center_standardization]").count() == 1
    page.goto("/counseling/centers/")
    page.click(f"tr[data-county='{world.county_a.pk}'] a")
    page.wait_for_load_state("networkidle")

    # met without evidence is refused next to the field, then saved with evidence
    form = page.locator(f"[data-testid=entry-form-{space.code}]")
    form.locator("input[name=is_met]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    form = page.locator(f"[data-testid=entry-form-{space.code}]")
    assert form.locator(".errorlist").count() == 1
    form.locator("input[name=is_met]").check()
    form.locator("textarea[name=evidence]").fill("个体辅导室 2 间、团体辅导室 1 间、放松室 1 间")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"tr[data-item={space.code}] [data-testid=item-met]").count() == 1

    form = page.locator(f"[data-testid=entry-form-{staff.code}]")
    form.locator("input[name=is_met]").check()
    form.locator("textarea[name=evidence]").fill("专职心理教师 3 名（均持证）")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=item-met]").count() == 2
    page.locator(f"tr[data-item={staff.code}]").scroll_into_view_if_needed()
    screenshot(page, "center_checklist")

    assert set(
        CenterChecklistEntry.objects.filter(county=world.county_a, is_met=True).values_list(
            "item__code", flat=True
        )
    ) == {space.code, staff.code}
    assert page.locator("[data-testid=judge-form]").count() == 0  # the center does not judge itself
