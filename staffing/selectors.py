"""Reads of staffing, always from the actor's scope (``VIEW_STAFFING`` assignments' subtrees).

A unit outside the actor's scope answers 404 like a missing one. The rule itself lives in
``staffing.teachers.rule``; the numbers the compliance app reads in ``staffing.indicators``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from mhcare.accounts import policy
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolYear
from staffing import indicators
from staffing.models import (
    Budget,
    GroupMember,
    LeadingGroup,
    MHTeacher,
    Researcher,
    Responsibility,
    TrainingEvent,
    TrainingParticipant,
)
from staffing.teachers import rule

# Extra sections of the provision and county pages that other parts of the app fill (the MH
# lesson log and activities): (order, template name, context provider(actor, unit, on) -> dict).
# The coordinator wires the lesson area in here at merge.
PROVISION_SECTIONS: list[tuple[int, str, Any]] = []
COUNTY_SECTIONS: list[tuple[int, str, Any]] = []


def register_provision_section(order: int, template: str, provider: Any) -> None:
    entry = (order, template, provider)
    if entry not in PROVISION_SECTIONS:
        PROVISION_SECTIONS.append(entry)
        PROVISION_SECTIONS.sort(key=lambda e: e[0])


def register_county_section(order: int, template: str, provider: Any) -> None:
    entry = (order, template, provider)
    if entry not in COUNTY_SECTIONS:
        COUNTY_SECTIONS.append(entry)
        COUNTY_SECTIONS.sort(key=lambda e: e[0])


def sections(registered: list[tuple[int, str, Any]], actor: Any, unit: OrgUnit, on: Any) -> list:
    return [{"template": t, **provider(actor, unit, on)} for _, t, provider in registered]


def viewer_units(actor: Any) -> QuerySet[OrgUnit]:
    return policy.units(actor, policy.Action.VIEW_STAFFING)


def top_unit(actor: Any) -> OrgUnit | None:
    """The highest unit the actor reads staffing for (the default of the county page)."""
    paths = sorted(policy.paths(actor, policy.Action.VIEW_STAFFING), key=len)
    if not paths:
        return None
    return OrgUnit.objects.filter(path=paths[0]).first()


def unit_get(*, actor: Any, code: str) -> OrgUnit:
    """The unit with ``code`` if the actor reads staffing there, else 404 (same as unknown)."""
    unit = viewer_units(actor).filter(code=code).first()
    if unit is None:
        raise Http404
    return unit


def school_get(*, actor: Any, code: str) -> OrgUnit:
    unit = unit_get(actor=actor, code=code)
    if unit.kind != OrgKind.SCHOOL:
        raise Http404
    return unit


def school_staffing_list(
    *, actor: Any, unit: OrgUnit, on: datetime.date, status: str = ""
) -> list[rule.SchoolStaffing]:
    """Every school under ``unit`` with its staffing verdict on ``on`` (optionally one status).
    ``unit`` comes from ``unit_get``; checked again so no caller can skip the scope."""
    if not viewer_units(actor).filter(pk=unit.pk).exists():
        raise Http404
    rows = rule.school_staffing(unit=unit, on=on)
    if status:
        rows = [r for r in rows if r.status == status]
    return rows


def research_unit_list(*, actor: Any, unit: OrgUnit, on: datetime.date) -> list:
    if not viewer_units(actor).filter(pk=unit.pk).exists():
        raise Http404
    return rule.research_unit_staffing(unit=unit, on=on)


@dataclass
class Provision:
    """Everything the school's provision page shows."""

    school: OrgUnit
    on: datetime.date
    status: rule.SchoolStaffing
    teachers: list[MHTeacher]
    former_teachers: list[MHTeacher]
    groups: list[LeadingGroup]
    trainings: Sequence[TrainingEvent]
    budgets: list[Budget]
    homeroom: indicators.Ratio
    show_names: bool
    extra: list[dict[str, Any]] = field(default_factory=list)


def provision_get(*, actor: Any, school: OrgUnit, on: datetime.date) -> Provision:
    """A school's staff, groups, training and budget (the actor reads staffing there)."""
    found = school_staffing_list(actor=actor, unit=school, on=on)
    if not found:  # an inactive school
        raise Http404
    (status,) = found
    posts = list(MHTeacher.objects.filter(school=school).select_related("user"))
    current = [t for t in posts if t.in_post_on(on) or t.start_date > on]
    former = [t for t in posts if t not in current]
    groups = list(
        LeadingGroup.objects.filter(school=school, dissolved_on__isnull=True).prefetch_related(
            Prefetch("members", queryset=GroupMember.objects.order_by("id"))
        )
    )
    trainings = list(
        TrainingEvent.objects.filter(participants__school=school)
        .distinct()
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=TrainingParticipant.objects.filter(school=school).order_by("id"),
                to_attr="school_participants",
            )
        )
        .select_related("unit")
        .order_by("-held_on", "-id")[:50]
    )
    budgets = list(Budget.objects.filter(unit=school).order_by("-year")[:5])
    year = SchoolYear.current(on)
    start, end = (year.start, year.end) if year else (on.replace(month=1, day=1), on)
    homeroom = indicators.homeroom_training(unit=school, start=start, end=end)
    return Provision(
        school=school,
        on=on,
        status=status,
        teachers=current,
        former_teachers=former,
        groups=groups,
        trainings=trainings,
        budgets=budgets,
        homeroom=homeroom,
        show_names=policy.allowed(actor, policy.Action.VIEW_STAFF_NAMES, school),
    )


@dataclass
class BureauView:
    researchers: list[Researcher]
    responsibility: Responsibility | None
    budgets: list[Budget]


def bureau_get(*, actor: Any, unit: OrgUnit, on: datetime.date) -> BureauView:
    """The 教研员 in post under ``unit``, its responsibilities and budgets (county page)."""
    if not viewer_units(actor).filter(pk=unit.pk).exists():
        raise Http404
    researchers = list(
        Researcher.objects.in_post(on)
        .filter(unit__path__startswith=unit.path)
        .select_related("unit")
        .order_by("unit__path", "name")[:200]
    )
    return BureauView(
        researchers=researchers,
        responsibility=Responsibility.objects.filter(unit=unit).first(),
        budgets=list(Budget.objects.filter(unit=unit).order_by("-year")[:5]),
    )


def teacher_get_for_write(*, actor: Any, pk: int) -> MHTeacher:
    """A post the actor may change (404 out of reach, like a missing one)."""
    teacher = (
        policy.narrow(
            actor,
            policy.Action.MANAGE_STAFFING,
            MHTeacher.objects.select_related("school"),
            class_field=None,
        )
        .filter(pk=pk)
        .first()
    )
    if teacher is None:
        raise Http404
    return teacher


def group_get_for_write(*, actor: Any, pk: int) -> LeadingGroup:
    group = (
        policy.narrow(
            actor,
            policy.Action.MANAGE_STAFFING,
            LeadingGroup.objects.select_related("school"),
            class_field=None,
        )
        .filter(pk=pk)
        .first()
    )
    if group is None:
        raise Http404
    return group


def writable_school_get(*, actor: Any, code: str) -> OrgUnit:
    """A school whose staffing the actor writes; 404 when not even readable, 403 when read-only."""
    school = school_get(actor=actor, code=code)
    policy.require(actor, policy.Action.MANAGE_STAFFING, school)
    return school


def teachers_by_name(*, school: OrgUnit, on: datetime.date) -> dict[str, MHTeacher]:
    """The school's MH teacher posts held on ``on``, by name (a school the caller checked)."""
    return {t.name: t for t in MHTeacher.objects.in_post(on).filter(school=school)}


def today() -> datetime.date:
    return timezone.localdate()


# ---------------------------------------------------------------- bureau writes (教研员 etc.)

BUREAU_KINDS = (OrgKind.COUNTY, OrgKind.CITY, OrgKind.PROVINCE)


def may_manage_bureau(actor: Any, unit: OrgUnit) -> bool:
    return unit.kind in BUREAU_KINDS and policy.allowed(
        actor, policy.Action.MANAGE_BUREAU_STAFFING, unit
    )


def writable_bureau_get(*, actor: Any, code: str) -> OrgUnit:
    """A county, city or province the actor writes bureau staffing for: 404 when not readable
    (or not a bureau), 403 when read-only."""
    unit = unit_get(actor=actor, code=code)
    if unit.kind not in BUREAU_KINDS:
        raise Http404
    policy.require(actor, policy.Action.MANAGE_BUREAU_STAFFING, unit)
    return unit


def research_units_for_write(*, actor: Any, unit: OrgUnit) -> QuerySet[OrgUnit]:
    """The teaching-research units under ``unit`` where the actor adds 教研员."""
    return policy.units(actor, policy.Action.MANAGE_BUREAU_STAFFING).filter(
        kind=OrgKind.RESEARCH, path__startswith=unit.path, is_active=True
    )


def researcher_get_for_write(*, actor: Any, pk: int) -> Researcher:
    """A 教研员 post the actor may end (404 out of reach, like a missing one)."""
    researcher = (
        policy.narrow(
            actor,
            policy.Action.MANAGE_BUREAU_STAFFING,
            Researcher.objects.select_related("unit"),
            school_field="unit",
            class_field=None,
        )
        .filter(pk=pk)
        .first()
    )
    if researcher is None:
        raise Http404
    return researcher
