"""The computations of the provision indicators, read from the staffing, counseling and referrals
apps (the other computations are in ``computations.py``): each returns ``(unit_id, numerator,
denominator)`` rows for the whole province (or the subtree under ``within``) in a few grouped
statements, never one per school. A day-based rule is read on the period's last day, or today
while the period runs."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from compliance.indicators import Rows, computes
from compliance.periods import Period
from counseling.centers.selectors import county_standardization
from mhcare.orgs.models import OrgKind, OrgUnit
from referrals.selectors import referral_feedback_by_county
from staffing.lessons.selectors import lesson_hours_by_school
from staffing.models import GroupKind, LeadingGroup, MHTeacher, PostKind, TrainingParticipant
from staffing.teachers import rule


def _day(period: Period) -> datetime.date:
    return min(period.end, timezone.localdate())


def _roots(within: str | None) -> list[OrgUnit]:
    """The units to evaluate the day-based rules under: the subtree's root, or every province."""
    if within:
        return list(OrgUnit.objects.filter(path=within))
    return list(OrgUnit.objects.filter(parent__isnull=True))


# The two full-time teacher indicators read the same per-school judgement (students on the roll
# counted over the whole subtree): a refresh computes it once for both (``refresh_memo``).
_staffing_memo: ContextVar[dict[tuple[str, datetime.date], list[rule.SchoolStaffing]] | None] = (
    ContextVar("staffing_memo", default=None)
)


@contextmanager
def refresh_memo() -> Iterator[None]:
    """Within a snapshot refresh: the schools' staffing judgement is computed once per (subtree,
    day) for the indicators that read it."""
    token = _staffing_memo.set({})
    try:
        yield
    finally:
        _staffing_memo.reset(token)


def _school_staffing(within: str | None, day: datetime.date) -> list[rule.SchoolStaffing]:
    memo = _staffing_memo.get()
    key = (within or "", day)
    if memo is not None and key in memo:
        return memo[key]
    rows = [row for root in _roots(within) for row in rule.school_staffing(unit=root, on=day)]
    if memo is not None:
        memo[key] = rows
    return rows


@computes("fulltime_teacher_required")
def fulltime_teacher_required(period: Period, within: str | None) -> Rows:
    """Required schools (≥ 1 000 students on the roll, several campuses or stages; every school
    from 2025-09-01) with their full-time MH teacher, out of the required schools."""
    return [
        (row.school_id, int(row.status == rule.Status.COMPLIANT), 1)
        for row in _school_staffing(within, _day(period))
        if row.required
    ]


@computes("fulltime_teacher_all")
def fulltime_teacher_all(period: Period, within: str | None) -> Rows:
    """Schools with a full-time MH teacher in post, out of all schools."""
    minimum = settings.STAFFING_MIN_FULLTIME
    return [
        (row.school_id, int(row.fulltime_teachers >= minimum), 1)
        for row in _school_staffing(within, _day(period))
    ]


@computes("researcher_coverage")
def researcher_coverage(period: Period, within: str | None) -> Rows:
    """Teaching-research units with a full-time MH 教研员 (each sums into its county / city /
    province)."""
    day = _day(period)
    return [
        (row.unit_id, int(row.fulltime_researchers > 0), 1)
        for root in _roots(within)
        for row in rule.research_unit_staffing(unit=root, on=day)
    ]


@computes("leading_groups")
def leading_groups(period: Period, within: str | None) -> Rows:
    """Schools with both an MH leading group and a crisis-intervention group on the day."""
    day = _day(period)
    schools = OrgUnit.objects.filter(kind=OrgKind.SCHOOL, is_active=True)
    groups = LeadingGroup.objects.filter(
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=day),
        established_on__lte=day,
        kind__in=[GroupKind.LEADING, GroupKind.CRISIS],
    )
    if within:
        schools = schools.filter(path__startswith=within)
        groups = groups.filter(school__path__startswith=within)
    both = set(
        groups.order_by()
        .values("school_id")
        .annotate(kinds=Count("kind", distinct=True))
        .filter(kinds=2)
        .values_list("school_id", flat=True)
    )
    return [(pk, int(pk in both), 1) for pk in schools.order_by().values_list("pk", flat=True)]


@computes("teacher_training")
def teacher_training(period: Period, within: str | None) -> Rows:
    """MH teachers in post during the period whose training in it included MH content."""
    trained = TrainingParticipant.objects.filter(
        teacher_id=OuterRef("pk"),
        event__includes_mh_content=True,
        event__held_on__gte=period.start,
        event__held_on__lte=period.end,
    )
    teachers = MHTeacher.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=period.start),
        start_date__lte=period.end,
        kind__in=[PostKind.FULLTIME, PostKind.PARTTIME],
    )
    if within:
        teachers = teachers.filter(school__path__startswith=within)
    counts = (
        teachers.annotate(done=Exists(trained))
        .order_by()
        .values("school_id")
        .annotate(den=Count("id"), num=Count("id", filter=Q(done=True)))
    )
    return [(row["school_id"], row["num"], row["den"]) for row in counts]


@computes("center_standardized")
def center_standardized(period: Period, within: str | None) -> Rows:
    """Counties whose counseling center was judged standardized (latest judgement on the day)."""
    return [
        (county, int(standard), 1)
        for county, standard in county_standardization(under=within, on_date=_day(period))
    ]


def _months(period: Period) -> list[datetime.date]:
    """The period's months that are over: a month is judged once it ended (in its first days no
    class has had its 2 hours yet, and every class would read as failing)."""
    today = timezone.localdate()
    months, month = [], period.start.replace(day=1)
    while month <= period.end:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        if following <= today:
            months.append(month)
        month = following
    return months


@computes("lesson_hours")
def lesson_hours(period: Period, within: str | None) -> Rows:
    """Classes with the required MH class hours in each teaching month of the period that is over
    (holiday months not counted; the running month is judged when it ends), out of the classes."""
    return lesson_hours_by_school(within=within, months=_months(period))


@computes("referral_feedback")
def referral_feedback(period: Period, within: str | None) -> Rows:
    """Referrals sent in the period with the institution's feedback within the setting's days,
    out of the referrals sent (per county: a referral belongs to the student's county)."""
    lo, hi = period.bounds()
    return referral_feedback_by_county(
        within=within,
        sent_from=lo,
        sent_before=hi,
        within_days=settings.REFERRAL_FEEDBACK_WITHIN_DAYS,
    )
