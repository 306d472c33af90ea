"""Demo MH lessons for ``seed_demo``: in the first school of each demo county, a term of lessons
so far — each grade's classes have the same lesson together (one entry for several classes) on
the second and fourth Tuesday of each teaching month — with gaps on purpose: every fourth class
had only one 1-hour lesson in October (below the required 2 hours), every fifth class none in
November (a missing month), and in 柯城区 the homeroom teacher's class had a half-hour lesson
more. Written through ``lesson_log`` as the school's psychology teacher (audited like real work).
Deterministic and idempotent: skipped when the demo schools have lessons."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from mhcare.accounts.models import Role, RoleAssignment
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass
from staffing.lessons import calendar
from staffing.lessons.services import lesson_log
from staffing.models import Lesson

DEMO_COUNTY_CODES = ("330106", "330802")
TOPICS = {
    9: ("认识新学期：适应与成长", "我的情绪小怪兽"),
    10: ("学会减压：考试焦虑应对", "友谊的力量"),
    11: ("网络与我：合理使用手机", "珍爱生命：求助有路"),
    12: ("感恩与沟通：和父母好好说话", "挫折中成长"),
    1: ("期末心理调适", "寒假生活规划"),
}


def _person(role: str, unit: OrgUnit) -> Any | None:
    assignment = (
        RoleAssignment.objects.active()
        .filter(role=role, org_unit=unit, user__is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return assignment.user if assignment else None


def _tuesdays(month: datetime.date) -> list[datetime.date]:
    day = month + datetime.timedelta(days=(1 - month.weekday()) % 7)
    found = []
    while day.month == month.month:
        found.append(day)
        day += datetime.timedelta(days=7)
    return found


def _school_lessons(school: OrgUnit, today: datetime.date) -> int:
    psych = _person(Role.PSYCH_TEACHER, school)
    if psych is None:
        return 0
    year_classes = list(
        SchoolClass.objects.filter(
            school=school, school_year__start__lte=today, school_year__end__gte=today
        )
        .select_related("school", "school_year")
        .order_by("grade", "name", "id")
    )
    if not year_classes:
        return 0
    start = year_classes[0].school_year.start
    count = 0
    for month in calendar.teaching_months(calendar.months_between(start, today)):
        tuesdays = [d for d in _tuesdays(month) if d <= today]
        topics = TOPICS.get(month.month, ("心理健康教育", "心理健康教育（二）"))
        for lesson_number, day in enumerate(tuesdays[1:4:2]):
            by_grade: dict[int, list[SchoolClass]] = defaultdict(list)
            for index, klass in enumerate(year_classes):
                if month.month == 10 and lesson_number == 1 and index % 4 == 1:
                    continue  # one lesson only in October: below the required hours
                if month.month == 11 and index % 5 == 2:
                    continue  # no lesson at all in November: a missing month
                by_grade[klass.grade].append(klass)
            for classes in by_grade.values():
                count += len(
                    lesson_log(
                        actor=psych,
                        classes=classes,
                        given_on=day,
                        hours=Decimal("1"),
                        topic=topics[lesson_number],
                    )
                )
    homeroom = _person(Role.HOMEROOM_TEACHER, school)
    own = [k for k in year_classes if homeroom is not None and k.homeroom_teacher_id == homeroom.pk]
    first_days = [d for d in _tuesdays(calendar.month_of(today)) if d <= today][:1]
    if own and first_days and school.parent and school.parent.code == "330802":
        count += len(
            lesson_log(
                actor=homeroom,
                classes=own[:1],
                given_on=first_days[0],
                hours=Decimal("0.5"),
                topic="主题班会：认识自己",
            )
        )
    return count


def seed_lessons_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    today = min(today, timezone.localdate())
    counties = list(OrgUnit.objects.filter(code__in=DEMO_COUNTY_CODES, kind=OrgKind.COUNTY))
    if Lesson.objects.filter(county__in=counties).exists():
        if stdout is not None:
            stdout.write("Lessons demo: lessons exist; nothing added.")
        return
    with transaction.atomic():
        for county in counties:
            school = (
                OrgUnit.objects.filter(parent=county, kind=OrgKind.SCHOOL).order_by("code").first()
            )
            if school is None:
                continue
            count = _school_lessons(school, today)
            if stdout is not None:
                stdout.write(f"Lessons demo: {count} lessons at {school.name}.")
