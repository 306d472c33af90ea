"""Reads for screening campaigns and their live coverage, always from the actor's scope.

Coverage is ``completed ÷ enrolled``: enrolled students of the campaign's school year in a target
grade that one of its instruments covers, and completed those with a result for *every*
instrument the campaign assigns to their grade. It is computed live with one grouped query at the
level below the unit being looked at (city → counties → schools → grades and classes), so a
county's page reads its own students only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    CharField,
    Exists,
    F,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Concat
from django.http import Http404

from mhcare.accounts import policy, scope
from mhcare.accounts.models import Role
from mhcare.accounts.scope import RecordKind
from mhcare.core.grades import grade_name
from mhcare.orgs.models import (
    PATH_SEPARATOR,
    EnrolmentStatus,
    OrgKind,
    OrgUnit,
    SchoolClass,
    Student,
    ancestor_paths,
)
from screening.models import (
    Campaign,
    CampaignCoverage,
    CampaignInstrument,
    ConsentDecision,
    Instrument,
    ScreeningConsent,
    ScreeningResult,
)

# Roles that create campaigns, and at which units: a school's psychology teacher for her school,
# county center staff for their county (or a school in it), the platform administrator anywhere.
CREATOR_ROLES = policy.ACTION_RULES[policy.Action.CREATE_CAMPAIGN].roles


def _viewer_paths(actor: Any) -> list[str]:
    """The units from which the actor looks at campaigns: where she sees aggregates (every role
    with a school or wider assignment), or configures (the platform administrator)."""
    return sorted(set(policy.paths(actor, policy.Action.VIEW_CAMPAIGNS)))


def may_view_campaigns(actor: Any) -> bool:
    """From the actor's grants alone (no query): the header asks on every page."""
    return policy.anywhere(actor, policy.Action.VIEW_CAMPAIGNS)


def campaign_list(*, actor: Any) -> QuerySet[Campaign]:
    """Campaigns that reach one of the actor's units: run by the unit, an ancestor of it (a
    province-wide campaign reaches every school), or a unit below it."""
    paths = _viewer_paths(actor)
    if not paths:
        return Campaign.objects.none()
    conditions = []
    for path in paths:
        conditions.append(Q(org_unit__path__in=ancestor_paths(path)))
        conditions.append(Q(org_unit__path__startswith=path))
    return (
        Campaign.objects.filter(reduce(or_, conditions))
        .select_related("school_year", "semester", "org_unit")
        .prefetch_related("instruments__instrument")
        .order_by("-window_start", "-id")
    )


def campaign_get(*, actor: Any, pk: Any) -> Campaign:
    """One campaign reaching the actor's units, or 404 (the same as a missing one)."""
    try:
        return campaign_list(actor=actor).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def creator_units(*, actor: Any) -> QuerySet[OrgUnit]:
    """Units for which the actor may run a campaign."""
    units = policy.units(actor, policy.Action.CREATE_CAMPAIGN)
    if not scope.has_role(actor, Role.PLATFORM_ADMIN):
        # Staff run campaigns for schools and counties; province and city ones are configuration.
        units = units.filter(kind__in=[OrgKind.SCHOOL, OrgKind.COUNTY])
    return units.filter(is_active=True).order_by("path")


def may_create_campaigns(actor: Any) -> bool:
    return policy.anywhere(actor, policy.Action.CREATE_CAMPAIGN)


def require_viewer(actor: Any) -> None:
    if not may_view_campaigns(actor):
        raise PermissionDenied


def active_instruments() -> list[Instrument]:
    """The newest active version of each instrument, for the campaign form."""
    latest: dict[str, Instrument] = {}
    for instrument in Instrument.objects.active().order_by("code", "-version"):
        latest.setdefault(instrument.code, instrument)
    return list(latest.values())


# --- coverage ----------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    key: Any
    label: str
    enrolled: int = 0
    completed: int = 0
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def remaining(self) -> int:
        return self.enrolled - self.completed

    @property
    def percent(self) -> float | None:
        if not self.enrolled:
            return None
        return round(100 * self.completed / self.enrolled, 1)


def required_by_grade(campaign: Campaign) -> dict[int, list[int]]:
    """For each target grade, the instrument ids the campaign assigns to it (grades that no
    instrument covers are not screened and not counted)."""
    cached: dict[int, list[int]] | None = getattr(campaign, "_required_by_grade", None)
    if cached is not None:
        return cached
    required: dict[int, list[int]] = {}
    pairs = CampaignInstrument.objects.filter(campaign=campaign).values_list(
        "instrument_id", "grade_min", "grade_max"
    )
    targets = set(campaign.target_grades or [])
    for instrument_id, low, high in pairs:
        for grade in range(low, high + 1):
            if grade in targets:
                required.setdefault(grade, []).append(instrument_id)
    campaign._required_by_grade = required  # type: ignore[attr-defined]
    return required


def _student_base(actor: Any, campaign: Campaign, unit: OrgUnit) -> QuerySet[Student]:
    """Students counted at ``unit`` whose aggregates the actor sees (see ``campaign_students``)."""
    return campaign_students(
        scope.scoped(actor, Student, kind=RecordKind.AGGREGATE),
        campaign,
        max(campaign.org_unit.path, unit.path, key=len),
    )


def campaign_students(
    students: QuerySet[Student], campaign: Campaign, path: str
) -> QuerySet[Student]:
    """Of ``students``, those counted under the unit of ``path``: enrolled in the campaign's year,
    in a grade it screens, in a school under ``path`` (which lies in the campaign's subtree). A
    student whose guardian refused screening (PIPL art. 31) is not counted: the class page lists
    them. The caller scopes ``students`` (an actor's aggregates, or all rows for the refresh)."""
    refusals = ScreeningConsent.objects.filter(  # scope-lint: allow subquery of scoped students
        student_id=OuterRef("pk"), decision=ConsentDecision.REFUSED
    )
    return students.filter(
        status=EnrolmentStatus.ENROLLED,
        klass__school_year_id=campaign.school_year_id,
        klass__grade__in=sorted(required_by_grade(campaign)),
        school__path__startswith=path,
    ).exclude(Exists(refusals))


def coverage_units(*, actor: Any) -> QuerySet[OrgUnit]:
    """Units whose coverage (counts, never names) the actor may see."""
    return scope.units(actor, RecordKind.AGGREGATE)


def grouped_counts(
    campaign: Campaign, students: QuerySet[Student], group_sql: str, *, whole: bool = False
) -> dict[Any, tuple[int, int]]:
    """``{group: (enrolled, completed)}`` with ``group_sql`` an expression over the CTE ``s``
    (columns id, school_id, klass_id, grade, school_path). ``whole``: ``students`` are the whole
    campaign's (the recount of a province campaign), so every result of the campaign is read in
    one pass; otherwise only the results of ``students`` (a school's or a county's), found by
    index — on 1 M students that lookup took 14–20 s where the one pass takes a few."""
    required = required_by_grade(campaign)
    if not required:
        return {}
    # ``order_by()``: Student's default ordering (grade, class, name) would sort every student of
    # the subtree inside the CTE before the GROUP BY (measured: 1 M rows sorted on disk).
    base = students.order_by().values("id", "school_id", "klass_id", "klass__grade", "school__path")
    base_sql, base_params = base.query.sql_with_params()
    grades = sorted(required)
    sql = f"""
        WITH s(id, school_id, klass_id, grade, school_path) AS ({base_sql}),
        req(grade, n) AS (SELECT * FROM unnest(%s::int[], %s::int[])),
        done AS (
            SELECT r.student_id, count(DISTINCT r.instrument_id) AS n
            FROM screening_screeningresult r
            JOIN screening_campaigninstrument ci
              ON ci.campaign_id = r.campaign_id AND ci.instrument_id = r.instrument_id
            WHERE r.campaign_id = %s {"" if whole else "AND r.student_id IN (SELECT id FROM s)"}
            GROUP BY r.student_id
        )
        SELECT {group_sql} AS g, count(*) AS enrolled,
               count(*) FILTER (WHERE coalesce(done.n, 0) >= req.n) AS completed
        FROM s JOIN req ON req.grade = s.grade
        LEFT JOIN done ON done.student_id = s.id
        GROUP BY 1
    """  # noqa: S608 - group_sql is one of this module's constants; values are parameters
    params = [*base_params, grades, [len(required[g]) for g in grades], campaign.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: (int(row[1]), int(row[2])) for row in cursor.fetchall()}


def _child_path_sql(depth: int) -> str:
    """SQL for the path of the ancestor at ``depth + 1`` of the student's school (its child of
    the unit at ``depth``), built from the materialised path."""
    keep = depth + 2  # path segments of the child, counting the root (depth 0 = 1 segment)
    return (
        f"'{PATH_SEPARATOR}' || array_to_string((string_to_array(trim(both '{PATH_SEPARATOR}' "
        f"from s.school_path), '{PATH_SEPARATOR}'))[1:{keep}], '{PATH_SEPARATOR}') "
        f"|| '{PATH_SEPARATOR}'"
    )


def coverage_unit_get(*, actor: Any, campaign: Campaign, pk: Any | None) -> OrgUnit | None:
    """The unit whose coverage is shown: ``pk`` when the actor sees its aggregates and it lies in
    the campaign's subtree (else 404); without ``pk`` the highest such unit — the campaign's own
    unit for those above it, their own unit for those inside it — or None (no aggregates)."""
    units = coverage_units(actor=actor).filter(path__startswith=campaign.org_unit.path)
    if pk is None:
        return units.order_by("depth", "path").first()
    try:
        return units.get(pk=pk)
    except (OrgUnit.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# The units a coverage table lists when drilling down: where students are enrolled, and the
# areas above them.
COVERAGE_KINDS = (OrgKind.CITY, OrgKind.COUNTY, OrgKind.SCHOOL)


def coverage_by_child(*, actor: Any, campaign: Campaign, unit: OrgUnit) -> list[CoverageRow]:
    """Coverage of each child unit of ``unit`` (see ``coverage_by_child_as_of``)."""
    return coverage_by_child_as_of(actor=actor, campaign=campaign, unit=unit)[0]


def coverage_by_child_as_of(
    *, actor: Any, campaign: Campaign, unit: OrgUnit
) -> tuple[list[CoverageRow], datetime.datetime | None]:
    """Coverage of each child unit of ``unit`` (cities, counties or schools), for units above a
    school, summed from the schools' pre-aggregated counts (``CampaignCoverage``: no student is
    counted here, so the page and its 30-s reload cost two small queries), with the time of the
    oldest count summed ("as of"; None when not computed yet). Units that enrol no students
    (county centers, teaching-research units, institutions) are not listed: they would only ever
    show 0 / 0."""
    children = list(
        coverage_units(actor=actor)
        .filter(parent=unit, is_active=True, kind__in=COVERAGE_KINDS)
        .order_by("code")
        .only("id", "name", "name_en", "path")
    )
    # The child's path from the school's: its first ``unit.depth + 2`` segments, summed in SQL
    # (a few rows leave the database, not one per school).
    segments: list[Any] = [Value(PATH_SEPARATOR)]
    for position in range(2, unit.depth + 4):
        segments += [
            Func(
                F("school__path"),
                Value(PATH_SEPARATOR),
                Value(position),
                function="split_part",
                output_field=CharField(),
            ),
            Value(PATH_SEPARATOR),
        ]
    counts = (
        scope.scoped(actor, CampaignCoverage, kind=RecordKind.AGGREGATE)
        .filter(
            campaign=campaign,
            school__path__startswith=max(campaign.org_unit.path, unit.path, key=len),
        )
        .annotate(child=Concat(*segments, output_field=CharField()))
        .order_by()
        .values("child")
        .annotate(enrolled=Sum("enrolled"), completed=Sum("completed"), as_of=Min("computed_at"))
    )
    totals = {row["child"]: row for row in counts}
    as_of = min((row["as_of"] for row in totals.values()), default=None)
    if as_of is None:  # no student under the unit: when the campaign was last counted
        as_of = campaign.coverage_computed_at
    rows = [
        CoverageRow(
            key=child.pk,
            label=child.name,
            enrolled=totals[child.path]["enrolled"] if child.path in totals else 0,
            completed=totals[child.path]["completed"] if child.path in totals else 0,
        )
        for child in children
    ]
    return rows, as_of


def coverage_of_school(
    *, actor: Any, campaign: Campaign, school: OrgUnit
) -> tuple[list[CoverageRow], list[CoverageRow]]:
    """(per grade, per class) coverage of one school."""
    students = _student_base(actor, campaign, school)
    by_class = grouped_counts(campaign, students, "s.klass_id")
    by_grade = grouped_counts(campaign, students, "s.grade")
    classes = SchoolClass.objects.filter(
        school=school, school_year_id=campaign.school_year_id, pk__in=list(by_class)
    ).order_by("grade", "name")
    grade_rows = [
        CoverageRow(key=grade, label=str(grade_name(grade)), enrolled=e, completed=c)
        for grade, (e, c) in sorted(by_grade.items())
    ]
    class_rows = [
        CoverageRow(
            key=klass.pk,
            label=klass.name,
            enrolled=by_class[klass.pk][0],
            completed=by_class[klass.pk][1],
            extra={"grade": klass.grade, "klass": klass},
        )
        for klass in classes
    ]
    return grade_rows, class_rows


def total_of(rows: Iterable[CoverageRow], label: str = "") -> CoverageRow:
    total = CoverageRow(key=None, label=label)
    for row in rows:
        total.enrolled += row.enrolled
        total.completed += row.completed
    return total


# --- one class: the unscreened list and the entry grid ----------------------------------------


def may_see_names(actor: Any) -> bool:
    """Names of unscreened students: roles that see rosters at school level or wider."""
    return policy.anywhere(actor, policy.Action.SEE_UNSCREENED_NAMES)


def campaign_class_get(*, actor: Any, campaign: Campaign, pk: Any) -> SchoolClass:
    """A class of the campaign's year, in a school the campaign reaches and whose roster the
    actor sees; 404 otherwise."""
    if not may_see_names(actor):
        raise PermissionDenied
    schools = scope.schools(actor, RecordKind.STUDENT).filter(
        path__startswith=campaign.org_unit.path
    )
    try:
        return (
            SchoolClass.objects.select_related("school")
            .filter(school__in=schools, school_year_id=campaign.school_year_id)
            .get(pk=pk)
        )
    except (SchoolClass.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def class_students(*, actor: Any, klass: SchoolClass) -> QuerySet[Student]:
    return (
        scope.scoped(actor, Student, kind=RecordKind.STUDENT)
        .filter(klass=klass, status=EnrolmentStatus.ENROLLED)
        .order_by("student_number", "id")
    )


def class_instruments(*, campaign: Campaign, klass: SchoolClass) -> list[Instrument]:
    return [
        ci.instrument
        for ci in CampaignInstrument.objects.filter(
            campaign=campaign, grade_min__lte=klass.grade, grade_max__gte=klass.grade
        ).select_related("instrument")
        if klass.grade in (campaign.target_grades or [])
    ]


def class_status(*, actor: Any, campaign: Campaign, klass: SchoolClass) -> list[dict[str, Any]]:
    """Each student of the class with the campaign instruments still missing (names only: no
    scores, so the school leader sees it too)."""
    instruments = class_instruments(campaign=campaign, klass=klass)
    students = list(class_students(actor=actor, klass=klass))
    done: dict[int, set[int]] = {}
    # Whether a result exists is summary-level: the school leader sees it, never the scores.
    summaries = scope.scoped(actor, ScreeningResult, kind=RecordKind.SCORE_SUMMARY)
    for student_id, instrument_id in summaries.filter(
        campaign=campaign, student__in=[s.pk for s in students]
    ).values_list("student_id", "instrument_id"):
        done.setdefault(student_id, set()).add(instrument_id)
    rows = []
    for student in students:
        have = done.get(student.pk, set())
        missing = [i for i in instruments if i.pk not in have]
        rows.append({"student": student, "missing": missing, "complete": not missing})
    return rows


def grid_results(
    *, actor: Any, campaign: Campaign, instrument: Instrument, students: list[Student]
) -> dict[int, ScreeningResult]:
    """The stored results of the grid's students (score scope: the grid is for entry roles)."""
    return {
        r.student_id: r
        for r in scope.scoped(actor, ScreeningResult, kind=RecordKind.SCORE).filter(
            campaign=campaign, instrument=instrument, student__in=[s.pk for s in students]
        )
    }
