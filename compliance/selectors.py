"""Reads of the compliance app: indicators computed live in SQL from the actor's aggregate scope,
and the report requests the actor may see."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from compliance import indicators
from compliance.indicators import Indicator, screened_grades
from compliance.models import IndicatorSnapshot, ReportRequest
from compliance.periods import Period
from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import EnrolmentStatus, OrgKind, OrgUnit, SchoolYear, Student
from screening.models import ConsentDecision, ScreeningConsent, ScreeningResult


@dataclass(frozen=True)
class CoverageRow:
    unit: OrgUnit
    enrolled: int
    screened: int
    # Students whose guardian refused screening (PIPL art. 31): not in ``enrolled``, shown apart.
    refused: int = 0

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
    """The counties, cities and province the actor may request compliance reports for: their own
    unit and the units under it (within their aggregate scope)."""
    units = policy.units(actor, policy.Action.REQUEST_COMPLIANCE_REPORT)
    return units.filter(
        kind__in=(OrgKind.COUNTY, OrgKind.CITY, OrgKind.PROVINCE), is_active=True
    ).order_by("path")


def require_report_access(actor: Any) -> None:
    """Reports are for roles that see aggregates of at least a whole county: others get 403."""
    policy.require(actor, policy.Action.REQUEST_COMPLIANCE_REPORT)
    if not report_units(actor=actor).exists():
        raise PermissionDenied


def report_list(*, actor: Any) -> QuerySet[ReportRequest]:
    return (
        scope.scoped(actor, ReportRequest)
        .select_related("org_unit", "requested_by", "school_year")
        .defer("html", "xlsx")
        .order_by("-id")
    )


def report_get(*, actor: Any, pk: Any, with_pdf: bool = False) -> ReportRequest:
    """One report in the actor's scope, or 404 (the same 404 as a missing one)."""
    reports = scope.scoped(actor, ReportRequest).select_related("org_unit", "school_year")
    if not with_pdf:
        reports = reports.defer("html", "xlsx")
    return scope.get_scoped_or_404(actor, reports, pk=pk)


def screening_coverage(
    *, actor: Any, unit: OrgUnit, school_year: SchoolYear, by: str = "school"
) -> Coverage:
    """Indicator ``screening_coverage`` (DESIGN.md): students enrolled in the screened grades
    (setting, default 5–12) of the school year's classes with ≥ 1 result dated in that school
    year ÷ those students, grouped by school (or by county), in one GROUP BY query over the
    actor's aggregate scope. Units without students in those grades are listed with 0 of 0."""
    group_field = {"school": "school_id", "county": "county_id"}[by]
    first, last = screened_grades()
    screened = scope.scoped(actor, ScreeningResult, kind=RecordKind.AGGREGATE).filter(
        student_id=OuterRef("pk"),
        administered_on__gte=school_year.start,
        administered_on__lte=school_year.end,
    )
    refusals = ScreeningConsent.objects.filter(  # scope-lint: allow subquery of scoped students
        student_id=OuterRef("pk"), decision=ConsentDecision.REFUSED
    )
    counts = (
        scope.scoped(actor, Student, kind=RecordKind.AGGREGATE)
        .filter(
            status=EnrolmentStatus.ENROLLED,
            school__path__startswith=unit.path,
            klass__school_year=school_year,
            klass__grade__gte=first,
            klass__grade__lte=last,
        )
        .annotate(is_screened=Exists(screened), is_refused=Exists(refusals))
        .order_by()
        .values(group_field)
        .annotate(
            enrolled=Count("id", filter=Q(is_refused=False)),
            screened=Count("id", filter=Q(is_screened=True, is_refused=False)),
            refused=Count("id", filter=Q(is_refused=True)),
        )
    )
    by_unit = {
        row[group_field]: (row["enrolled"], row["screened"], row["refused"]) for row in counts
    }
    kind = OrgKind.SCHOOL if by == "school" else OrgKind.COUNTY
    units = scope.units(actor, RecordKind.AGGREGATE).filter(
        kind=kind, path__startswith=unit.path, is_active=True
    )
    rows = [
        CoverageRow(
            unit=u,
            **dict(
                zip(("enrolled", "screened", "refused"), by_unit.get(u.pk, (0, 0, 0)), strict=True)
            ),
        )
        for u in units.order_by("path")
    ]
    return Coverage(unit=unit, school_year=school_year, rows=rows)


# --- indicator snapshots (issue 12) --------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator of one unit for one period, as the pages and the API show it."""

    indicator: Indicator
    unit: OrgUnit
    numerator: int | None
    denominator: int | None
    as_of: datetime.datetime | None

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def value(self) -> float | None:
        return indicators.rate(self.numerator, self.denominator)

    @property
    def target(self) -> float | None:
        return self.indicator.target

    @property
    def status(self) -> str:
        return indicators.status(self.indicator, self.numerator, self.denominator)

    @property
    def status_label(self) -> str:
        return str(indicators.STATUS_LABELS[self.status])

    @property
    def colour(self) -> str:
        return indicators.STATUS_COLOURS[self.status]

    @property
    def reason(self) -> str:
        if self.status not in (indicators.BELOW, indicators.NEAR):
            return ""
        return indicators.reason(self.indicator, self.numerator or 0, self.denominator or 0)


def indicator_units(*, actor: Any) -> QuerySet[OrgUnit]:
    """The units whose indicators the actor may see: their county / city / province and below."""
    return policy.units(actor, policy.Action.VIEW_INDICATORS).filter(
        is_active=True, kind__in=indicators.UNIT_KINDS
    )


def indicator_top_units(*, actor: Any) -> list[OrgUnit]:
    """The actor's own units (the roots of what they see), highest first."""
    paths = policy.paths(actor, policy.Action.VIEW_INDICATORS)
    units = list(
        OrgUnit.objects.filter(path__in=paths, kind__in=indicators.UNIT_KINDS).order_by(
            "depth", "path"
        )
    )
    return [
        u for u in units if not any(u.path != o.path and u.path.startswith(o.path) for o in units)
    ]


def indicator_unit_get(*, actor: Any, code: str) -> OrgUnit:
    """The unit of ``code`` if the actor may see its indicators; 404 otherwise (as if missing)."""
    unit = indicator_units(actor=actor).filter(code=code).first()
    if unit is None:
        raise Http404
    return unit


def _rows_for(units: list[OrgUnit], period: Period) -> dict[int, list[IndicatorRow]]:
    snaps: dict[tuple[int, str], IndicatorSnapshot] = {
        (s.unit_id, s.indicator): s
        for s in IndicatorSnapshot.objects.filter(  # scope-lint: allow aggregates of units read
            unit__in=[u.pk for u in units],
            period=period.code,  # through the actor's scope above
        )
    }
    out: dict[int, list[IndicatorRow]] = {}
    for unit in units:
        rows = []
        for indicator in indicators.all_indicators():
            snap = snaps.get((unit.pk, indicator.code)) if indicator.has_source else None
            rows.append(
                IndicatorRow(
                    indicator=indicator,
                    unit=unit,
                    numerator=snap.numerator if snap else None,
                    denominator=snap.denominator if snap else None,
                    as_of=snap.computed_at if snap else None,
                )
            )
        out[unit.pk] = rows
    return out


def unit_indicators(*, actor: Any, unit: OrgUnit, period: Period) -> list[IndicatorRow]:
    """Every indicator of ``unit`` (which the caller got through ``indicator_unit_get``) for
    ``period``, read from the snapshots. An indicator with no source, or not computed yet for this
    period, has no value (status no_data)."""
    return _rows_for([unit], period)[unit.pk]


@dataclass(frozen=True)
class TrendPoint:
    period: str
    numerator: int | None
    denominator: int | None

    @property
    def value(self) -> float | None:
        return indicators.rate(self.numerator, self.denominator)


def unit_trend(*, actor: Any, unit: OrgUnit, months: list[str]) -> dict[str, list[TrendPoint]]:
    """Each indicator with a source of ``unit`` (got through ``indicator_unit_get``) over
    ``months`` (oldest first) from the snapshots, in one query; a month not computed has no
    value."""
    snaps = {
        (s.period, s.indicator): s
        for s in IndicatorSnapshot.objects.filter(  # scope-lint: allow aggregates of a unit read
            unit=unit.pk,
            period__in=months,  # through the actor's scope above
        ).only("period", "indicator", "numerator", "denominator")
    }
    out: dict[str, list[TrendPoint]] = {}
    for indicator in indicators.all_indicators():
        if not indicator.has_source:
            continue
        points = []
        for month in months:
            snap = snaps.get((month, indicator.code))
            points.append(
                TrendPoint(
                    period=month,
                    numerator=snap.numerator if snap else None,
                    denominator=snap.denominator if snap else None,
                )
            )
        out[indicator.code] = points
    return out


@dataclass(frozen=True)
class SubUnitTable:
    units: list[OrgUnit]
    rows: dict[int, list[IndicatorRow]]

    def column(self, code: str) -> list[IndicatorRow]:
        return [next(r for r in self.rows[u.pk] if r.code == code) for u in self.units]

    def non_compliant(self) -> list[tuple[OrgUnit, list[IndicatorRow]]]:
        found = []
        for unit in self.units:
            bad = [r for r in self.rows[unit.pk] if r.status in (indicators.BELOW, indicators.NEAR)]
            if bad:
                found.append((unit, bad))
        return found


def sub_unit_indicators(*, actor: Any, unit: OrgUnit, period: Period) -> SubUnitTable:
    """The units one level below ``unit`` with their indicators (two queries)."""
    children = list(
        indicator_units(actor=actor)
        .filter(parent=unit)
        .order_by("path")
        .only("id", "code", "name", "name_en", "kind", "path", "parent_id", "depth")
    )
    return SubUnitTable(units=children, rows=_rows_for(children, period))


def report_top_units(*, actor: Any) -> list[OrgUnit]:
    """Where the actor's unit picker starts: their own county / city / province (highest first)."""
    units = list(
        report_units(actor=actor).filter(
            path__in=policy.paths(actor, policy.Action.REQUEST_COMPLIANCE_REPORT)
        )
    )
    units.sort(key=lambda u: (u.depth, u.path))
    return [
        u for u in units if not any(u.path != o.path and u.path.startswith(o.path) for o in units)
    ]


def report_unit_path(*, actor: Any, unit: OrgUnit) -> list[OrgUnit]:
    """The picker's breadcrumb: the units from the actor's own unit down to ``unit``."""
    return list(report_units(actor=actor).filter(code__in=unit.ancestor_codes()).order_by("depth"))
