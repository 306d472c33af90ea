"""The provision indicators read from staffing, counseling and referrals, each on a hand-built data
set whose answer is known (world: county A has schools A and A2, county B has school B)."""

import datetime
from decimal import Decimal

import pytest

from compliance import services
from compliance.models import IndicatorSnapshot
from compliance.periods import parse_period
from counseling.models import CenterJudgement
from staffing.models import GroupKind, LeadingGroup, Lesson, MHTeacher, PostKind
from tests import factories
from tests.referrals.conftest import bring_to, inst  # noqa: F401 - the institutions fixture

pytestmark = pytest.mark.django_db

SEPTEMBER = datetime.date(2026, 9, 1)


def ratio(unit, period, code):
    row = IndicatorSnapshot.objects.get(unit=unit, period=period, indicator=code)
    return row.numerator, row.denominator


def post(school, kind, start=SEPTEMBER, end=None):
    return MHTeacher.objects.create(
        school=school, name=f"{school.code}-{kind}", kind=kind, start_date=start, end_date=end
    )


def test_fulltime_teachers_count_posts_on_the_day(world):
    # school A: a full-time teacher; A2: part-time only; B: a full-time post that ended in October
    post(world.school_a, PostKind.FULLTIME)
    post(world.school_a2, PostKind.PARTTIME)
    post(world.school_b, PostKind.FULLTIME, end=datetime.date(2026, 11, 15))
    services.snapshot_refresh(period=parse_period("2026-S1"))
    # from 2025-09-01 every school is required: required == all
    for code in ("fulltime_teacher_all", "fulltime_teacher_required"):
        assert ratio(world.county_a, "2026-S1", code) == (1, 2)
        assert ratio(world.county_b, "2026-S1", code) == (0, 1)
        assert ratio(world.province, "2026-S1", code) == (1, 3)
    # on the last day of October the post at school B was still held
    services.snapshot_refresh(period=parse_period("2026-10"))
    assert ratio(world.county_b, "2026-10", "fulltime_teacher_all") == (1, 1)


def test_leading_groups_need_both_groups(world):
    for kind in (GroupKind.LEADING, GroupKind.CRISIS):
        LeadingGroup.objects.create(
            school=world.school_a, kind=kind, established_on=SEPTEMBER, responsible_leader="王"
        )
    LeadingGroup.objects.create(
        school=world.school_a2,
        kind=GroupKind.LEADING,
        established_on=SEPTEMBER,
        responsible_leader="李",
    )
    services.snapshot_refresh(period=parse_period("2026-S1"))
    assert ratio(world.county_a, "2026-S1", "leading_groups") == (1, 2)
    assert ratio(world.school_a2, "2026-S1", "leading_groups") == (0, 1)


@pytest.mark.parametrize(("hours", "met"), [("1.5", 0), ("2", 1), ("3", 1)])
def test_lesson_hours_per_class_and_month(world, hours, met):
    Lesson.objects.create(
        school=world.school_a,
        county=world.county_a,
        klass=world.class_a,
        given_on=datetime.date(2026, 10, 12),
        month=datetime.date(2026, 10, 1),
        hours=Decimal(hours),
        topic="认识情绪",
        teacher_name="王老师",
        recorded_by=world.users["psych_a"],
    )
    services.snapshot_refresh(period=parse_period("2026-10"))
    # county A has three classes (A: two, A2: one); only class A had a lesson
    assert ratio(world.county_a, "2026-10", "lesson_hours") == (met, 3)


def test_a_holiday_month_counts_no_class(world):
    services.snapshot_refresh(period=parse_period("2027-02"))
    assert not IndicatorSnapshot.objects.filter(
        period="2027-02", indicator="lesson_hours", denominator__gt=0
    ).exists()


def test_center_standardized_reads_the_latest_judgement(world):
    CenterJudgement.objects.create(
        county=world.county_a,
        is_standardized=True,
        effective_on=datetime.date(2026, 9, 10),
        judged_by=world.users["official_province"],
    )
    services.snapshot_refresh(period=parse_period("2026-S1"))
    assert ratio(world.city, "2026-S1", "center_standardized") == (1, 2)
    assert ratio(world.county_b, "2026-S1", "center_standardized") == (0, 1)


def test_referral_feedback_within_the_days(world, inst):  # noqa: F811
    bring_to(world, "feedback_received")
    bring_to(world, "sent", student_key="b")
    services.snapshot_refresh(period=parse_period("2026-S1"))
    assert ratio(world.county_a, "2026-S1", "referral_feedback") == (1, 1)
    assert ratio(world.county_b, "2026-S1", "referral_feedback") == (0, 1)


def test_a_class_opened_mid_semester_is_judged_from_its_month(world):
    # a class opened in November, with its 2 hours in November only: met for the months it existed
    opened = factories.SchoolClassFactory(
        school=world.school_b,
        school_year=world.class_b.school_year,
        name="八(9)班",
        created_on=datetime.date(2026, 11, 5),
    )
    Lesson.objects.create(
        school=world.school_b,
        county=world.county_b,
        klass=opened,
        given_on=datetime.date(2026, 11, 10),
        month=datetime.date(2026, 11, 1),
        hours=Decimal(2),
        topic="适应新班级",
        teacher_name="赵老师",
        recorded_by=world.users["psych_b"],
    )
    services.snapshot_refresh(period=parse_period("2026-S1"))
    # school B: its original class had no lesson (not met), the new class met its one month
    assert ratio(world.school_b, "2026-S1", "lesson_hours") == (1, 2)
