"""Reads of the 上报 outbox, always starting from the actor's scope: the psychology teacher and
the leader see their school's reports, the county center its county's. Other roles get 403 before
any lookup; a report outside scope is 404 like a missing one."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from crisis.models import CaseReport, ReportStatus
from mhcare.accounts import policy, scope

REPORT_ROLES = tuple(sorted(policy.ACTION_RULES[policy.Action.VIEW_CASE_REPORTS].roles))


@dataclass(frozen=True)
class UnreportedRow:
    report: CaseReport
    hours_left: float  # negative = overdue

    @property
    def is_overdue(self) -> bool:
        return self.hours_left < 0


@dataclass(frozen=True)
class UnreportedPage:
    rows: list[UnreportedRow]
    next_after: int | None  # the id of the last row when there is a next page
    as_of: datetime.datetime


def may_view_reports(actor: Any) -> bool:
    return policy.anywhere(actor, policy.Action.VIEW_CASE_REPORTS)


def require_report_viewer(actor: Any) -> None:
    if not may_view_reports(actor):
        raise PermissionDenied


def report_queryset(*, actor: Any) -> QuerySet[CaseReport]:
    """Every report the actor may see, with what a list shows (student, class, school)."""
    require_report_viewer(actor)
    return scope.scoped(actor, CaseReport).select_related(
        "case__student__klass", "school", "county"
    )


def hours_left(report: CaseReport, now: datetime.datetime) -> float:
    return round((report.due_by - now).total_seconds() / 3600, 1)


def unreported_list(
    *,
    actor: Any,
    after: int | None = None,
    page_size: int = 50,
    now: datetime.datetime | None = None,
) -> UnreportedPage:
    """Reports not yet sent, one per case (its latest unsent version), most urgent first, one
    keyset page on ``(due_by, id)`` (``after`` is
    the id of the previous page's last row): no OFFSET, no COUNT."""
    now = now or timezone.now()
    # One row per case: its latest unsent version (the earlier ones are still delivered).
    latest = (
        scope.scoped(actor, CaseReport)
        .exclude(status=ReportStatus.SENT)
        .order_by("case_id", "-version")
        .distinct("case_id")
        .values("pk")
    )
    queryset = report_queryset(actor=actor).filter(pk__in=Subquery(latest))
    if after is not None:
        last = scope.scoped(actor, CaseReport).filter(pk=after).values_list("due_by", flat=True)
        last_due = last.first()
        if last_due is not None:
            queryset = queryset.filter(Q(due_by__gt=last_due) | Q(due_by=last_due, id__gt=after))
    rows = list(queryset.order_by("due_by", "id")[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return UnreportedPage(
        rows=[UnreportedRow(report=r, hours_left=hours_left(r, now)) for r in rows],
        next_after=rows[-1].pk if has_more and rows else None,
        as_of=now,
    )


def report_get(*, actor: Any, pk: Any) -> CaseReport:
    """One report (what was sent, when, the platform's answer): 403 for roles that never see
    reports, 404 out of scope or missing."""
    queryset = report_queryset(actor=actor)
    try:
        return queryset.get(pk=pk)
    except (CaseReport.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def student_report_list(*, actor: Any, student: Any) -> QuerySet[CaseReport]:
    """A student's sent reports, for the growth-file timeline (users who may see cases)."""
    if not may_view_reports(actor):
        return CaseReport.objects.none()  # scope-lint: allow an empty queryset reads nothing
    return (
        scope.scoped(actor, CaseReport)
        .filter(case__student=student, status=ReportStatus.SENT)
        .order_by("sent_at", "id")
    )
