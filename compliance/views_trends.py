"""Trend analysis page for the bureaus (notice §15): de-identified tables of the actor's unit (or
a unit under it), small cells hidden (compliance/trends.py)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from compliance import selectors, trends
from mhcare.accounts import policy
from mhcare.core.replica import replica_reads
from mhcare.orgs.models import OrgKind


@policy.requires(policy.Action.VIEW_INDICATORS)
@require_GET
@replica_reads
def trends_view(request: HttpRequest) -> HttpResponse:
    tops = selectors.indicator_top_units(actor=request.user)
    code = request.GET.get("unit") or (tops[0].code if tops else "")
    unit = selectors.indicator_unit_get(actor=request.user, code=code)
    if unit.kind == OrgKind.SCHOOL:
        raise Http404  # per county at the finest
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year") or this_year)
    except ValueError as exc:
        raise Http404 from exc
    if not 2000 <= year <= this_year:
        raise Http404
    data = trends.trends(unit=unit, year=year)
    children = selectors.indicator_units(actor=request.user).filter(
        parent=unit, kind__in=(OrgKind.CITY, OrgKind.COUNTY)
    )
    return render(
        request,
        "compliance/trends.html",
        {
            "data": data,
            "unit": unit,
            "children": children,
            "years": list(range(this_year, this_year - 5, -1)),
            "min_cell": trends.min_cell(),
        },
    )
