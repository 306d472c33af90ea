"""Reads for the results import, always from the actor's scope."""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet

from mhcare.accounts import policy, scope
from mhcare.orgs.models import OrgKind, OrgUnit, ancestor_paths
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
