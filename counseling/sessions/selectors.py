"""Reads of session records.

- ``session_queryset``: "own records" — rows in the actor's NOTE scope that the actor wrote, or
  rows shared with the actor one by one (``scope.share``, kind NOTE). Nobody else — not the
  school's other counselors, not its leader, not the homeroom teacher — reads a record's content.
- ``session_log``: that sessions happened (date, counselor, duration, school) for the school
  leader and the county center: no theme, summary, plan or student."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from counseling.models import CounselingSession
from mhcare.accounts import policy, scope
from mhcare.accounts.policy import Action
from mhcare.accounts.scope import RecordKind

# student_id only for the audit of who the rows are about; it is never shown.
LOG_FIELDS = (
    "id",
    "student_id",
    "held_on",
    "duration_minutes",
    "counselor__display_name",
    "school__name",
)


def session_queryset(*, actor: Any, archived: bool = False) -> QuerySet[CounselingSession]:
    shared = scope.shared_ids(actor, CounselingSession)
    own = Q(counselor_id=getattr(actor, "pk", None))
    condition = own | Q(pk__in=shared) if shared else own
    rows = scope.scoped(actor, CounselingSession).filter(condition)
    if not archived:
        rows = rows.filter(is_archived=False)
    return rows.select_related("student", "counselor", "school")


def session_get(*, actor: Any, pk: int) -> CounselingSession:
    found = session_queryset(actor=actor, archived=True).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def session_list(
    *, actor: Any, student_id: int | None = None, archived: bool = False
) -> QuerySet[CounselingSession]:
    rows = session_queryset(actor=actor, archived=archived)
    if student_id:
        rows = rows.filter(student_id=student_id)
    return rows.order_by("-held_on", "-id")


def session_log(*, actor: Any, since: datetime.date | None = None) -> QuerySet[CounselingSession]:
    """Date, counselor, duration and school of the sessions at the schools an assignment allowing
    ``VIEW_SESSION_LOG`` covers; never a column of what was said, nor the student."""
    rows = policy.narrow(
        actor,
        Action.VIEW_SESSION_LOG,
        scope.scoped(actor, CounselingSession, kind=RecordKind.CASE),
        school_field="school",
        class_field=None,
    )
    if since is not None:
        rows = rows.filter(held_on__gte=since)
    return rows.select_related("counselor", "school").only(*LOG_FIELDS).order_by("-held_on", "-id")
