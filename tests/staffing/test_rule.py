"""The staffing rule of notice §6 at every boundary: 999 / 1 000 students on the roll, one vs two
campuses, single vs combined stage, the day before and on each deadline, a teacher whose post ended
yesterday, students who joined or left around the day."""

import datetime

import pytest
from django.test import override_settings

from mhcare.orgs.models import EnrolmentStatus, SchoolStage
from staffing.models import MHTeacher, PostKind
from staffing.teachers import rule
from staffing.teachers.rule import Status
from tests import factories
from tests.staffing.conftest import ALL_DAY, RULE_DAY, add_students

DAY_BEFORE_RULE = RULE_DAY - datetime.timedelta(days=1)
DAY_BEFORE_ALL = ALL_DAY - datetime.timedelta(days=1)
pytestmark = pytest.mark.django_db


@pytest.fixture
def county(db):
    return factories.CountyFactory()


def school_with(county, *, students=0, campuses=1, stage=SchoolStage.JUNIOR, code=None):
    school = factories.SchoolFactory(
        parent=county,
        campus_count=campuses,
        stage=stage,
        enrolled_count=5000,
        **({"code": code} if code else {}),
    )
    klass = factories.SchoolClassFactory(school=school)
    add_students(klass, students)
    return school


def row_of(county, school, on):
    (row,) = [r for r in rule.school_staffing(unit=county, on=on) if r.school_id == school.pk]
    return row


def fulltime(school, start=datetime.date(2020, 9, 1), end=None, kind=PostKind.FULLTIME):
    return MHTeacher.objects.create(
        school=school,
        name=f"教师{MHTeacher.objects.count()}",
        kind=kind,
        start_date=start,
        end_date=end,
    )


def test_999_students_is_not_required_before_2025_and_1000_is(county):
    small = school_with(county, students=999)
    big = school_with(county, students=1000)
    on = DAY_BEFORE_ALL
    small_row, big_row = row_of(county, small, on), row_of(county, big, on)
    assert (small_row.students, small_row.required, small_row.status) == (
        999,
        False,
        Status.NOT_YET_DUE,
    )
    assert small_row.reason == str(rule.REASON_NOT_REQUIRED) % {
        "date": ALL_DAY,
        "students": 999,
        "threshold": 1000,
    }
    assert (big_row.students, big_row.required, big_row.status) == (
        1000,
        True,
        Status.NON_COMPLIANT,
    )
    assert big_row.grounds == ("students",)
    assert big_row.reason == "{} {}".format(
        str(rule.REASON_REQUIRED_GROUNDS)
        % {
            "date": RULE_DAY,
            "grounds": str(rule.REASON_STUDENTS) % {"students": 1000, "threshold": 1000},
        },
        rule.REASON_NO_TEACHER,
    )


def test_students_are_counted_from_the_roll_not_the_typed_number(county):
    school = school_with(county, students=0)
    assert school.enrolled_count == 5000
    assert row_of(county, school, DAY_BEFORE_ALL).required is False


def test_the_roll_on_a_day_counts_joining_and_leaving_dates(county):
    school = school_with(county, students=996)
    klass = school.classes.get()
    march = datetime.date(2024, 3, 1)
    feb = march - datetime.timedelta(days=1)
    add_students(klass, 2, status=EnrolmentStatus.SUSPENDED)  # 休学: still on the roll
    add_students(klass, 3, status=EnrolmentStatus.GRADUATED)  # left, date unknown: never counted
    add_students(klass, 1, enrolled_on=march)  # on the roll from 1 March
    add_students(klass, 1, left_on=march, status=EnrolmentStatus.TRANSFERRED)  # off from 1 March
    assert (row_of(county, school, feb).students, row_of(county, school, march).students) == (
        999,
        999,
    )
    assert row_of(county, school, march).required is False
    add_students(klass, 1, enrolled_on=march)
    assert row_of(county, school, feb).students == 999
    assert (row_of(county, school, march).students, row_of(county, school, march).required) == (
        1000,
        True,
    )


def test_one_campus_vs_two(county):
    one = school_with(county, campuses=1)
    two = school_with(county, campuses=2)
    assert row_of(county, one, DAY_BEFORE_ALL).required is False
    row = row_of(county, two, DAY_BEFORE_ALL)
    assert (row.required, row.grounds) == (True, ("campuses",))
    assert str(rule.REASON_CAMPUSES) % {"campuses": 2} in row.reason


@pytest.mark.parametrize(
    ("stage", "required"),
    [
        (SchoolStage.PRIMARY, False),
        (SchoolStage.JUNIOR, False),
        (SchoolStage.SENIOR, False),
        (SchoolStage.NINE_YEAR, True),
        (SchoolStage.COMPLETE_SECONDARY, True),
        (SchoolStage.TWELVE_YEAR, True),
    ],
)
def test_single_vs_combined_stage(county, stage, required):
    school = school_with(county, stage=stage)
    row = row_of(county, school, DAY_BEFORE_ALL)
    assert row.required is required
    assert row.grounds == (("stage",) if required else ())


def test_the_day_before_and_on_the_2023_deadline(county):
    school = school_with(county, campuses=3)
    before = row_of(county, school, DAY_BEFORE_RULE)
    assert (before.required, before.status) == (False, Status.NOT_YET_DUE)
    assert before.reason == str(rule.REASON_BEFORE_RULE) % {"date": RULE_DAY}
    on = row_of(county, school, RULE_DAY)
    assert (on.required, on.status) == (True, Status.NON_COMPLIANT)


def test_the_day_before_and_on_the_2025_deadline(county):
    school = school_with(county)
    before = row_of(county, school, DAY_BEFORE_ALL)
    assert (before.required, before.status) == (False, Status.NOT_YET_DUE)
    on = row_of(county, school, ALL_DAY)
    assert (on.required, on.status, on.grounds) == (True, Status.NON_COMPLIANT, ("all",))
    assert (
        on.reason == f"{str(rule.REASON_REQUIRED_ALL) % {'date': ALL_DAY}} {rule.REASON_NO_TEACHER}"
    )


def test_a_full_time_teacher_in_post_complies_and_a_part_timer_does_not(county):
    school = school_with(county, campuses=2)
    fulltime(school, kind=PostKind.PARTTIME)
    assert row_of(county, school, ALL_DAY).status == Status.NON_COMPLIANT
    fulltime(school)
    row = row_of(county, school, ALL_DAY)
    assert (row.status, row.fulltime_teachers) == (Status.COMPLIANT, 1)
    assert row.reason.endswith(str(rule.REASON_HAS_TEACHER) % {"count": 1})


def test_a_teacher_whose_post_ended_yesterday_no_longer_counts(county):
    school = school_with(county)
    today = datetime.date(2026, 3, 10)
    fulltime(school, end=today - datetime.timedelta(days=1))
    assert row_of(county, school, today - datetime.timedelta(days=1)).status == Status.COMPLIANT
    row = row_of(county, school, today)
    assert (row.status, row.fulltime_teachers) == (Status.NON_COMPLIANT, 0)


def test_a_teacher_starting_tomorrow_does_not_count_today(county):
    school = school_with(county)
    today = datetime.date(2026, 3, 10)
    fulltime(school, start=today + datetime.timedelta(days=1))
    assert row_of(county, school, today).status == Status.NON_COMPLIANT
    assert row_of(county, school, today + datetime.timedelta(days=1)).status == Status.COMPLIANT


@override_settings(
    STAFFING_STUDENT_THRESHOLD=10,
    STAFFING_REQUIRED_FROM=datetime.date(2030, 1, 1),
    STAFFING_ALL_SCHOOLS_FROM=datetime.date(2031, 1, 1),
    STAFFING_MIN_FULLTIME=2,
)
def test_thresholds_and_dates_come_from_settings(county):
    school = school_with(county, students=10)
    fulltime(school)
    assert row_of(county, school, datetime.date(2029, 12, 31)).status == Status.NOT_YET_DUE
    row = row_of(county, school, datetime.date(2030, 1, 1))
    assert (row.required, row.status) == (True, Status.NON_COMPLIANT)
    assert row.reason.endswith(str(rule.REASON_TOO_FEW) % {"count": 1, "minimum": 2})


def test_inactive_schools_and_other_subtrees_are_left_out(county):
    other = factories.CountyFactory()
    school = school_with(county)
    school_with(other)
    gone = school_with(county)
    gone.is_active = False
    gone.save()
    assert [r.school_id for r in rule.school_staffing(unit=county, on=ALL_DAY)] == [school.pk]


def test_a_province_is_computed_in_three_queries(county, django_assert_num_queries):
    for i in range(6):
        school = school_with(county, students=i, campuses=1 + i % 2)
        fulltime(school)
    province = county.parent.parent
    with django_assert_num_queries(3):
        rows = rule.school_staffing(unit=province, on=ALL_DAY)
    assert len(rows) == 6


def test_research_units_need_a_full_time_researcher_from_2025(county):
    from staffing.models import Researcher

    research = factories.CountyFactory(parent=county, code=f"{county.code}R", kind="research")
    before = rule.research_unit_staffing(unit=county, on=DAY_BEFORE_ALL)
    assert [(r.code, r.status) for r in before] == [(research.code, Status.NOT_YET_DUE)]
    on = rule.research_unit_staffing(unit=county, on=ALL_DAY)
    assert [(r.status, r.reason) for r in on] == [
        (Status.NON_COMPLIANT, str(rule.REASON_RESEARCHER_NONE))
    ]
    Researcher.objects.create(
        unit=research, name="许研", kind=PostKind.PARTTIME, start_date=datetime.date(2024, 1, 1)
    )
    assert rule.research_unit_staffing(unit=county, on=ALL_DAY)[0].status == Status.NON_COMPLIANT
    Researcher.objects.create(
        unit=research, name="许研", kind=PostKind.FULLTIME, start_date=datetime.date(2025, 1, 1)
    )
    assert rule.research_unit_staffing(unit=county, on=ALL_DAY)[0].status == Status.COMPLIANT
