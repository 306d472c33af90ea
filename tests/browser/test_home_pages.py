"""Each person's home page shows what they need first, and nothing their role may not see."""

import datetime

import pytest

from screening.models import Instrument
from screening.services import result_create
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def flagged(world):
    """One student of school A with a proposed level, so the lists have something to show."""
    result_create(
        actor=world.users["psych_a"],
        student=world.students["a"],
        instrument=Instrument.objects.get(code="PHQ-9"),
        answers=[2, 2, 2, 2, 1, 1, 1, 1, 0],
        administered_on=datetime.date(2026, 11, 20),
    )
    return world.students["a"]


@pytest.mark.parametrize(
    ("username", "sees_name"),
    [
        ("psych_a", True),
        ("leader_a", True),
        ("center_a", True),
        ("homeroom_a", None),  # her class's families to contact: names, never a level
        ("official_a", False),
        ("center_b", False),
    ],
)
def test_home_page_per_role(page, world, flagged, username, sees_name):
    log_in(page, username, world.password)
    assert page.url.rstrip("/").endswith(page.url.split("/")[2])  # landed on the home page
    body = page.locator("main").inner_text()
    if sees_name is None:
        assert "二级" not in body
        assert "一级" not in body
    else:
        assert (flagged.name in body) is sees_name
    screenshot(page, f"home-{username}")
