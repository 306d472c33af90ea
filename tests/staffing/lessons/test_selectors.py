"""Lesson compliance per class and month (1.5 / 2 / 3 hours, holiday months), per school and
month, over a period (the lesson_hours indicator), and the provision page's summary."""

import datetime
from decimal import Decimal

import pytest

from staffing.lessons import calendar, selectors
from tests import factories
from tests.staffing.lessons.conftest import NOV, OCT, log

pytestmark = pytest.mark.django_db
FEB = datetime.date(2027, 2, 1)


@pytest.fixture
def three_classes(world):
    """class_a: 1.5 h in October; class_a_other: 2 h; a third class of school A: 3 h."""
    third = factories.SchoolClassFactory(
        school=world.school_a, school_year=world.class_a.school_year, name="八(3)班"
    )
    log(world, [world.class_a, world.class_a_other, third], day=datetime.date(2026, 10, 9))
    log(world, [world.class_a], day=datetime.date(2026, 10, 16), hours="0.5", topic="压力")
    log(world, [world.class_a_other, third], day=datetime.date(2026, 10, 16), topic="压力")
    log(world, [third], day=datetime.date(2026, 10, 23), topic="友谊")
    return third


def by_class(rows):
    return {r.class_name: (r.hours, r.required, r.met) for r in rows}


def test_one_and_a_half_two_and_three_hours_against_the_required_two(world, three_classes):
    rows = selectors.class_month_rows(actor=world.users["psych_a"], unit=world.school_a, month=OCT)
    assert by_class(rows) == {
        "八(1)班": (Decimal("1.5"), Decimal("2.0"), False),
        "八(2)班": (Decimal("2.0"), Decimal("2.0"), True),
        "八(3)班": (Decimal("3.0"), Decimal("2.0"), True),
    }


def test_a_holiday_month_requires_nothing_and_is_not_counted(world, three_classes):
    rows = selectors.class_month_rows(actor=world.users["psych_a"], unit=world.school_a, month=FEB)
    assert {r.class_name: (r.hours, r.required, r.met, r.is_teaching_month) for r in rows} == {
        name: (Decimal("0.0"), Decimal("0.0"), True, False)
        for name in ("八(1)班", "八(2)班", "八(3)班")
    }
    # October alone: two of three classes meet it; with February (holiday) added, the same.
    oct_only = selectors.lesson_hours(unit=world.school_a, months=[OCT])
    with_feb = selectors.lesson_hours(unit=world.school_a, months=[OCT, FEB])
    assert (oct_only.numerator, oct_only.denominator) == (2, 3)
    assert (with_feb.numerator, with_feb.denominator) == (2, 3)


def test_the_holiday_months_are_a_setting_per_school_year(world, three_classes, settings):
    settings.STAFFING_HOLIDAY_MONTHS_BY_YEAR = {"2026-2027": [10, 2, 7, 8]}
    rows = selectors.class_month_rows(actor=world.users["psych_a"], unit=world.school_a, month=OCT)
    assert all(r.met and r.required == 0 for r in rows)
    assert selectors.lesson_hours(unit=world.school_a, months=[OCT]).denominator == 0
    assert calendar.is_teaching_month(datetime.date(2025, 10, 1))


def test_the_required_hours_are_a_setting(world, three_classes, settings):
    settings.STAFFING_LESSON_HOURS_REQUIRED = "3"
    rows = selectors.class_month_rows(actor=world.users["psych_a"], unit=world.school_a, month=OCT)
    assert [r.class_name for r in rows if r.met] == ["八(3)班"]


def test_a_month_missing_counts_against_the_period(world, three_classes):
    # November: only the third class had lessons (2 h)
    log(world, [three_classes], day=datetime.date(2026, 11, 6), hours="2", topic="十一月")
    ratio = selectors.lesson_hours(unit=world.county_a, months=[OCT, NOV])
    # county A: school_a's 3 classes + school_a2's class; only the third class meets both months
    assert (ratio.numerator, ratio.denominator) == (1, 4)
    grid = selectors.school_grid(
        actor=world.users["leader_a"], school=world.school_a, months=[OCT, NOV]
    )
    cells = {row.klass.name: [(c.hours, c.met, c.missing) for c in row.cells] for row in grid.rows}
    assert cells == {
        "八(1)班": [(Decimal("1.5"), False, False), (Decimal("0.0"), False, True)],
        "八(2)班": [(Decimal("2.0"), True, False), (Decimal("0.0"), False, True)],
        "八(3)班": [(Decimal("3.0"), True, False), (Decimal("2.0"), True, False)],
    }
    assert [(s.met, s.classes) for s in grid.summaries] == [(2, 3), (1, 3)]


def test_school_compliance_per_month_and_the_filter_to_schools_below(world, three_classes):
    rows = selectors.school_compliance(
        actor=world.users["official_a"], unit=world.county_a, months=[OCT]
    )
    assert [
        (r.school.code, r.met, r.classes, [(m.met, m.classes) for m in r.months]) for r in rows
    ] == [
        (world.school_a.code, 2, 3, [(2, 3)]),
        (world.school_a2.code, 0, 1, [(0, 1)]),
    ]
    below = selectors.school_compliance(
        actor=world.users["official_a"], unit=world.county_a, months=[OCT], below_only=True
    )
    assert len(below) == 2
    summary = selectors.school_lesson_summary(world.school_a, [OCT, NOV])
    assert (summary.met, summary.classes) == (0, 3)
    assert summary.months_below == [OCT, NOV]


def test_a_homeroom_teacher_reads_her_class_only_and_the_county_reads_its_schools(
    world, three_classes
):
    rows = selectors.class_month_rows(
        actor=world.users["homeroom_a"], unit=world.school_a, month=OCT
    )
    assert [r.class_name for r in rows] == ["八(1)班"]
    rows = selectors.class_month_rows(actor=world.users["center_a"], unit=world.city, month=OCT)
    assert {r.school for r in rows} == {world.school_a.code, world.school_a2.code}


def test_compliance_is_a_fixed_number_of_queries(
    world, three_classes, django_assert_max_num_queries
):
    for index in range(20):
        factories.SchoolClassFactory(
            school=world.school_a, school_year=world.class_a.school_year, name=f"九({index})班"
        )
    actor = world.users["official_province"]
    with django_assert_max_num_queries(4):
        selectors.class_month_rows(actor=actor, unit=world.province, month=OCT)
    with django_assert_max_num_queries(5):
        selectors.school_compliance(actor=actor, unit=world.province, months=[OCT, NOV])
    with django_assert_max_num_queries(5):
        selectors.school_grid(actor=actor, school=world.school_a, months=[OCT, NOV])
