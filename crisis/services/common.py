"""What every crisis write shares: the messages, who writes, reasons, case events, the lock on a
case and the next follow-up date."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisis.models import (
    Case,
    CaseEvent,
    Review,
)
from mhcare.accounts import policy
from mhcare.core.risk import cadence_days
from mhcare.orgs.models import OrgUnit, Student

# Roles that decide levels and keep case records (the county center supervises and may act).
CASE_WRITERS = policy.ACTION_RULES[policy.Action.WRITE_CASE].roles
REVIEW_WRITERS = policy.ACTION_RULES[policy.Action.RECORD_REVIEW].roles
REPORTED_LEVELS = ("1", "2")
REPORT_WITHIN = datetime.timedelta(hours=24)
OLD_SCHOOL_ACCESS_DAYS = 90

NOT_ALLOWED = _("You may not change crisis records of this student.")
REASON_REQUIRED = _("Give the reason.")
NONE_WITH_OPEN_CASE = _(
    "This student has an open case. To end it, close the case (with its reason) on the case page."
)
LOWER_ONE_NEEDS_REVIEW = _(
    "A level 1 case is lowered or closed only by the school crisis group's review decision."
)
SAME_LEVEL = _("The case already has this level.")
ALREADY_CLOSED = _("The case is closed.")
NOT_CLOSED = _("Only a closed case can be reopened.")
ANOTHER_OPEN_CASE = _("The student already has another open case.")
FUTURE_DATE = _("The date cannot be in the future.")
BEFORE_CASE = _("The date cannot be before the case was opened (%(date)s).")
DUE_ORDER = _("The next follow-up must come after this one.")
DUE_TOO_LATE = _("At level %(level)s the next follow-up is due within %(days)s days (by %(date)s).")
STATUS_BY_CLOSE = _("Use “close” to close a case.")
NO_DECISIONS = _("Record a decision for at least one case.")
DECISION_LEVEL = _("Raising or lowering needs the new level.")
DECISION_DIRECTION = _("The new level does not match the decision.")
CASE_OTHER_SCHOOL = _("This case belongs to another school.")
TRANSFER_SAME_SCHOOL = _("The student is already at this school.")
TRANSFER_PENDING = _("A transfer of this case is already waiting.")
TRANSFER_DECIDED = _("This transfer has already been decided.")
TASK_ASSIGNEE = _("Tasks go to a teacher of the student's class or school.")


def _today() -> datetime.date:
    return timezone.localdate()


def may_write_cases(actor: Any, student: Student | None = None) -> bool:
    """A case writer's assignment (somewhere, or covering ``student``): ``policy.WRITE_CASE``."""
    return policy.allowed(actor, policy.Action.WRITE_CASE, student)


def _require_writer(actor: Any, student: Student, review: Review | None = None) -> None:
    """Case writers of the student's school; for a change decided by a 研判 review, also the
    school leader who records it."""
    if review is not None and may_record_reviews(actor, review.school):
        return
    if not may_write_cases(actor, student):
        raise PermissionDenied(NOT_ALLOWED)


def _require_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: REASON_REQUIRED}, code="required")
    return reason


def _event(
    case: Case,
    *,
    actor: Any,
    kind: str,
    reason: str = "",
    from_level: str = "",
    to_level: str = "",
    from_status: str = "",
    to_status: str = "",
    review: Review | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        school_id=case.school_id,
        kind=kind,
        from_level=from_level,
        to_level=to_level,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        review=review,
        actor=actor,
    )


def may_record_reviews(actor: Any, school: OrgUnit) -> bool:
    return policy.allowed(actor, policy.Action.RECORD_REVIEW, school)


def _next_due(level: str, start: datetime.date | None = None) -> datetime.date:
    return (start or _today()) + datetime.timedelta(days=cadence_days(level))


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("student").get(pk=case.pk)
