"""The official's home panel "Indicators", registered from ``ComplianceConfig.ready()``.

Screening coverage is computed live (one GROUP BY per unit): fine for a county and at demo scale
for a city or the province. Pre-aggregated snapshots refreshed by Celery come with the compliance
issue."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from compliance import selectors
from mhcare.accounts import scope
from mhcare.accounts.models import Role
from mhcare.accounts.scope import RecordKind
from mhcare.core.registry import TodoPanel
from mhcare.orgs.models import OrgKind, SchoolYear


def _meta(rate: float | None, screened: int, enrolled: int) -> str:
    shown = "–" if rate is None else f"{rate}%"
    return f"{shown} ({screened}/{enrolled})"


def indicator_panels(actor: Any) -> Iterable[TodoPanel]:
    if not scope.has_role(actor, Role.OFFICIAL):
        return []
    school_year = SchoolYear.current()
    url = reverse("compliance:report_list")
    if school_year is None:
        return [
            TodoPanel(
                key="indicators",
                title=_("Indicators"),
                url=url,
                empty_text=_("There is no current school year yet."),
                order=5,
            )
        ]
    panels = []
    for unit in scope.top_units(actor, RecordKind.AGGREGATE):
        by = "school" if unit.kind == OrgKind.COUNTY else "county"
        coverage = selectors.screening_coverage(
            actor=actor, unit=unit, school_year=school_year, by=by
        )
        rows: list[dict[str, Any]] = [
            {
                "label": row.unit.name,
                "rate": row.rate,
                "meta": _meta(row.rate, row.screened, row.enrolled),
            }
            for row in coverage.rows
            if row.enrolled
        ]
        panels.append(
            TodoPanel(
                key=f"indicators-{unit.code}",
                title=_("Indicators · %(unit)s") % {"unit": unit.name},
                rows=[
                    {
                        "label": _("Screening coverage, grades 4–12, %(year)s")
                        % {"year": school_year.name},
                        "meta": _meta(coverage.rate, coverage.screened, coverage.enrolled),
                        "is_total": True,
                    },
                    *rows,
                ],
                url=url,
                empty_text=_("No students in grades 4–12 yet."),
                template="compliance/_indicator_panel.html",
                order=5,
            )
        )
    return panels
