"""The lessons part of the staffing pages (registered from ``StaffingConfig.ready()`` through
``staffing.selectors.register_provision_section`` / ``register_county_section``): a school's
classes meeting the 2-hour rule month by month on its provision page, and on the county page how
many schools have every class meeting it this semester, with the link to the lesson overview."""

from __future__ import annotations

import datetime
from typing import Any

from mhcare.accounts import policy
from mhcare.orgs.models import OrgKind, OrgUnit
from staffing.lessons import calendar, selectors


def provision_section(actor: Any, school: OrgUnit, on: datetime.date) -> dict[str, Any]:
    if not policy.allowed(actor, policy.Action.VIEW_LESSONS, school):
        return {"summary": None}
    months = calendar.default_months(on)
    return {"summary": selectors.school_lesson_summary(school, months, actor=actor)}


def county_section(actor: Any, unit: OrgUnit, on: datetime.date) -> dict[str, Any]:
    if not policy.anywhere(actor, policy.Action.VIEW_LESSONS):
        return {"lesson_rows": None}
    if unit.kind not in (OrgKind.COUNTY, OrgKind.SCHOOL):
        # a city or the province: live per-class sums take seconds; the compliance indicator
        # (snapshots) carries the number, the lesson overview the detail
        return {"lesson_rows": [], "lesson_link_only": True}
    months = calendar.default_months(on)
    rows = selectors.school_compliance(actor=actor, unit=unit, months=months)
    counted = [r for r in rows if r.classes]
    return {
        "lesson_rows": rows,
        "lesson_schools": len(counted),
        "lesson_schools_met": sum(1 for r in counted if r.met == r.classes),
        "lesson_months": months,
    }
