"""The growth file shows a session to its writer (with a link, no content), that it happened to
the leader, and nothing to the homeroom teacher or another counselor; the archive command."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.counseling.room_helpers import SUMMARY, THEME, record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "sees", "link"),
    [
        ("psych_a", True, True),
        ("leader_a", True, False),
        ("psych_a2", False, False),
        ("homeroom_a", False, False),
    ],
)
def test_growth_file_timeline(client, world, psych_a2, who, sees, link):
    session = record(world, duration_minutes=37)
    user = psych_a2 if who == "psych_a2" else world.users[who]
    login(client, user)
    page = client.get(reverse("orgs:student_detail", args=[world.students["a"].pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert ("(37 min)" in text) == sees
    assert (reverse("counseling:session_detail", args=[session.pk]) in text) == link
    assert SUMMARY not in text
    assert THEME not in text


def test_the_archive_command(world, settings):
    settings.COUNSELING_SESSION_RETENTION_YEARS = 1
    old = record(world, held_on=timezone.localdate() - datetime.timedelta(days=800))
    call_command("counseling_archive_sessions")
    old.refresh_from_db()
    assert old.is_archived
