"""Reads of the crisis app. For now the high-risk list is built from screening's open risk
proposals; the crisis registry issue adds confirmed levels and cases on the same selector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet

from mhcare.accounts import scope
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import OrgUnit
from screening.models import OPEN_PROPOSAL_STATUSES, ProposalStatus, RiskProposal


@dataclass(frozen=True)
class HighRiskFilters:
    level: str = ""  # a RiskLevel value
    school: int | None = None  # school id
    status: str = ""  # a ProposalStatus value (pending / confirmed)


@dataclass(frozen=True)
class HighRiskPage:
    rows: list[RiskProposal]
    next_after: int | None  # the ``after`` cursor of the next page; None on the last page


def require_case_access(actor: Any) -> None:
    """Roles that never see case-level records get 403 before any lookup."""
    if not scope.can(actor, RecordKind.CASE):
        raise PermissionDenied


def highrisk_schools(*, actor: Any) -> QuerySet[OrgUnit]:
    return scope.schools(actor, RecordKind.CASE).order_by("path")


def highrisk_queryset(
    *, actor: Any, filters: HighRiskFilters | None = None
) -> QuerySet[RiskProposal]:
    """One row per student: the student's most severe open proposal (newest among equals), newest
    first. Ordered by ``-id`` for keyset pagination."""
    filters = filters or HighRiskFilters()
    require_case_access(actor)
    open_proposals = scope.scoped(actor, RiskProposal, kind=RecordKind.CASE).filter(
        status__in=OPEN_PROPOSAL_STATUSES
    )
    more_relevant = open_proposals.filter(student_id=OuterRef("student_id")).filter(
        Q(level__lt=OuterRef("level")) | Q(level=OuterRef("level"), id__gt=OuterRef("id"))
    )
    queryset = open_proposals.filter(~Exists(more_relevant)).select_related(
        "student", "student__klass", "school"
    )
    if filters.level:
        queryset = queryset.filter(level=filters.level)
    if filters.school is not None:
        queryset = queryset.filter(school_id=filters.school)
    if filters.status in ProposalStatus.values:
        queryset = queryset.filter(status=filters.status)
    return queryset.order_by("-id")


def highrisk_list(
    *,
    actor: Any,
    filters: HighRiskFilters | None = None,
    after: int | None = None,
    page_size: int = 50,
) -> HighRiskPage:
    """One keyset page (``id < after``): no OFFSET and no COUNT, whatever the size of the scope."""
    queryset = highrisk_queryset(actor=actor, filters=filters)
    if after is not None:
        queryset = queryset.filter(id__lt=after)
    rows = list(queryset[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return HighRiskPage(rows=rows, next_after=rows[-1].pk if has_more and rows else None)
