"""A homeroom teacher logs family contacts for her class with the keyboard only: the cursor
starts in the first row, Tab moves through the row, Enter saves it and the cursor moves to the
next student; a row with an error keeps what was typed and shows the message in place."""

import pytest

from crisis.models import FamilyContact
from tests import factories
from tests.browser.conftest import log_in, screenshot, wait_for_js

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _focused_row(page) -> str:
    return page.evaluate(
        "document.activeElement.closest('tr') && document.activeElement.closest('tr').id"
    )


def _wait_state(page, student_pk: int, state: str) -> None:
    page.locator(f"#row-{student_pk}[data-state={state}]").wait_for()


def test_keyboard_only_family_contacts(page, world):
    for index in range(3):
        student = factories.StudentFactory(klass=world.class_a, name=f"学生{index}")
        factories.GuardianFactory(student=student)
    log_in(page, "homeroom_a", world.password)
    page.goto(f"/crisis/families/classes/{world.class_a.pk}/")
    rows = page.locator("#family-list tbody tr.family-row")
    assert rows.count() == 4
    ids = [int(rows.nth(i).get_attribute("data-student")) for i in range(4)]
    assert page.locator("[data-testid=missing] li:not([hidden])").count() == 4
    screenshot(page, "family-0-class")

    # The cursor starts in the first row ("way"); "with whom" is prefilled with the guardian.
    assert _focused_row(page) == f"row-{ids[0]}"
    keyboard = page.keyboard
    keyboard.press("Tab")  # with whom
    keyboard.press("Tab")  # topics
    keyboard.type("学习和睡眠")
    keyboard.press("Enter")
    _wait_state(page, ids[0], "saved")
    wait_for_js(page, f"document.activeElement.closest('tr').id === 'row-{ids[1]}'")

    # Enter on the "way" select saves the row as it stands (phone, the guardian).
    keyboard.press("Enter")
    _wait_state(page, ids[1], "saved")
    wait_for_js(page, f"document.activeElement.closest('tr').id === 'row-{ids[2]}'")

    # An error: "with whom" emptied. The row says so, keeps the topics, and keeps the cursor.
    keyboard.press("Tab")
    keyboard.press("Control+A")
    keyboard.press("Backspace")
    keyboard.press("Tab")
    keyboard.type("家长会")
    keyboard.press("Enter")
    _wait_state(page, ids[2], "error")
    assert page.locator(f"#row-{ids[2]} [data-testid=row-errors]").is_visible()
    assert page.locator(f"#row-{ids[2]} input[name$=topics]").input_value() == "家长会"
    # the cursor comes back to the row once htmx has settled the swapped row
    wait_for_js(page, f"document.activeElement.closest('tr').id === 'row-{ids[2]}'")
    screenshot(page, "family-1-row-error")

    # Fixed: type whom, Enter.
    page.locator(f"#row-{ids[2]} input[name$=with_whom]").focus()
    keyboard.type("父亲")
    keyboard.press("Enter")
    _wait_state(page, ids[2], "saved")
    wait_for_js(page, f"document.activeElement.closest('tr').id === 'row-{ids[3]}'")

    assert FamilyContact.objects.count() == 3
    # the coverage counter and the list of the missing follow the saved row (htmx settles them
    # a moment after the row itself)
    wait_for_js(page, "document.querySelector('#coverage-covered').textContent.trim() === '3'")
    wait_for_js(
        page,
        "document.querySelectorAll('[data-testid=missing] li:not([hidden])').length === 1",
    )
    assert page.locator(f"#row-{ids[0]} [data-testid=contact-count]").inner_text() == "1"
    screenshot(page, "family-2-three-saved")


def test_a_note_typed_right_after_enter_goes_to_the_next_student(page, world):
    """The teacher presses Enter and types on while the row is still being saved: the note goes
    to the next student (the row being saved is read-only, the focus has moved), and a second
    submit of the row being saved stores nothing more."""
    for index in range(2):
        student = factories.StudentFactory(klass=world.class_a, name=f"学生{index}")
        factories.GuardianFactory(student=student)
    log_in(page, "homeroom_a", world.password)
    page.goto(f"/crisis/families/classes/{world.class_a.pk}/")
    rows = page.locator("#family-list tbody tr.family-row")
    ids = [int(rows.nth(i).get_attribute("data-student")) for i in range(3)]
    held = []
    page.route("**/contacts/", lambda route: held.append(route))  # a slow network: hold them

    keyboard = page.keyboard
    keyboard.press("Tab")
    keyboard.press("Tab")
    keyboard.type("第一位：学习和睡眠")
    keyboard.press("Enter")
    wait_for_js(page, "n => document.activeElement.closest('tr').id === 'row-' + n", ids[1])
    # The teacher does not wait: the next note, at once.
    keyboard.press("Tab")
    keyboard.press("Tab")
    keyboard.type("第二位：情绪平稳")
    # Typing into the row being saved changes nothing; submitting it again is dropped.
    assert page.locator(f"#row-{ids[0]} input[name$=topics]").get_attribute("readonly") is not None
    page.evaluate(f"document.querySelector('#row-{ids[0]} form').requestSubmit()")
    keyboard.press("Enter")
    wait_for_js(page, "n => document.activeElement.closest('tr').id === 'row-' + n", ids[2])
    assert len(held) == 2
    for route in held:
        route.continue_()
    _wait_state(page, ids[0], "saved")
    _wait_state(page, ids[1], "saved")
    screenshot(page, "family-3-typed-ahead")
    page.unroute("**/contacts/")
    contacts = {c.student_id: c for c in FamilyContact.objects.all()}
    assert len(contacts) == 2
    assert FamilyContact.objects.count() == 2
    assert contacts[ids[0]].topics == "第一位：学习和睡眠"
    assert contacts[ids[1]].topics == "第二位：情绪平稳"
