"""Reads of county-center standardization.

Checklists are read by county center staff (their county) and officials (their subtree);
no student data is involved. ``center_standardized`` is the compliance indicator's numerator and
denominator for any unit and date."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from counseling.models import CenterChecklistEntry, CenterJudgement, ChecklistItem
from mhcare.accounts import policy
from mhcare.orgs.models import OrgKind, OrgUnit


@dataclass(frozen=True)
class CenterStandardization:
    """Counties under a unit with a standardized center on a date, and all its counties."""

    standardized: int
    total: int

    @property
    def ratio(self) -> float | None:
        return self.standardized / self.total if self.total else None

    @property
    def percent(self) -> int | None:
        return round(100 * self.standardized / self.total) if self.total else None


@dataclass(frozen=True)
class ItemRow:
    item: ChecklistItem
    entry: CenterChecklistEntry | None


def _latest_judgement(on_date: datetime.date) -> Subquery:
    return Subquery(
        CenterJudgement.objects.filter(county_id=OuterRef("pk"), effective_on__lte=on_date)
        .order_by("-effective_on", "-id")
        .values("is_standardized")[:1]
    )


def _counties_under(unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(
        path__startswith=unit.path, kind=OrgKind.COUNTY, is_active=True
    ).order_by()


def center_standardized(unit: OrgUnit, on_date: datetime.date) -> CenterStandardization:
    """How many counties under ``unit`` (itself if a county) had a standardized center on
    ``on_date`` (their latest judgement on or before that date says so), out of all of them.
    One query."""
    result = (
        _counties_under(unit)
        .annotate(standard=_latest_judgement(on_date))
        .aggregate(total=Count("id"), standardized=Count("id", filter=Q(standard=True)))
    )
    return CenterStandardization(standardized=result["standardized"], total=result["total"])


def county_standardization(*, under: str | None, on_date: datetime.date) -> list[tuple[int, bool]]:
    """Every active county (under the path ``under``, or all) with whether its center was
    standardized on ``on_date``: the compliance snapshots' rows. One query."""
    counties = OrgUnit.objects.filter(kind=OrgKind.COUNTY, is_active=True).order_by()
    if under:
        counties = counties.filter(path__startswith=under)
    return [
        (pk, bool(standard))
        for pk, standard in counties.annotate(standard=_latest_judgement(on_date)).values_list(
            "pk", "standard"
        )
    ]


def checklist_counties(*, actor: Any, on_date: datetime.date | None = None) -> QuerySet[OrgUnit]:
    """Counties whose checklist the actor reads, with how many required items are met and whether
    the center is standardized today."""
    policy.require(actor, policy.Action.VIEW_CENTER_CHECKLISTS)
    on_date = on_date or timezone.localdate()
    met = CenterChecklistEntry.objects.filter(
        county_id=OuterRef("pk"), is_met=True, item__is_active=True, item__is_required=True
    )
    return (
        policy.units(actor, policy.Action.VIEW_CENTER_CHECKLISTS)
        .filter(kind=OrgKind.COUNTY, is_active=True)
        .annotate(
            met_count=Subquery(
                met.order_by().values("county_id").annotate(n=Count("id")).values("n")[:1]
            ),
            standard=_latest_judgement(on_date),
            has_entries=Exists(CenterChecklistEntry.objects.filter(county_id=OuterRef("pk"))),
        )
        .order_by("path")
    )


def county_get(*, actor: Any, pk: Any) -> OrgUnit:
    """A county whose checklist the actor reads; 404 otherwise."""
    policy.require(actor, policy.Action.VIEW_CENTER_CHECKLISTS)
    try:
        return (
            policy.units(actor, policy.Action.VIEW_CENTER_CHECKLISTS)
            .filter(kind=OrgKind.COUNTY)
            .get(pk=int(pk))
        )
    except (OrgUnit.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def county_items(*, county: OrgUnit) -> list[ItemRow]:
    entries = {
        e.item_id: e
        for e in CenterChecklistEntry.objects.filter(county=county).select_related("updated_by")
    }
    return [
        ItemRow(item=item, entry=entries.get(item.pk))
        for item in ChecklistItem.objects.filter(is_active=True).order_by("order", "code")
    ]


def county_judgements(*, county: OrgUnit) -> list[CenterJudgement]:
    return list(
        CenterJudgement.objects.filter(county=county)
        .select_related("judged_by")
        .order_by("-effective_on", "-id")
    )


def required_count() -> int:
    return ChecklistItem.objects.filter(is_active=True, is_required=True).count()


def entry_get(*, actor: Any, county_pk: Any, code: str) -> CenterChecklistEntry:
    county = county_get(actor=actor, pk=county_pk)
    try:
        return CenterChecklistEntry.objects.select_related("item").get(
            county=county, item__code=code
        )
    except (CenterChecklistEntry.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
