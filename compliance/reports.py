"""The compliance report of one unit (county, city or province) for one period, built from the
indicator snapshots (issue 12): the unit's twelve indicators against their targets, per indicator
the sub-units one level down (chart + table), the non-compliant schools of the whole subtree with
the reason in words, the open rectifications, and the method notes. No student data is read.

The report is frozen at generation: its HTML (gzip) and Excel workbook are stored on the
``ReportRequest``. The PDF is rendered at each download from the frozen HTML with the
downloader's name as a watermark on every page (``pdf.render_pdf``), so whoever passes the file
on is named on it and every copy has the same content.

Scale: the sub-units are one level down only; the non-compliant schools come from one query over
the schools' snapshots (values, no model instances), and the PDF lists at most
``COMPLIANCE_REPORT_MAX_SCHOOLS`` of them (the lowest first; the Excel lists them all)."""

from __future__ import annotations

import datetime
import gzip
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from compliance import indicators, selectors
from compliance.indicators import Indicator
from compliance.models import (
    OPEN_RECTIFICATION_STATUSES,
    IndicatorSnapshot,
    Rectification,
    ReportRequest,
)
from compliance.periods import Period, parse_period
from mhcare.core.charts import bar_chart_svg
from mhcare.core.spreadsheets import HEADER_FONT, workbook_bytes, write_row
from mhcare.orgs.models import OrgKind, OrgUnit

CHART_MAX_UNITS = 60
WATERMARK_MARK = "__MHCARE_WATERMARK__"
BAD = (indicators.BELOW, indicators.NEAR)


@dataclass(frozen=True)
class Section:
    indicator: Indicator
    row: selectors.IndicatorRow
    sub_rows: list[selectors.IndicatorRow]
    chart: str


@dataclass(frozen=True)
class SchoolIssue:
    school_id: int
    name: str
    county: str
    reasons: list[str]
    worst: float
    county_id: int | None = None
    # (indicator name, value in %) of each indicator below or near its target: the PDF's short
    # form of ``reasons`` (the Excel keeps the sentences).
    shortfalls: tuple[tuple[str, float], ...] = ()
    codes: tuple[str, ...] = ()

    @property
    def shortfall_text(self) -> str:
        return "；".join(f"{name} {value}%" for name, value in self.shortfalls)


@dataclass(frozen=True)
class CountyIssues:
    """Non-compliant schools of one county (the PDF's per-county table for a city or province)."""

    name: str
    city: str
    schools: int
    non_compliant: int
    # The indicator most schools of the county fall short of, and how many.
    commonest: str
    commonest_count: int

    @property
    def share(self) -> float | None:
        return indicators.rate(self.non_compliant, self.schools)


@dataclass
class ReportData:
    unit: OrgUnit
    period: Period
    rows: list[selectors.IndicatorRow]
    sub_units: list[OrgUnit]
    sections: list[Section]
    schools: list[SchoolIssue]
    counties: list[CountyIssues]
    rectifications: list[Rectification]
    as_of: datetime.datetime | None
    generated_at: datetime.datetime
    generated_by: str
    progress: list[int] = field(default_factory=list)

    @property
    def schools_shown(self) -> list[SchoolIssue]:
        return self.schools[: int(settings.COMPLIANCE_REPORT_MAX_SCHOOLS)]

    @property
    def schools_more(self) -> int:
        return max(0, len(self.schools) - int(settings.COMPLIANCE_REPORT_MAX_SCHOOLS))


def sub_units(unit: OrgUnit) -> list[OrgUnit]:
    return list(
        OrgUnit.objects.filter(parent=unit, is_active=True, kind__in=indicators.UNIT_KINDS)
        .order_by("path")
        .only("id", "code", "name", "name_en", "kind", "path", "parent_id", "depth")
    )


def non_compliant_schools(unit: OrgUnit, period: Period) -> list[SchoolIssue]:
    """Every school under ``unit`` with an indicator below (or near) its target, worst first:
    one query over the schools' snapshots and one for the names of the schools found."""
    by_school: dict[int, list[tuple[float, str, str, str]]] = {}
    snaps = IndicatorSnapshot.objects.filter(
        period=period.code,
        unit__kind=OrgKind.SCHOOL,
        unit__path__startswith=unit.path,
        unit__is_active=True,
    ).values_list("unit_id", "indicator", "numerator", "denominator")
    for school_id, code, num, den in snaps.iterator(chunk_size=10000):
        indicator = indicators.INDICATORS.get(code)
        if indicator is None or not indicator.has_source:
            continue
        if indicators.status(indicator, num, den) in BAD:
            by_school.setdefault(school_id, []).append(
                (
                    indicators.rate(num, den) or 0.0,
                    indicators.reason(indicator, num, den),
                    str(indicator.name),
                    code,
                )
            )
    names = {
        pk: (name, parent, parent_id)
        for pk, name, parent, parent_id in OrgUnit.objects.filter(
            pk__in=list(by_school)
        ).values_list("id", "name", "parent__name", "parent_id")
    }
    for found in by_school.values():
        found.sort()  # the lowest value first
    issues = [
        SchoolIssue(
            school_id=pk,
            name=names[pk][0],
            county=names[pk][1] or "",
            reasons=[r for _v, r, _n, _c in found],
            worst=min(v for v, _r, _n, _c in found),
            county_id=names[pk][2],
            shortfalls=tuple((n, v) for v, _r, n, _c in found),
            codes=tuple(c for _v, _r, _n, c in found),
        )
        for pk, found in by_school.items()
        if pk in names
    ]
    issues.sort(key=lambda i: (i.worst, i.county, i.name))
    return issues


def county_issues(unit: OrgUnit, schools: list[SchoolIssue]) -> list[CountyIssues]:
    """For a city or the province: each county under ``unit`` with its schools, how many of them
    are non-compliant and the indicator most of them fall short of (two small queries); empty for
    a county (its schools are listed one by one)."""
    if unit.kind not in (OrgKind.CITY, OrgKind.PROVINCE):
        return []
    totals = dict(
        OrgUnit.objects.filter(kind=OrgKind.SCHOOL, path__startswith=unit.path, is_active=True)
        .order_by()
        .values_list("parent_id")
        .annotate(n=Count("id"))
    )
    counties = OrgUnit.objects.filter(
        kind=OrgKind.COUNTY, path__startswith=unit.path, is_active=True
    ).order_by("path")
    bad: dict[int, list[SchoolIssue]] = {}
    for issue in schools:
        if issue.county_id is not None:
            bad.setdefault(issue.county_id, []).append(issue)
    rows = []
    for county_id, name, city in counties.values_list("id", "name", "parent__name"):
        found = bad.get(county_id, [])
        tally = Counter(n for issue in found for n, _v in issue.shortfalls)
        commonest, count = tally.most_common(1)[0] if tally else ("", 0)
        rows.append(
            CountyIssues(
                name=name,
                city=city or "",
                schools=totals.get(county_id, 0),
                non_compliant=len(found),
                commonest=commonest,
                commonest_count=count,
            )
        )
    rows.sort(key=lambda r: (-(r.share or 0.0), r.city, r.name))
    return rows


def open_rectifications(unit: OrgUnit) -> list[Rectification]:
    return list(
        Rectification.objects.filter(
            school__path__startswith=unit.path, status__in=OPEN_RECTIFICATION_STATUSES
        )
        .select_related("school", "school__parent")
        .order_by("deadline", "id")[:500]
    )


def build(
    *, unit: OrgUnit, period: Period, generated_by: str, on_progress: Any = None
) -> ReportData:
    rows = selectors._rows_for([unit], period)[unit.pk]
    children = sub_units(unit)
    child_rows = selectors._rows_for(children, period)
    if on_progress:
        on_progress(20)
    sections = []
    for index, row in enumerate(rows):
        sub_rows = [child_rows[c.pk][index] for c in children]
        chart = ""
        if row.indicator.has_source and sub_rows:
            shown = sorted(sub_rows, key=lambda r: (r.value is None, r.value or 0.0))
            chart = bar_chart_svg(
                [(r.unit.name, r.value) for r in shown[:CHART_MAX_UNITS]],
                title=_("%(indicator)s by unit, %(period)s")
                % {"indicator": row.indicator.name, "period": period.label},
                target=row.indicator.target,
            )
        sections.append(Section(indicator=row.indicator, row=row, sub_rows=sub_rows, chart=chart))
    schools = non_compliant_schools(unit, period)
    counties = county_issues(unit, schools)
    if on_progress:
        on_progress(40)
    return ReportData(
        unit=unit,
        period=period,
        rows=rows,
        sub_units=children,
        sections=sections,
        schools=schools,
        counties=counties,
        rectifications=open_rectifications(unit),
        as_of=max((r.as_of for r in rows if r.as_of), default=None),
        generated_at=timezone.localtime(),
        generated_by=generated_by,
    )


def generated_by(report: ReportRequest) -> str:
    if report.requested_by is None:
        return str(_("Monthly schedule"))
    user = report.requested_by
    return user.get_full_name() or user.get_username()


def report_period(report: ReportRequest) -> Period:
    return parse_period(report.period or f"{report.school_year.start.year}")


def render_html(report: ReportRequest, data: ReportData) -> str:
    """The report's HTML in the platform's default language (简体中文), with the watermark's
    place marked (filled in at download)."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "compliance/report_pdf.html",
            {
                "report": report,
                "data": data,
                "unit": data.unit,
                "today": timezone.localdate(),
                "watermark": WATERMARK_MARK,
                "min_cell": settings.COMPLIANCE_MIN_CELL,
                "grades": indicators.screened_grades(),
            },
        )


def _pct(value: float | None) -> Any:
    return "" if value is None else value


def render_xlsx(data: ReportData) -> bytes:
    """The same tables as the PDF, one sheet each, every cell through ``write_row``."""
    with translation.override(settings.LANGUAGE_CODE):
        wb = Workbook(write_only=True)
        summary = wb.create_sheet(_("Summary")[:31])
        write_row(summary, [data.unit.name, data.period.label, str(data.generated_at)[:16]])
        write_row(
            summary,
            [
                _("Indicator"),
                _("Notice"),
                _("Numerator"),
                _("Denominator"),
                _("Value"),
                _("Target"),
                _("Status"),
            ],
            font=HEADER_FONT,
        )
        for row in data.rows:
            write_row(
                summary,
                [
                    row.indicator.name,
                    row.indicator.notice,
                    row.numerator,
                    row.denominator,
                    _pct(row.value),
                    _pct(row.target),
                    row.status_label,
                ],
            )
        units = wb.create_sheet(_("Sub-units")[:31])
        write_row(
            units,
            [_("Unit"), _("Indicator"), _("Numerator"), _("Denominator"), _("Value"), _("Status")],
            font=HEADER_FONT,
        )
        for section in data.sections:
            for r in section.sub_rows:
                write_row(
                    units,
                    [
                        r.unit.name,
                        section.indicator.name,
                        r.numerator,
                        r.denominator,
                        _pct(r.value),
                        r.status_label,
                    ],
                )
        schools = wb.create_sheet(_("Non-compliant schools")[:31])
        write_row(schools, [_("School"), _("County"), _("Reason")], font=HEADER_FONT)
        for issue in data.schools:
            write_row(schools, [issue.name, issue.county, "；".join(issue.reasons)])
        rect = wb.create_sheet(_("Open rectifications")[:31])
        write_row(rect, [_("School"), _("Finding"), _("Deadline"), _("Status")], font=HEADER_FONT)
        for item in data.rectifications:
            write_row(
                rect,
                [item.school.name, item.finding, item.deadline, item.get_status_display()],
            )
        return workbook_bytes(wb)


def freeze(report: ReportRequest, data: ReportData) -> tuple[bytes, bytes]:
    """(gzip HTML, xlsx) of a report."""
    html = render_html(report, data)
    return gzip.compress(html.encode(), compresslevel=5), render_xlsx(data)
