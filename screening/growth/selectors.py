"""Reads of the growth file, starting from the actor's scope.

The growth file is visible to the school's psychology teacher and leader and to county center
staff (the roles that see case-level records); score trends only to those who see scores (the
psychology teacher, the county center) — the school leader sees bands, class roles nothing."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.core.charts import line_chart_svg
from mhcare.orgs.models import Student
from screening import selectors as screening_selectors
from screening.models import ScreeningResult
from screening.scoring import band_label


@dataclass(frozen=True)
class TrendChart:
    code: str
    name: str
    svg: SafeString
    latest_band: str


@dataclass(frozen=True)
class BandRow:
    administered_on: Any
    instrument: str
    band: str


@dataclass
class Trends:
    charts: list[TrendChart] = field(default_factory=list)
    bands: list[BandRow] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.charts or self.bands)


def may_see_growth_file(actor: Any) -> bool:
    return policy.anywhere(actor, policy.Action.VIEW_CASES)


def growth_student_get(*, actor: Any, pk: Any) -> Student:
    """A student whose growth file the actor may see: 403 for other roles (before any lookup),
    404 out of scope or missing."""
    if not may_see_growth_file(actor):
        raise PermissionDenied
    queryset = scope.scoped(actor, Student, kind=RecordKind.CASE).select_related(
        "school", "county", "klass"
    )
    try:
        return queryset.get(pk=pk)
    except (Student.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _scale(
    definition: dict[str, Any], totals: list[float]
) -> tuple[float, list[tuple[float, str]]]:
    bands = [b for b in definition.get("bands", []) if "min" in b and "max" in b]
    scoring = definition.get("scoring") or {}
    maximum = scoring.get("max")
    if maximum is None and bands:
        maximum = max(b["max"] for b in bands)
    if maximum is None:
        maximum = max(totals, default=1)
    maximum = max(float(maximum), max(totals, default=0.0), 1.0)
    thresholds = [
        (float(b["min"]), band_label(definition, b["code"])) for b in bands if b["min"] > 0
    ]
    return maximum, thresholds


def _trend_chart(code: str, results: list[ScreeningResult]) -> TrendChart:
    results = sorted(results, key=lambda r: (r.administered_on, r.pk))
    latest = results[-1]
    definition = latest.instrument.definition
    totals = [float(r.total) for r in results]
    maximum, thresholds = _scale(definition, totals)
    name = latest.instrument.display_name()
    svg = line_chart_svg(
        [(r.administered_on.strftime("%Y-%m-%d"), float(r.total)) for r in results],
        title=_("%(instrument)s total") % {"instrument": code},
        min_value=0.0,
        max_value=maximum,
        thresholds=thresholds,
    )
    return TrendChart(code=code, name=name, svg=svg, latest_band=latest.band_label)


def trends(*, actor: Any, student: Student) -> Trends:
    """Score-trend charts per instrument for users who see scores; a band list for users who see
    summaries only; nothing for others."""
    found = Trends()
    if scope.can(actor, RecordKind.SCORE):
        grouped: OrderedDict[str, list[ScreeningResult]] = OrderedDict()
        for result in screening_selectors.result_list(
            actor=actor, student=student, kind=RecordKind.SCORE
        ):
            grouped.setdefault(result.instrument.code, []).append(result)
        found.charts = [_trend_chart(code, rows) for code, rows in sorted(grouped.items())]
    if not found.charts and scope.can(actor, RecordKind.SCORE_SUMMARY):
        found.bands = [
            BandRow(
                administered_on=r.administered_on, instrument=r.instrument.code, band=r.band_label
            )
            for r in screening_selectors.result_list(
                actor=actor, student=student, kind=RecordKind.SCORE_SUMMARY
            )
        ]
    return found
