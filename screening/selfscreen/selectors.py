"""Reads for the code-issuing page, starting from the actor's psychology-teacher grants."""

from __future__ import annotations

import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from mhcare.accounts import policy
from mhcare.orgs.models import SchoolClass, ancestor_paths
from screening.models import Campaign


def _issuer_paths(actor: Any) -> list[str]:
    return policy.paths(actor, policy.Action.ISSUE_SELFSCREEN_CODES)


def may_issue_codes(actor: Any) -> bool:
    return bool(_issuer_paths(actor))


def issuer_check(actor: Any) -> None:
    """403 for roles that never issue codes, before any lookup."""
    if not may_issue_codes(actor):
        raise PermissionDenied


def selfscreen_class_list(*, actor: Any) -> QuerySet[SchoolClass]:
    """Classes of the schools where the actor is the psychology teacher."""
    paths = _issuer_paths(actor)
    if not paths:
        return SchoolClass.objects.none()
    condition = reduce(or_, (Q(school__path__startswith=p) for p in paths))
    return (
        SchoolClass.objects.filter(condition)
        .select_related("school", "school_year")
        .order_by("-school_year__start", "school__path", "grade", "name")
    )


def selfscreen_class_get(*, actor: Any, pk: Any) -> SchoolClass:
    """One of the actor's classes, or 404 (out of scope and missing alike)."""
    try:
        return selfscreen_class_list(actor=actor).get(pk=pk)
    except (SchoolClass.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def selfscreen_campaign_list(
    *, actor: Any, today: datetime.date | None = None
) -> QuerySet[Campaign]:
    """Open or upcoming campaigns allowing self-screening that the actor's schools take part in:
    run by one of the schools' ancestors (or the school), or inside the actor's unit."""
    today = today or timezone.localdate()
    paths = _issuer_paths(actor)
    if not paths:
        return Campaign.objects.none()
    ancestors = {a for p in paths for a in ancestor_paths(p)}
    condition = Q(org_unit__path__in=ancestors) | reduce(
        or_, (Q(org_unit__path__startswith=p) for p in paths)
    )
    return (
        Campaign.objects.filter(condition, allow_self_screening=True, window_end__gte=today)
        .select_related("org_unit")
        .order_by("-window_start", "-id")
    )


def selfscreen_campaign_get(*, actor: Any, pk: Any) -> Campaign:
    try:
        return selfscreen_campaign_list(actor=actor).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
