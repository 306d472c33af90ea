"""PDF rendering of compliance reports with WeasyPrint (Noto Sans CJK SC for the Chinese text)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from compliance import selectors
from compliance.indicators import screened_grades
from compliance.models import ReportRequest
from compliance.periods import parse_period
from mhcare.core.charts import bar_chart_svg


def report_context(report: ReportRequest) -> dict[str, object]:
    coverage = selectors.screening_coverage(
        actor=report.requested_by, unit=report.org_unit, school_year=report.school_year
    )
    chart = bar_chart_svg(
        [(row.unit.name, row.rate) for row in coverage.rows],
        target=100.0,
    )
    # Every indicator of the unit for the report's school year, from the snapshots ("as of").
    period = parse_period(f"{report.school_year.start.year}")
    indicator_rows = selectors.unit_indicators(
        actor=report.requested_by, unit=report.org_unit, period=period
    )
    return {
        "report": report,
        "indicator_rows": indicator_rows,
        "indicators_as_of": max((r.as_of for r in indicator_rows if r.as_of), default=None),
        "unit": report.org_unit,
        "coverage": coverage,
        "chart": chart,
        "as_of": timezone.localtime(),
        "grades": screened_grades(),
    }


def render_report_html(report: ReportRequest) -> str:
    # Official documents are in the platform's default language (简体中文), whoever asked.
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("compliance/report_pdf.html", report_context(report))


def render_report_pdf(report: ReportRequest) -> bytes:
    from weasyprint import HTML

    html = render_report_html(report)
    pdf: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return pdf
