"""Reads of the compliance app: indicators computed live in SQL from the actor's aggregate scope,
and the report requests the actor may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from compliance.models import ReportRequest
from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import EnrolmentStatus, OrgKind, OrgUnit, SchoolYear, Student
from screening.models import ScreeningResult

SCREENED_GRADES = (4, 12)  # notice §7: annual screening of grades 4–12


@dataclass(frozen=True)
class CoverageRow:
    unit: OrgUnit
    enrolled: int
    screened: int

    @property
    def rate(self) -> float | None:
        """Coverage in percent; None when the unit has no student in the screened grades."""
        return round(100.0 * self.screened / self.enrolled, 1) if self.enrolled else None


@dataclass(frozen=True)
class Coverage:
    unit: OrgUnit
    school_year: SchoolYear
    rows: list[CoverageRow]

    @property
    def enrolled(self) -> int:
        return sum(row.enrolled for row in self.rows)

    @property
    def screened(self) -> int:
        return sum(row.screened for row in self.rows)

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.screened / self.enrolled, 1) if self.enrolled else None


def report_units(*, actor: Any) -> QuerySet[OrgUnit]:
    """The counties the actor may request compliance reports for (within their aggregate scope)."""
    units = policy.units(actor, policy.Action.REQUEST_COMPLIANCE_REPORT)
    return units.filter(kind=OrgKind.COUNTY).order_by("path")


def require_report_access(actor: Any) -> None:
    """Reports are for roles that see aggregates of at least a whole county: others get 403."""
    policy.require(actor, policy.Action.REQUEST_COMPLIANCE_REPORT)
    if not report_units(actor=actor).exists():
        raise PermissionDenied


def report_list(*, actor: Any) -> QuerySet[ReportRequest]:
    return (
        scope.scoped(actor, ReportRequest)
        .select_related("org_unit", "requested_by", "school_year")
        .defer("pdf")
        .order_by("-id")
    )


def report_get(*, actor: Any, pk: Any, with_pdf: bool = False) -> ReportRequest:
    """One report in the actor's scope, or 404 (the same 404 as a missing one)."""
    reports = scope.scoped(actor, ReportRequest).select_related("org_unit", "school_year")
    if not with_pdf:
        reports = reports.defer("pdf")
    return scope.get_scoped_or_404(actor, reports, pk=pk)


def screening_coverage(
    *, actor: Any, unit: OrgUnit, school_year: SchoolYear, by: str = "school"
) -> Coverage:
    """Indicator ``screening_coverage`` (DESIGN.md): students enrolled in grades 4–12 of the school
    year's classes with ≥ 1 result dated in that school year ÷ those students, grouped by school (or
    by county), in one GROUP BY query over the actor's aggregate scope. Units without students in
    those grades are listed with 0 of 0."""
    group_field = {"school": "school_id", "county": "county_id"}[by]
    screened = scope.scoped(actor, ScreeningResult, kind=RecordKind.AGGREGATE).filter(
        student_id=OuterRef("pk"),
        administered_on__gte=school_year.start,
        administered_on__lte=school_year.end,
    )
    counts = (
        scope.scoped(actor, Student, kind=RecordKind.AGGREGATE)
        .filter(
            status=EnrolmentStatus.ENROLLED,
            school__path__startswith=unit.path,
            klass__school_year=school_year,
            klass__grade__gte=SCREENED_GRADES[0],
            klass__grade__lte=SCREENED_GRADES[1],
        )
        .annotate(is_screened=Exists(screened))
        .order_by()
        .values(group_field)
        .annotate(enrolled=Count("id"), screened=Count("id", filter=Q(is_screened=True)))
    )
    by_unit = {row[group_field]: (row["enrolled"], row["screened"]) for row in counts}
    kind = OrgKind.SCHOOL if by == "school" else OrgKind.COUNTY
    units = scope.units(actor, RecordKind.AGGREGATE).filter(
        kind=kind, path__startswith=unit.path, is_active=True
    )
    rows = [
        CoverageRow(
            unit=u, enrolled=by_unit.get(u.pk, (0, 0))[0], screened=by_unit.get(u.pk, (0, 0))[1]
        )
        for u in units.order_by("path")
    ]
    return Coverage(unit=unit, school_year=school_year, rows=rows)
