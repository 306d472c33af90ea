"""Trend analysis (notice §15): the counts are right, and no cell below COMPLIANCE_MIN_CELL is
shown (nor can one be worked out from a row and its year total), so no child is singled out."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import refresh, trends
from crisis.models import Case, CaseStatus, Incident
from mhcare.orgs.models import Gender
from screening.models import Instrument
from screening.services import result_create
from tests import factories

URL = reverse("compliance:trends")
YEAR = timezone.localdate().year


def make_cases(world, school, county, month, n):
    for _ in range(n):
        student = factories.StudentFactory(
            klass=world.class_a if school == world.school_a else world.class_b
        )
        Case.objects.create(
            student=student,
            school=school,
            county=county,
            level="1",
            status=CaseStatus.CLOSED,
            source="screening",
            opened_on=datetime.date(YEAR, month, 3),
            closed_on=datetime.date(YEAR, month, 20),
            open_reason="x",
            level_confirmed_at=timezone.now(),
        )


@pytest.fixture
def data(world):
    make_cases(world, world.school_a, world.county_a, 3, 6)
    make_cases(world, world.school_a, world.county_a, 4, 2)
    make_cases(world, world.school_b, world.county_b, 3, 1)
    Incident.objects.create(
        school=world.school_b,
        county=world.county_b,
        occurred_at=timezone.now(),
        kind="runaway",
        reported_by=world.users["psych_b"],
        severity="moderate",
        summary="x",
    )
    return world


def test_protect_row_hides_a_second_cell_when_one_is_hidden():
    row = trends.protect_row([trends.cell(n) for n in (6, 7, 3, 8)])
    assert [str(c) for c in row] == ["<5", "7", "<5", "8"]
    row = trends.protect_row([trends.cell(n) for n in (6, 7, 0, 1)])
    assert [str(c) for c in row] == ["6", "7", "<5", "<5"]


def test_counts_per_county_and_month(data):
    w = data
    result = trends.trends(unit=w.city, year=YEAR)
    yoy = result.tables[0]
    rows = dict(yoy.rows)
    assert [c.count for c in rows["西湖区"]] == [0, 8]
    assert [str(c) for c in rows["西湖区"]] == ["<5", "8"]
    assert [str(c) for c in rows["上城区"]] == ["<5", "<5"]
    months = dict(result.tables[1].rows)
    assert months["西湖区"][2].count == 6
    assert str(months["西湖区"][2]) == "6"
    assert str(months["西湖区"][3]) == "<5"  # 2 cases in April


def test_the_page_shows_no_small_cell_and_no_student(client, data, settings):
    w = data
    client.force_login(w.users["official_province"])
    body = client.get(URL + f"?unit={w.city.code}&year={YEAR}").content.decode()
    cells = re.findall(r'<td class="num">([^<]*)</td>', body)
    assert cells
    for value in cells:
        assert value == "&lt;5" or int(value) >= 5, value
    for student in data.students.values():
        assert student.name not in body
    settings.COMPLIANCE_MIN_CELL = 10
    body = client.get(URL + f"?unit={w.city.code}&year={YEAR}").content.decode()
    assert "&lt;10" in body
    assert '<td class="num">6</td>' not in body


def test_screening_bands_by_grade_and_sex(world, django_capture_on_commit_callbacks):
    students = [
        factories.StudentFactory(klass=world.class_a, gender=Gender.FEMALE) for _ in range(6)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for student in students:
            result_create(
                actor=world.users["psych_a"],
                student=student,
                instrument=Instrument.objects.latest_of("PHQ-9"),
                answers=[0] * 9,
                administered_on=timezone.localdate(),
            )
    # The entries marked their county; the minute sweep recounts its bands.
    assert trends.trends(unit=world.county_a, year=YEAR).band_tables == []
    assert refresh.refresh_pending() == 1
    result = trends.trends(unit=world.county_a, year=YEAR)
    assert result.bands_as_of is not None
    table = result.band_tables[0]
    assert "PHQ-9" in str(table.title)
    (label, cells), *_ = table.rows
    assert "Female" in label or "女" in label
    assert max(c.count for c in cells) == 6


def test_band_counts_equal_the_live_grouping_at_every_level(world):
    """Two counties, two years, both sexes, several bands: the city's tables (summed from its
    counties' counts) and each county's equal the results grouped live; a student moving up a
    grade moves his past results at the nightly recount."""
    instrument = Instrument.objects.latest_of("PHQ-9")
    today = timezone.localdate()
    last_year = today.replace(year=today.year - 1, day=1)
    plan = [
        (world.class_a, Gender.FEMALE, [0] * 9, today),
        (world.class_a, Gender.FEMALE, [2] * 9, today),
        (world.class_a, Gender.MALE, [1] * 9, today),
        (world.class_a, Gender.MALE, [3] * 9, last_year),
        (world.class_b, Gender.FEMALE, [1] * 9, today),
        (world.class_b, Gender.MALE, [2] * 9, last_year),
    ]
    moved = None
    for i, (klass, gender, answers, on) in enumerate(plan):
        student = factories.StudentFactory(klass=klass, gender=gender)
        moved = moved or student
        for n in range(1 + i % 3):
            result_create(
                actor=world.users["psych_a" if klass == world.class_a else "psych_b"],
                student=student,
                instrument=instrument,
                answers=answers,
                administered_on=on - datetime.timedelta(days=n),
            )
    trends.band_counts_refresh()
    for unit, counties in (
        (world.city, [world.county_a.pk, world.county_b.pk]),
        (world.county_a, [world.county_a.pk]),
        (world.county_b, [world.county_b.pk]),
    ):
        expected = trends.band_counts_live(counties, (YEAR - 1, YEAR))
        assert expected
        assert trends.trends(unit=unit, year=YEAR).band_counts() == expected
    # the first student moves up a grade: the nightly run counts his results at the new one
    newer = factories.SchoolClassFactory(
        school=world.school_a, school_year=world.class_a.school_year, grade=world.class_a.grade + 1
    )
    moved.klass = newer
    moved.save(update_fields=["klass"])
    from compliance.tasks import snapshot_refresh_task

    snapshot_refresh_task()
    expected = trends.band_counts_live([world.county_a.pk], (YEAR - 1, YEAR))
    assert any(key[2] == newer.grade for key in expected)
    assert trends.trends(unit=world.county_a, year=YEAR).band_counts() == expected


@pytest.mark.parametrize(
    ("user_key", "status"),
    [
        ("official_a", 200),
        ("center_a", 200),
        ("official_province", 200),
        ("psych_a", 403),
        ("leader_a", 403),
        ("homeroom_a", 403),
        ("admin", 403),
    ],
)
def test_scope_matrix(client, world, user_key, status):
    client.force_login(world.users[user_key])
    assert client.get(URL).status_code == status


def test_out_of_scope_unit_is_404_and_two_roles(client, world):
    client.force_login(world.users["official_a"])
    assert client.get(URL + f"?unit={world.county_b.code}").status_code == 404
    assert client.get(URL + f"?unit={world.city.code}").status_code == 404
    user = factories.user_with_role("psych_teacher", world.school_b, username="two_roles")
    factories.RoleAssignmentFactory(user=user, role="official", org_unit=world.county_a)
    client.force_login(user)
    assert client.get(URL).status_code == 200
    assert client.get(URL + f"?unit={world.county_b.code}").status_code == 404
    client.logout()
    assert client.get(URL).status_code == 302


def test_query_count(client, data, django_assert_max_num_queries):
    client.force_login(data.users["official_province"])
    with django_assert_max_num_queries(20):
        assert client.get(URL).status_code == 200
