"""The lessons part of the staffing pages: a school's provision page shows its classes meeting the
2-hour rule month by month; the county page how many schools meet it, with the link to the
lesson overview; a city page only the link (live sums over a city are the snapshots' job)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from staffing.models import Lesson

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 10, 12)


def test_the_provision_page_shows_the_lesson_months(client, world):
    Lesson.objects.create(
        school=world.school_a,
        county=world.county_a,
        klass=world.class_a,
        given_on=DAY,
        month=DAY.replace(day=1),
        hours=Decimal(2),
        topic="认识情绪",
        teacher_name="王老师",
        recorded_by=world.users["psych_a"],
    )
    client.force_login(world.users["leader_a"])
    response = client.get(
        reverse("staffing:provision", args=[world.school_a.code]), {"on": "2026-10-31"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="lesson-summary"' in html
    assert "2026-10" in html


def test_the_county_page_counts_schools_and_a_city_page_links_only(client, world):
    client.force_login(world.users["official_a"])
    html = client.get(reverse("staffing:county")).content.decode()
    assert 'data-testid="county-lessons"' in html
    assert "schools had every class meet the rule" in html
    client.force_login(world.users["official_province"])
    html = client.get(reverse("staffing:county"), {"unit": world.city.code}).content.decode()
    assert 'data-testid="county-lessons"' in html
    assert "schools had every class meet the rule" not in html
