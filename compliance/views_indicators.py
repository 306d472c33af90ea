"""Indicator dashboards (issue 12): an official's own unit with every indicator against its
target, the sub-units one level down (chart + table, each linking a level further down: province →
city → county → school) and the non-compliant sub-units with the reason in words. Read from the
snapshots ("as of"). Another unit than the actor's subtree is 404, as if it did not exist."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from compliance import indicators, selectors
from compliance.periods import default_period, parse_period, period_choices, trend_months
from mhcare.accounts import policy
from mhcare.core.charts import bar_chart_svg, sparkline_svg
from mhcare.core.replica import replica_reads
from mhcare.orgs.models import OrgUnit

CHART_MAX_UNITS = 60  # a county may have hundreds of schools: the chart shows the lowest ones


@policy.requires(policy.Action.VIEW_INDICATORS)
@require_GET
@replica_reads
def indicator_home(request: HttpRequest) -> HttpResponse:
    """The actor's own unit (the dashboard of their county, city or province); with several, the
    list of them."""
    units = selectors.indicator_top_units(actor=request.user)
    if len(units) == 1:
        return _unit_page(request, units[0])
    return render(request, "compliance/indicator_home.html", {"units": units})


@policy.requires(policy.Action.VIEW_INDICATORS)
@require_GET
@replica_reads
def indicator_unit(request: HttpRequest, code: str) -> HttpResponse:
    return _unit_page(request, selectors.indicator_unit_get(actor=request.user, code=code))


def _unit_page(request: HttpRequest, unit: OrgUnit) -> HttpResponse:
    try:
        period = (
            parse_period(request.GET["period"]) if request.GET.get("period") else default_period()
        )
    except ValueError as exc:
        raise Http404 from exc
    rows = selectors.unit_indicators(actor=request.user, unit=unit, period=period)
    table = selectors.sub_unit_indicators(actor=request.user, unit=unit, period=period)
    computed = [r for r in rows if r.indicator.has_source]
    chosen = request.GET.get("indicator") or "screening_coverage"
    if chosen not in {r.code for r in computed}:
        chosen = computed[0].code if computed else ""
    chart = ""
    chart_rows = []
    if chosen and table.units:
        indicator = indicators.get(chosen)
        chart_rows = table.column(chosen)
        shown = sorted(chart_rows, key=lambda r: (r.value is None, r.value or 0.0))[
            :CHART_MAX_UNITS
        ]
        chart = bar_chart_svg(
            [(r.unit.name, r.value) for r in shown],
            title=_("%(indicator)s by unit, %(period)s")
            % {"indicator": indicator.name, "period": period.label},
            target=indicator.target,
        )
    as_of = max((r.as_of for r in rows if r.as_of), default=None)
    months = trend_months(settings.COMPLIANCE_TREND_MONTHS)
    trend = selectors.unit_trend(actor=request.user, unit=unit, months=months)
    trend_rows = [
        (
            row,
            sparkline_svg(
                [(p.period, p.value) for p in trend[row.code]],
                title=_("%(indicator)s, month by month: %(first)s – %(last)s")
                % {"indicator": row.indicator.name, "first": months[0], "last": months[-1]},
                target=row.target,
            )
            if row.code in trend
            else "",
            trend.get(row.code, []),
        )
        for row in rows
    ]
    ancestors = list(
        selectors.indicator_units(actor=request.user)
        .filter(code__in=unit.ancestor_codes()[:-1])
        .order_by("depth")
    )
    return render(
        request,
        "compliance/indicator_unit.html",
        {
            "unit": unit,
            "ancestors": ancestors,
            "period": period,
            "periods": period_choices(),
            "rows": rows,
            "trend_rows": trend_rows,
            "trend_months": months,
            "table": table,
            "chosen": chosen,
            "chosen_indicator": indicators.get(chosen) if chosen else None,
            "computed": computed,
            "chart": chart,
            "chart_rows": chart_rows,
            "chart_truncated": len(chart_rows) > CHART_MAX_UNITS,
            "non_compliant": table.non_compliant(),
            "as_of": as_of,
        },
    )


@policy.requires(policy.Action.VIEW_INDICATORS)
@require_GET
def indicator_methods(request: HttpRequest) -> HttpResponse:
    """Definitions, notice clauses, targets and method notes of the twelve indicators."""
    return render(
        request,
        "compliance/indicator_methods.html",
        {"indicators": indicators.all_indicators()},
    )
