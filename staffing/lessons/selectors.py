"""Reads of the lesson log and lesson compliance (notice §2), always from the actor's scope.

A class meets the rule in a month when its MH class hours that month reach the required hours
(setting ``STAFFING_LESSON_HOURS_REQUIRED``, 2). Holiday months (settings) are shown but never
counted. A class counts in the months of its school year only.

Who reads (``Action.VIEW_LESSONS``, per assignment): homeroom and subject teachers their own
classes; the school's psychology teacher and leader every class of the school; the county center
and officials every class of their subtree (aggregates: hours per class, no student). Everything
is computed set-based: one grouped query per unit and month range, never a query per class.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import F, FilteredRelation, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from mhcare.accounts import policy
from mhcare.accounts.models import CLASS_ROLES
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass
from staffing.lessons import calendar
from staffing.models import Lesson

ZERO = Decimal("0.0")


def require_viewer(actor: Any) -> None:
    policy.require(actor, policy.Action.VIEW_LESSONS)


def lesson_classes(*, actor: Any) -> QuerySet[SchoolClass]:
    """Classes whose lessons the actor reads."""
    return policy.narrow(
        actor,
        policy.Action.VIEW_LESSONS,
        SchoolClass.objects.filter(school__is_active=True),
        school_field="school",
        class_field="pk",
    )


def class_school_ids(actor: Any) -> set[int]:
    """Schools of the classes the actor reads through a class role (homeroom, subject)."""
    ids = policy.class_ids(actor, policy.Action.VIEW_LESSONS)
    if not ids:
        return set()
    return set(SchoolClass.objects.filter(pk__in=ids).values_list("school_id", flat=True))


def lesson_schools(*, actor: Any) -> QuerySet[OrgUnit]:
    """Schools the actor reads lessons of: school-wide, or where she teaches a class."""
    condition = Q(pk__in=sorted(class_school_ids(actor)))
    paths = policy.paths(actor, policy.Action.VIEW_LESSONS)
    if paths:
        condition |= reduce(or_, (Q(path__startswith=p) for p in paths))
    return OrgUnit.objects.filter(condition, kind=OrgKind.SCHOOL, is_active=True).order_by("path")


def lesson_school_get(*, actor: Any, pk: Any) -> OrgUnit:
    """403 for roles that never read lessons; 404 for a school outside the actor's reach."""
    require_viewer(actor)
    try:
        return lesson_schools(actor=actor).get(pk=pk)
    except (OrgUnit.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def unit_get(*, actor: Any, code: str) -> OrgUnit:
    """An org unit by code that the actor has lessons under: inside one of her units, above one
    (an official of a county asking for the city reads her county), or holding one of her
    classes. Anything else is 404 like a missing code."""
    require_viewer(actor)
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise Http404
    paths = policy.paths(actor, policy.Action.VIEW_LESSONS)
    if any(unit.path.startswith(p) or p.startswith(unit.path) for p in paths):
        return unit
    class_ids = policy.class_ids(actor, policy.Action.VIEW_LESSONS)
    if (
        class_ids
        and SchoolClass.objects.filter(
            pk__in=class_ids, school__path__startswith=unit.path
        ).exists()
    ):
        return unit
    raise Http404


def has_school_wide_view(actor: Any) -> bool:
    return bool(policy.paths(actor, policy.Action.VIEW_LESSONS))


def _classes_in(
    actor: Any | None, unit: OrgUnit, first: datetime.date, last: datetime.date
) -> QuerySet[SchoolClass]:
    """Classes under ``unit`` (the actor's, when given) whose school year overlaps the months."""
    base = (
        SchoolClass.objects.filter(school__is_active=True)
        if actor is None
        else lesson_classes(actor=actor)
    )
    return base.filter(
        school__path__startswith=unit.path,
        school_year__start__lte=calendar.month_end(last),
        school_year__end__gte=first,
    )


# --- one month: a row per class (the API) ---------------------------------------------------------


@dataclass(frozen=True)
class ClassMonth:
    school: str  # the school's code
    school_name: str
    class_id: int
    class_name: str
    grade: int
    hours: Decimal
    required: Decimal
    met: bool
    is_teaching_month: bool


def class_month_queryset(*, actor: Any, unit: OrgUnit, month: datetime.date) -> QuerySet[Any]:
    """One grouped query: every class under the unit in the month's school year, with its MH
    class hours that month (the lessons joined on class and month, grouped by the class alone:
    the school's code and name are read once per school by ``class_month_rows``)."""
    require_viewer(actor)
    return (
        _classes_in(actor, unit, month, month)
        .annotate(
            month_lessons=FilteredRelation("mh_lessons", condition=Q(mh_lessons__month=month))
        )
        .annotate(hours=Coalesce(Sum("month_lessons__hours"), Value(ZERO)))
        .values("id", "name", "grade", "school_id", "hours")
    )


def class_month_rows(
    *,
    actor: Any,
    unit: OrgUnit,
    month: datetime.date,
    after: int | None = None,
    limit: int | None = None,
) -> list[ClassMonth]:
    """The rows of ``class_month_queryset`` by class id (keyset: ``after`` the last id), with
    their schools' codes and names (one more query)."""
    queryset = class_month_queryset(actor=actor, unit=unit, month=month).order_by("id")
    if after is not None:
        queryset = queryset.filter(id__gt=after)
    if limit is not None:
        queryset = queryset[:limit]
    rows = list(queryset)
    schools = {
        pk: (code, name)
        for pk, code, name in OrgUnit.objects.filter(
            pk__in={row["school_id"] for row in rows}
        ).values_list("pk", "code", "name")
    }
    return [to_class_month(row, month, *schools[row["school_id"]]) for row in rows]


def to_class_month(
    row: dict[str, Any], month: datetime.date, school_code: str, school_name: str
) -> ClassMonth:
    teaching = calendar.is_teaching_month(month)
    required = calendar.required_hours() if teaching else ZERO
    hours = Decimal(row["hours"]).quantize(Decimal("0.1"))
    return ClassMonth(
        school=school_code,
        school_name=school_name,
        class_id=row["id"],
        class_name=row["name"],
        grade=row["grade"],
        hours=hours,
        required=required.quantize(Decimal("0.1")),
        met=hours >= required,
        is_teaching_month=teaching,
    )


# --- a school's grid: classes × months ------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    month: datetime.date
    hours: Decimal
    in_year: bool  # the class exists in that month (its school year)
    is_teaching_month: bool
    required: Decimal

    @property
    def counted(self) -> bool:
        return self.in_year and self.is_teaching_month

    @property
    def met(self) -> bool:
        return self.counted and self.hours >= self.required

    @property
    def missing(self) -> bool:
        """A counted month with no lesson at all."""
        return self.counted and self.hours == 0

    @property
    def below(self) -> bool:
        return self.counted and self.hours < self.required


@dataclass
class GridRow:
    klass: SchoolClass
    cells: list[Cell]

    @property
    def total(self) -> Decimal:
        return sum((c.hours for c in self.cells), ZERO)

    @property
    def months_below(self) -> int:
        return sum(1 for c in self.cells if c.below)


@dataclass(frozen=True)
class MonthSummary:
    month: datetime.date
    is_teaching_month: bool
    classes: int
    met: int

    @property
    def below(self) -> int:
        return self.classes - self.met

    @property
    def percent(self) -> float | None:
        if not self.is_teaching_month or not self.classes:
            return None
        return round(100 * self.met / self.classes, 1)


@dataclass
class Grid:
    school: OrgUnit
    months: list[datetime.date]
    rows: list[GridRow]
    summaries: list[MonthSummary] = field(default_factory=list)
    required: Decimal = ZERO


def school_grid(*, actor: Any, school: OrgUnit, months: Sequence[datetime.date]) -> Grid:
    """The school's classes (the actor's) × the months: hours per cell, months below the rule
    and months without any lesson flagged, holiday months shown but not counted. Two queries
    whatever the number of classes: the classes, and the lessons grouped by class and month."""
    require_viewer(actor)
    months = sorted(months)
    required = calendar.required_hours()
    if not months:
        return Grid(school=school, months=[], rows=[], required=required)
    classes = list(
        _classes_in(actor, school, months[0], months[-1])
        .filter(school=school)
        .select_related("school_year", "homeroom_teacher")
        .order_by("grade", "name", "id")
    )
    hours: dict[tuple[int, datetime.date], Decimal] = {
        (row["klass_id"], row["month"]): row["hours"]
        for row in Lesson.objects.filter(  # scope-lint: allow the classes above are the actor's
            klass_id__in=[k.pk for k in classes], month__in=months
        )
        .values("klass_id", "month")
        .annotate(hours=Sum("hours"))
        .order_by()
    }
    teaching = {m: calendar.is_teaching_month(m) for m in months}
    rows = []
    for klass in classes:
        year = klass.school_year
        cells = [
            Cell(
                month=m,
                hours=hours.get((klass.pk, m), ZERO),
                in_year=calendar.month_of(year.start) <= m <= year.end,
                is_teaching_month=teaching[m],
                required=required,
            )
            for m in months
        ]
        rows.append(GridRow(klass=klass, cells=cells))
    summaries = []
    for position, month in enumerate(months):
        counted = [r.cells[position] for r in rows if r.cells[position].in_year]
        summaries.append(
            MonthSummary(
                month=month,
                is_teaching_month=teaching[month],
                classes=len(counted),
                met=sum(1 for c in counted if c.met),
            )
        )
    return Grid(
        school=school, months=list(months), rows=rows, summaries=summaries, required=required
    )


def recent_lessons(*, actor: Any, school: OrgUnit, limit: int = 20) -> list[Lesson]:
    """The school's latest lesson entries the actor reads (her classes' only, for a teacher)."""
    return list(
        Lesson.objects.filter(  # scope-lint: allow narrowed to the actor's classes by the policy
            school=school, klass__in=lesson_classes(actor=actor)
        )
        .select_related("klass")
        .order_by("-given_on", "-id")[:limit]
    )


# --- per school and month: classes meeting the rule (the county page, the indicator) --------------


# The classes (from the scoped ORM query) are materialised once; the lessons are found through the
# unit's schools and the (school, month) index — a semi-join on some thousand schools rather than
# an index probe per class (measured with bench/lessons.py).
# One statement for both answers: per school and month, the classes and those meeting the rule
# (``month`` set); per school over the period, the classes and those meeting it in every month
# (``month`` NULL). Each (class, month) is computed once.
_COMPLIANCE_SQL = """
WITH cls AS MATERIALIZED ({classes}),
months AS (SELECT unnest(%s::date[]) AS month),
hrs AS (
    SELECT l.klass_id, l.month, SUM(l.hours) AS hours
    FROM staffing_lesson l
    WHERE l.school_id IN (SELECT DISTINCT school_id FROM cls) AND l.month = ANY(%s::date[])
    GROUP BY l.klass_id, l.month
),
per_class_month AS MATERIALIZED (
    SELECT cls.id, cls.school_id, m.month, COALESCE(h.hours, 0) >= %s AS met
    FROM cls
    JOIN months m ON m.month BETWEEN date_trunc('month', COALESCE(cls.opened, cls.y_start))::date
                             AND cls.y_end
    LEFT JOIN hrs h ON h.klass_id = cls.id AND h.month = m.month
),
per_class AS (
    SELECT id, school_id, bool_and(met) AS met FROM per_class_month GROUP BY id, school_id
)
SELECT school_id, month, COUNT(*) AS classes, COUNT(*) FILTER (WHERE met) AS met
FROM per_class_month GROUP BY school_id, month
UNION ALL
SELECT school_id, NULL, COUNT(*), COUNT(*) FILTER (WHERE met) FROM per_class GROUP BY school_id
"""


def _classes_sql(classes: QuerySet[SchoolClass]) -> tuple[str, tuple[Any, ...]]:
    query = (
        classes.annotate(
            y_start=F("school_year__start"), y_end=F("school_year__end"), opened=F("created_on")
        )
        .values("id", "school_id", "y_start", "y_end", "opened")
        .order_by()
    )
    sql, params = query.query.sql_with_params()
    return sql, tuple(params)


def _run(
    template: str, classes: QuerySet[SchoolClass], months: list[datetime.date]
) -> list[tuple[Any, ...]]:
    sql, params = _classes_sql(classes)
    with connection.cursor() as cursor:
        cursor.execute(
            template.format(classes=sql),
            (*params, months, months, calendar.required_hours()),
        )
        return list(cursor.fetchall())


@dataclass
class SchoolCompliance:
    school: OrgUnit
    months: list[MonthSummary]
    classes: int = 0  # classes counted in the period
    met: int = 0  # classes meeting the rule in every teaching month of the period

    @property
    def below(self) -> int:
        return self.classes - self.met

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.classes, 1) if self.classes else None

    @property
    def months_below(self) -> list[datetime.date]:
        return [m.month for m in self.months if m.is_teaching_month and m.below]


def school_compliance(
    *,
    actor: Any | None,
    unit: OrgUnit,
    months: Sequence[datetime.date],
    below_only: bool = False,
) -> list[SchoolCompliance]:
    """Every school under ``unit`` (the actor's; ``actor=None`` for an indicator computed for the
    unit itself): per teaching month, its classes and those meeting the rule; over the period,
    the classes meeting it in every teaching month. One grouped statement plus the schools.
    ``below_only``: only schools with a class below the rule."""
    if actor is not None:
        require_viewer(actor)
    months = sorted(months)
    taught = calendar.teaching_months(months)
    schools_qs: QuerySet[OrgUnit]
    if actor is None:
        schools_qs = OrgUnit.objects.filter(
            kind=OrgKind.SCHOOL, is_active=True, path__startswith=unit.path
        )
    else:
        schools_qs = lesson_schools(actor=actor).filter(path__startswith=unit.path)
    schools = list(schools_qs.order_by("path"))
    per_month: dict[tuple[int, datetime.date], tuple[int, int]] = {}
    per_period: dict[int, tuple[int, int]] = {}
    if schools and taught:
        classes = _classes_in(actor, unit, taught[0], taught[-1])
        for school_id, month, count, met in _run(_COMPLIANCE_SQL, classes, taught):
            if month is None:
                per_period[school_id] = (count, met)
            else:
                per_month[(school_id, month)] = (count, met)
    result = []
    for school in schools:
        summaries = []
        for month in months:
            count, met = per_month.get((school.pk, month), (0, 0))
            summaries.append(
                MonthSummary(
                    month=month,
                    is_teaching_month=calendar.is_teaching_month(month),
                    classes=count,
                    met=met,
                )
            )
        count, met = per_period.get(school.pk, (0, 0))
        row = SchoolCompliance(school=school, months=summaries, classes=count, met=met)
        if below_only and not row.below:
            continue
        result.append(row)
    return result


@dataclass
class CountyCompliance:
    """A county's schools summed: for city and province officials, one row per county."""

    county: OrgUnit
    months: list[MonthSummary]
    schools: int = 0
    schools_below: int = 0
    classes: int = 0
    met: int = 0

    @property
    def below(self) -> int:
        return self.classes - self.met


def county_compliance(
    *, actor: Any, unit: OrgUnit, months: Sequence[datetime.date], below_only: bool = False
) -> list[CountyCompliance]:
    """``school_compliance`` of every school under a city or province, summed per county (the
    same one grouped statement, whatever the number of schools)."""
    rows = school_compliance(actor=actor, unit=unit, months=months)
    counties = {
        c.pk: c
        for c in OrgUnit.objects.filter(
            pk__in={r.school.parent_id for r in rows}, kind=OrgKind.COUNTY
        )
    }
    by_county: dict[int, CountyCompliance] = {}
    for row in rows:
        county = counties.get(row.school.parent_id or 0)
        if county is None:
            continue
        total = by_county.get(county.pk)
        if total is None:
            total = by_county[county.pk] = CountyCompliance(
                county=county,
                months=[MonthSummary(m.month, m.is_teaching_month, 0, 0) for m in row.months],
            )
        total.schools += 1
        total.schools_below += 1 if row.below else 0
        total.classes += row.classes
        total.met += row.met
        total.months = [
            MonthSummary(t.month, t.is_teaching_month, t.classes + m.classes, t.met + m.met)
            for t, m in zip(total.months, row.months, strict=True)
        ]
    result = sorted(by_county.values(), key=lambda c: c.county.path)
    return [c for c in result if c.schools_below] if below_only else result


# --- for the provision page and the compliance indicators -----------------------------------------


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None


def lesson_hours(
    *, unit: OrgUnit, months: Sequence[datetime.date], actor: Any | None = None
) -> Ratio:
    """The ``lesson_hours`` indicator for any unit and period: classes with the required hours in
    each teaching month of the period ÷ classes (one grouped query)."""
    taught = calendar.teaching_months(sorted(months))
    if not taught:
        return Ratio(0, 0)
    classes = _classes_in(actor, unit, taught[0], taught[-1])
    if actor is not None:
        require_viewer(actor)
    rows = [r for r in _run(_COMPLIANCE_SQL, classes, taught) if r[1] is None]
    return Ratio(sum(r[3] for r in rows), sum(r[2] for r in rows))


def lesson_hours_by_school(
    *, within: str | None, months: Sequence[datetime.date]
) -> list[tuple[int, int, int]]:
    """``(school_id, classes meeting the rule in every teaching month, classes)`` for every
    active school under the path ``within`` (or all): the compliance snapshots' rows, one grouped
    statement for the whole province."""
    taught = calendar.teaching_months(sorted(months))
    if not taught:
        return []
    classes = SchoolClass.objects.filter(
        school__is_active=True,
        school_year__start__lte=calendar.month_end(taught[-1]),
        school_year__end__gte=taught[0],
    )
    if within:
        classes = classes.filter(school__path__startswith=within)
    return [
        (school_id, met, count)
        for school_id, month, count, met in _run(_COMPLIANCE_SQL, classes, taught)
        if month is None
    ]


@dataclass
class SchoolLessonSummary:
    school: OrgUnit
    months: list[MonthSummary]
    classes: int
    met: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.classes, 1) if self.classes else None

    @property
    def months_below(self) -> list[datetime.date]:
        return [m.month for m in self.months if m.is_teaching_month and m.below]


def school_lesson_summary(
    school: OrgUnit, months: Sequence[datetime.date], *, actor: Any | None = None
) -> SchoolLessonSummary:
    """What the school's provision page shows of lessons (``templates/staffing/lessons/
    _school_summary.html``): per month, classes meeting the rule of the classes counted; over
    the period, classes meeting it every teaching month. The caller has checked the actor may
    see the school (``actor`` narrows further when given)."""
    rows = school_compliance(actor=actor, unit=school, months=months)
    row = next((r for r in rows if r.school.pk == school.pk), None)
    if row is None:
        empty = [MonthSummary(m, calendar.is_teaching_month(m), 0, 0) for m in sorted(months)]
        return SchoolLessonSummary(school=school, months=empty, classes=0, met=0)
    return SchoolLessonSummary(school=school, months=row.months, classes=row.classes, met=row.met)


def class_roles_only(actor: Any) -> bool:
    """A teacher who reads her own classes only (no school-wide assignment)."""
    return not has_school_wide_view(actor) and any(
        g.role in CLASS_ROLES for g in policy.granting(actor, policy.Action.VIEW_LESSONS)
    )


def require_overview(actor: Any) -> None:
    """The per-school overview is for school-wide readers (leaders, center, officials)."""
    require_viewer(actor)
    if not has_school_wide_view(actor):
        raise PermissionDenied
