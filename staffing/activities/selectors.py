"""Reads of MH education activities and family-education guidance, from the actor's scope
(``Action.VIEW_ACTIVITIES``: the school's psychology teacher and leader, the county center and
officials of the subtree), and their counts per school and period (one grouped query)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from mhcare.accounts import policy
from mhcare.orgs.models import OrgKind, OrgUnit
from staffing.models import ActivityCategory, EducationActivity


@dataclass(frozen=True)
class ActivityFilters:
    school: int | None = None
    category: str = ""
    start: datetime.date | None = None
    end: datetime.date | None = None


@dataclass(frozen=True)
class ActivityPage:
    rows: list[EducationActivity]
    next_after: int | None


def require_viewer(actor: Any) -> None:
    policy.require(actor, policy.Action.VIEW_ACTIVITIES)


def activity_schools(*, actor: Any) -> QuerySet[OrgUnit]:
    return (
        policy.units(actor, policy.Action.VIEW_ACTIVITIES)
        .filter(kind=OrgKind.SCHOOL, is_active=True)
        .order_by("path")
    )


def _visible(actor: Any) -> QuerySet[EducationActivity]:
    return policy.narrow(
        actor,
        policy.Action.VIEW_ACTIVITIES,
        EducationActivity.objects.all(),  # scope-lint: allow narrowed by the policy right here
        class_field=None,
    )


def activity_queryset(
    *, actor: Any, filters: ActivityFilters | None = None
) -> QuerySet[EducationActivity]:
    require_viewer(actor)
    filters = filters or ActivityFilters()
    queryset = _visible(actor).select_related("school")
    if filters.school is not None:
        queryset = queryset.filter(school_id=filters.school)
    if filters.category in ActivityCategory.values:
        queryset = queryset.filter(category=filters.category)
    if filters.start is not None:
        queryset = queryset.filter(held_on__gte=filters.start)
    if filters.end is not None:
        queryset = queryset.filter(held_on__lte=filters.end)
    return queryset.order_by("-id")


def activity_list(
    *,
    actor: Any,
    filters: ActivityFilters | None = None,
    after: int | None = None,
    page_size: int = 50,
) -> ActivityPage:
    """A keyset page, newest entry first (by id)."""
    queryset = activity_queryset(actor=actor, filters=filters)
    if after is not None:
        queryset = queryset.filter(id__lt=after)
    rows = list(queryset[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return ActivityPage(rows=rows, next_after=rows[-1].pk if has_more and rows else None)


def activity_unit_get(*, actor: Any, code: str) -> OrgUnit:
    require_viewer(actor)
    unit = OrgUnit.objects.filter(code=code).first()
    paths = policy.paths(actor, policy.Action.VIEW_ACTIVITIES)
    if unit is None or not any(unit.path.startswith(p) or p.startswith(unit.path) for p in paths):
        raise Http404
    return unit


@dataclass(frozen=True)
class ActivityCounts:
    school: OrgUnit
    education: int = 0
    education_reach: int = 0
    family: int = 0
    family_reach: int = 0


def activity_counts(
    *,
    unit: OrgUnit,
    start: datetime.date,
    end: datetime.date,
    actor: Any | None = None,
) -> list[ActivityCounts]:
    """Per school under ``unit`` (the actor's, when given): MH education activities and
    family-education sessions held in [start, end], and how many they reached. One grouped
    query plus the schools; the indicator ``family-education activities`` reads this."""
    schools: QuerySet[OrgUnit]
    if actor is None:
        activities = EducationActivity.objects.all()  # scope-lint: allow an indicator for a unit
        schools = OrgUnit.objects.filter(kind=OrgKind.SCHOOL, is_active=True)
    else:
        activities = _visible(actor)
        schools = activity_schools(actor=actor)
    schools = schools.filter(path__startswith=unit.path).order_by("path")
    counts = {
        row["school_id"]: row
        for row in activities.filter(
            school__path__startswith=unit.path, held_on__gte=start, held_on__lte=end
        )
        .values("school_id")
        .annotate(
            education=Count("id", filter=Q(category=ActivityCategory.EDUCATION)),
            education_reach=Sum("participants", filter=Q(category=ActivityCategory.EDUCATION)),
            family=Count("id", filter=Q(category=ActivityCategory.FAMILY)),
            family_reach=Sum("participants", filter=Q(category=ActivityCategory.FAMILY)),
        )
        .order_by()
    }
    result = []
    for school in schools:
        row: Mapping[str, Any] = counts.get(school.pk, {})
        result.append(
            ActivityCounts(
                school=school,
                education=row.get("education") or 0,
                education_reach=row.get("education_reach") or 0,
                family=row.get("family") or 0,
                family_reach=row.get("family_reach") or 0,
            )
        )
    return result


def family_education_counts(
    *, unit: OrgUnit, start: datetime.date, end: datetime.date, actor: Any | None = None
) -> dict[str, int]:
    """For the compliance indicator: schools under the unit, those that held at least one
    family-education session in the period, the sessions and their reach."""
    rows = activity_counts(unit=unit, start=start, end=end, actor=actor)
    return {
        "schools": len(rows),
        "schools_with_family_education": sum(1 for r in rows if r.family),
        "family_sessions": sum(r.family for r in rows),
        "family_reach": sum(r.family_reach for r in rows),
    }
