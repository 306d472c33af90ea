"""Reads of the audit trail. Who may read what is decided here, from the actor's role grants."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import policy
from mhcare.accounts.models import Role
from mhcare.audit.models import Action, AuditEvent

VIEWERS_FORBIDDEN_ERROR = _(
    "Only the school's psychology teacher and leaders may see who viewed this student."
)
VIEWER_ROLES = policy.ACTION_RULES[policy.Action.SEE_STUDENT_VIEWERS].roles


@dataclass(frozen=True)
class StudentViewer:
    """One view of a student's record, as the "who viewed this student" panel shows it."""

    who: str
    username: str
    roles: list[str]
    at: datetime.datetime
    ip: str | None


def can_see_student_viewers(*, actor: Any, student: Any) -> bool:
    return policy.allowed(actor, policy.Action.SEE_STUDENT_VIEWERS, student)


def _role_labels(codes: str) -> list[str]:
    labels = dict(Role.choices)
    return [str(labels.get(code, code)) for code in codes.split(",") if code]


def student_viewer_list(*, actor: Any, student: Any, limit: int = 50) -> list[StudentViewer]:
    """The most recent views of ``student``'s record, newest first. Only the psychology teacher or
    a leader of the student's own school may ask (``PermissionDenied`` otherwise)."""
    if not can_see_student_viewers(actor=actor, student=student):
        raise PermissionDenied(VIEWERS_FORBIDDEN_ERROR)
    events = (
        AuditEvent.objects.filter(student_id=student.pk, action=Action.VIEW)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
    return [
        StudentViewer(
            who=str(event.actor) if event.actor is not None else event.actor_username,
            username=event.actor_username,
            roles=_role_labels(event.roles),
            at=event.at,
            ip=event.ip,
        )
        for event in events
    ]


# --- the auditor's audit log (issue 13) ----------------------------------------------------------

AUDIT_LOG_PAGE = 100
AUDIT_EXPORT_MAX_ROWS = 200_000
EXPORT_TOO_LARGE = _(
    "This range holds more than %(max)s events: choose a shorter range (nothing was exported)."
)


@dataclass(frozen=True)
class AuditLogFilters:
    since: datetime.date | None = None
    until: datetime.date | None = None
    username: str = ""
    action: str = ""
    object_type: str = ""


def audit_log_queryset(*, actor: Any, filters: AuditLogFilters) -> Any:
    """Audit events for the auditor (or a superuser), newest first, filtered; dates are local."""
    policy.require(actor, policy.Action.READ_AUDIT_LOG)
    from django.utils import timezone

    events = AuditEvent.objects.all()
    zone = timezone.get_current_timezone()
    if filters.since:
        events = events.filter(
            at__gte=datetime.datetime.combine(filters.since, datetime.time.min, tzinfo=zone)
        )
    if filters.until:
        events = events.filter(
            at__lt=datetime.datetime.combine(
                filters.until + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
            )
        )
    if filters.username:
        events = events.filter(actor_username=filters.username)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    return events.order_by("-id")


def audit_log_page(
    *, actor: Any, filters: AuditLogFilters, after: int | None = None
) -> tuple[list[AuditEvent], int | None]:
    """One keyset page (by id, descending) and the cursor of the next page."""
    events = audit_log_queryset(actor=actor, filters=filters)
    if after is not None:
        events = events.filter(id__lt=after)
    rows = list(events[: AUDIT_LOG_PAGE + 1])
    next_after = rows[AUDIT_LOG_PAGE - 1].pk if len(rows) > AUDIT_LOG_PAGE else None
    return rows[:AUDIT_LOG_PAGE], next_after
