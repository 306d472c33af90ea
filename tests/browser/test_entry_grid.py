"""A psychology teacher enters a 45-student PHQ-9 class with the keyboard only: a typo is refused
in place, a critical row alerts her, and a row typed while the network fails is kept in the
browser, survives a reload and is saved once the network is back."""

import datetime

import pytest

from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from mhcare.orgs.models import Student
from screening.models import Campaign, CampaignInstrument, Instrument, ScreeningResult
from screening.services import result_create
from tests import factories
from tests.browser.conftest import log_in, screenshot, wait_for_js

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLASS_SIZE = 45
RESULTS_URL = "**/api/v1/screening/results/"


def _answers(index: int) -> list[int]:
    if index == 4:  # item 9 positive: critical
        return [2, 2, 1, 1, 1, 1, 0, 0, 1]
    return [(index + item) % 3 if item < 8 else 0 for item in range(9)]


def _wait_saved(page, expected: int) -> None:
    wait_for_js(
        page,
        "n => document.querySelectorAll('#entry-grid td.state.state-saved').length >= n",
        expected,
    )
    page.locator("[data-testid=grid-status].saved").wait_for()


def test_keyboard_only_class_entry(page, world):
    phq9 = Instrument.objects.latest_of("PHQ-9")
    today = datetime.date.today()
    campaign = Campaign.objects.create(
        name="2026 秋季心理筛查",
        school_year=world.class_a.school_year,
        org_unit=world.county_a,
        window_start=today - datetime.timedelta(days=30),
        window_end=today + datetime.timedelta(days=30),
    )
    CampaignInstrument.objects.create(campaign=campaign, instrument=phq9)
    for _ in range(CLASS_SIZE - 1):
        factories.StudentFactory(klass=world.class_a)

    log_in(page, "psych_a", world.password)
    page.goto(f"/screening/campaigns/{campaign.pk}/classes/{world.class_a.pk}/")
    screenshot(page, "grid-0-class-unscreened")
    page.click("[data-testid=grid-link-PHQ-9]")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#entry-grid tbody tr")
    assert rows.count() == CLASS_SIZE
    students = [int(rows.nth(i).get_attribute("data-student")) for i in range(CLASS_SIZE)]

    # The first cell has the focus: from here on, only the keyboard.
    keyboard = page.keyboard
    # A typo (5 is not a PHQ-9 answer) stays in its cell, marked; the next digit replaces it.
    keyboard.type("5")
    first = page.locator("#entry-grid tbody tr").first.locator("input.cell").first
    assert "cell-error" in (first.get_attribute("class") or "")
    assert page.evaluate("document.activeElement.dataset.col") == "0"
    for index in range(CLASS_SIZE - 1):
        keyboard.type("".join(str(a) for a in _answers(index)))
    _wait_saved(page, CLASS_SIZE - 1)
    screenshot(page, "grid-1-class-entered")

    # The network fails for the last student: the row is kept in the browser, and a reload
    # puts it back and saves it.
    page.route(RESULTS_URL, lambda route: route.abort())
    keyboard.type("".join(str(a) for a in _answers(CLASS_SIZE - 1)))
    rows.nth(CLASS_SIZE - 1).locator("td.state.state-pending").wait_for()
    page.locator("[data-testid=grid-status].pending").wait_for()
    screenshot(page, "grid-2-network-error-kept")
    stored = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('mhcare-grid'))")
    assert len(stored) == 1
    assert ScreeningResult.objects.count() == CLASS_SIZE - 1
    page.unroute(RESULTS_URL)
    # Leaving with an unsaved row asks first; the teacher confirms.
    page.once("dialog", lambda dialog: dialog.accept())
    page.reload()
    _wait_saved(page, CLASS_SIZE)
    assert page.evaluate("localStorage.length") == 0

    results = {
        r.student_id: r
        for r in ScreeningResult.objects.filter(campaign=campaign).select_related("instrument")
    }
    assert len(results) == CLASS_SIZE
    for index, student_id in enumerate(students):
        assert results[student_id].answers == _answers(index), index
        assert results[student_id].source == "grid"
    critical = results[students[4]]
    assert critical.is_critical
    assert rows.nth(4).locator("td.flag").inner_text().strip()
    assert Notification.objects.filter(recipient=world.users["psych_a"]).exists()
    screenshot(page, "grid-3-all-saved")

    # Coverage is live: the class is complete.
    page.goto(f"/screening/campaigns/{campaign.pk}/?unit={world.school_a.pk}")
    assert "45 / 46" in page.locator("[data-testid=coverage-total]").inner_text()
    screenshot(page, "grid-4-coverage")


def test_saved_rows_change_only_on_a_confirmed_edit(page, world, browser, live_server):
    """The cursor never runs into a saved row: typing on skips it, typing into it changes
    nothing, and only Edit, new values and a confirmed Save change replace it (audited). A
    half-filled row says it is incomplete, never that it is retrying."""
    phq9 = Instrument.objects.latest_of("PHQ-9")
    today = datetime.date.today()
    campaign = Campaign.objects.create(
        name="2026 秋季心理筛查",
        school_year=world.class_a.school_year,
        org_unit=world.county_a,
        window_start=today - datetime.timedelta(days=30),
        window_end=today + datetime.timedelta(days=30),
    )
    CampaignInstrument.objects.create(campaign=campaign, instrument=phq9)
    for _ in range(3):
        factories.StudentFactory(klass=world.class_a)
    log_in(page, "psych_a", world.password)
    page.goto(f"/screening/campaigns/{campaign.pk}/classes/{world.class_a.pk}/")
    page.click("[data-testid=grid-link-PHQ-9]")
    page.wait_for_load_state("networkidle")
    url = page.url
    rows = page.locator("#entry-grid tbody tr")
    students = [int(rows.nth(i).get_attribute("data-student")) for i in range(4)]
    saved_answers = [1, 1, 1, 1, 1, 1, 1, 1, 0]
    second = Student.objects.get(pk=students[1])
    result_create(
        actor=world.users["psych_a"],
        student=second,
        instrument=phq9,
        answers=saved_answers,
        administered_on=today,
        campaign=campaign,
    )
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert rows.nth(1).locator("input.cell").first.get_attribute("readonly") is not None

    # Two full rows typed on without looking: the second one lands on row 3, not on the saved row 2.
    page.keyboard.type("210000000" + "000000000")
    _wait_saved(page, 3)
    stored = {r.student_id: r.answers for r in ScreeningResult.objects.filter(campaign=campaign)}
    assert stored[students[0]] == [2, 1, 0, 0, 0, 0, 0, 0, 0]
    assert stored[students[1]] == saved_answers
    assert stored[students[2]] == [0] * 9
    # Row 1 is now saved too, so it is locked: going back up and typing changes nothing.
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.type("3")
    assert rows.nth(0).locator("input.cell").first.input_value() == "2"
    assert "F2" in rows.nth(0).locator("td.state").inner_text()
    screenshot(page, "grid-5-saved-row-locked")

    # A half-filled row is incomplete and not saved, never "retrying".
    rows.nth(3).locator("input.cell").first.click()
    page.keyboard.type("1210")
    state = rows.nth(3).locator("td.state").inner_text()
    assert "未填完" in state
    status = page.locator("[data-testid=grid-status]").inner_text()
    assert "未填完" in status
    assert "重试" not in state + status
    screenshot(page, "grid-6-incomplete-row")

    # The explicit edit: Edit, new values, Save change; dismissing the confirmation keeps it.
    page.click("[data-testid=grid-edit-2]")
    page.keyboard.type("333333333")
    # The end of the edited row leads to its Save change button, not into another row.
    assert page.evaluate("document.activeElement.dataset.testid") == "grid-edit-2"
    rows.nth(1).locator("td.state", has_text="保存修改").wait_for()
    screenshot(page, "grid-7-editing")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("[data-testid=grid-edit-2]")
    assert ScreeningResult.objects.get(student=second, campaign=campaign).answers == saved_answers
    messages = []

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.click("[data-testid=grid-edit-2]")
    rows.nth(1).locator("td.state.state-saved").wait_for()
    assert second.name in messages[0]
    assert ScreeningResult.objects.get(student=second, campaign=campaign).answers == [3] * 9
    edit = AuditEvent.objects.get(action=Action.UPDATE, detail__explicit_edit=True)
    assert edit.student_id == second.pk
    assert rows.nth(1).locator("input.cell").first.get_attribute("readonly") is not None
    screenshot(page, "grid-8-edit-saved")

    # The same page in English: locked rows with their Edit buttons, the help in plain words.
    english = browser.new_context(base_url=live_server.url, locale="en-US")
    other = english.new_page()
    log_in(other, "psych_a", world.password)
    other.goto(url)
    other.wait_for_load_state("networkidle")
    assert other.locator("[data-testid=grid-edit-1]").inner_text() == "Edit"
    assert "Saved rows are locked" in other.locator("#grid-help").inner_text()
    screenshot(other, "grid-9-saved-rows-en")
    english.close()
