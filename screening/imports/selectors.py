"""Reads for the results import, always from the actor's scope."""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass, Student, ancestor_paths
from screening.models import Campaign, ImportJob, Instrument
from screening.services import may_enter_results


def import_units(*, actor: Any) -> QuerySet[OrgUnit]:
    """Units the actor may import results for: the schools (and, for county center staff, the
    county itself) in which they see scores. Empty for every role that does not enter results."""
    if not may_enter_results(actor):
        return OrgUnit.objects.none()
    return (
        policy.units(actor, policy.Action.ENTER_RESULTS)
        .filter(kind__in=[OrgKind.SCHOOL, OrgKind.COUNTY])
        .order_by("path")
    )


def import_campaigns(*, actor: Any) -> QuerySet[Campaign]:
    """Campaigns that reach one of the actor's units: run by the unit, an ancestor, or a unit
    below it."""
    grants = policy.granting(actor, policy.Action.ENTER_RESULTS)
    if not grants or not may_enter_results(actor):
        return Campaign.objects.none()
    conditions = []
    for grant in grants:
        conditions.append(Q(org_unit__path__in=ancestor_paths(grant.unit_path)))
        conditions.append(Q(org_unit__path__startswith=grant.unit_path))
    return (
        Campaign.objects.filter(reduce(or_, conditions))
        .select_related("school_year")
        .prefetch_related("instruments__instrument")
        .order_by("-window_start", "-id")
    )


def campaign_instruments(*, campaign: Campaign) -> QuerySet[Instrument]:
    return Instrument.objects.filter(pk__in=campaign.instruments.values("instrument_id")).order_by(
        "code", "-version"
    )


def import_job_get(*, actor: Any, pk: int) -> ImportJob:
    """One import of the actor's scope, or 404 (without its file: the progress page polls this
    every second)."""
    return scope.get_scoped_or_404(
        actor,
        ImportJob.objects.select_related("campaign", "instrument", "school", "uploaded_by").defer(
            "content"
        ),
        pk=pk,
    )


def import_job_list(*, actor: Any, limit: int = 20) -> list[ImportJob]:
    return list(
        scope.scoped(actor, ImportJob)
        .select_related("campaign", "instrument", "school")
        .defer("content")
        .order_by("-id")[:limit]
    )


def import_class_get(*, actor: Any, pk: int) -> SchoolClass | None:
    """A class of a school the actor imports results for (``None``: not one of them)."""
    schools = import_units(actor=actor).filter(kind=OrgKind.SCHOOL)
    return SchoolClass.objects.select_related("school").filter(pk=pk, school__in=schools).first()


def template_students(
    *,
    actor: Any,
    grades: list[int],
    school: OrgUnit | None = None,
    klass: SchoolClass | None = None,
) -> QuerySet[Student]:
    """The enrolled students a template is pre-filled with (of a school in the given grades, or
    of one class), from the actor's score scope, by grade, class and name."""
    students = scope.scoped(actor, Student.objects.enrolled(), kind=RecordKind.SCORE).filter(
        klass__grade__in=grades
    )
    if klass is not None:
        students = students.filter(klass=klass)
    if school is not None:
        students = students.filter(school=school)
    return students.order_by("klass__grade", "klass__name", "name")


def import_classes(*, actor: Any) -> QuerySet[SchoolClass]:
    """The classes a one-class template can be downloaded for: of the schools the actor imports
    for, in the school years of the campaigns they see."""
    schools = import_units(actor=actor).filter(kind=OrgKind.SCHOOL)
    years = import_campaigns(actor=actor).values("school_year_id")
    return (
        SchoolClass.objects.filter(school__in=schools, school_year_id__in=years)
        .select_related("school")
        .order_by("school__name", "grade", "name")
    )
