"""Session records (辅导记录): written by the counselor (``COUNSEL`` in an assignment covering the
student), optionally from one of their appointments, which it completes. A risk observed in the
session can be proposed to the crisis registry: a screening ``RiskProposal`` (reason
``counseling_session``) that the comprehensive evaluation confirms or dismisses like any other;
the session's content never travels with it.

Reading is "own records": the counselor who wrote it, and the people the school's crisis group
(the school leader) or the writer shares it with (``session_share``, a django-guardian share of
kind NOTE). Records are never deleted; ``session_archive_expired`` archives those past the
retention period (``COUNSELING_SESSION_RETENTION_YEARS``)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.models import Appointment, AppointmentStatus, CounselingSession
from mhcare.accounts import policy, scope
from mhcare.accounts.models import Role
from mhcare.accounts.policy import Action as PolicyAction
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.risk import RiskLevel
from mhcare.orgs.models import Student
from screening import services as screening_services

NOT_COUNSELOR = _(
    "Only a psychology teacher or the county center of this student records sessions."
)
NOT_YOUR_APPOINTMENT = _("This appointment is another counselor's.")
APPOINTMENT_NOT_HELD = _("Only a confirmed or completed appointment gets a session record.")
APPOINTMENT_HAS_SESSION = _("This appointment already has a session record.")
FUTURE_DATE = _("The date cannot be in the future.")
THEME_REQUIRED = _("Give the session's theme.")
SUMMARY_REQUIRED = _("Summarise the session.")
DURATION_RANGE = _("The duration is between 1 and 600 minutes.")
NOT_SHARER = _("Only the writer or the school's leader shares a session record.")
SHARE_TARGET = _(
    "A session record is shared only with a psychology teacher, leader or county center staff "
    "member of the student's school."
)
ALREADY_SHARED = _("The record is already readable by this person.")
ARCHIVED = _("This record is archived.")

REASON_COUNSELING = "counseling_session"
REASON_LABELS = {REASON_COUNSELING: _("Risk observed in a counseling session")}
SHARE_ROLES = (Role.PSYCH_TEACHER, Role.SCHOOL_LEADER, Role.COUNTY_CENTER)


def may_record(actor: Any, student: Student | None = None) -> bool:
    return policy.allowed(actor, PolicyAction.COUNSEL, student)


def _clean_text(errors: dict[str, Any], *, theme: str, summary: str, duration: int) -> None:
    if not (theme or "").strip():
        errors["theme"] = THEME_REQUIRED
    if not (summary or "").strip():
        errors["summary"] = SUMMARY_REQUIRED
    if not 1 <= int(duration or 0) <= 600:
        errors["duration_minutes"] = DURATION_RANGE


@transaction.atomic
def session_record(
    *,
    actor: Any,
    student: Student,
    held_on: datetime.date,
    duration_minutes: int,
    theme: str,
    summary: str,
    plan: str = "",
    risk_observed: str = "",
    propose_risk: bool = False,
    appointment: Appointment | None = None,
) -> CounselingSession:
    if not may_record(actor, student):
        raise PermissionDenied(NOT_COUNSELOR)
    errors: dict[str, Any] = {}
    if appointment is not None:
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.counselor_id != actor.pk or appointment.student_id != student.pk:
            raise PermissionDenied(NOT_YOUR_APPOINTMENT)
        if appointment.status not in (AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED):
            raise ValidationError(APPOINTMENT_NOT_HELD, code="appointment")
        if CounselingSession.objects.filter(appointment=appointment).exists():
            raise ValidationError(APPOINTMENT_HAS_SESSION, code="appointment")
    if held_on > timezone.localdate():
        errors["held_on"] = FUTURE_DATE
    _clean_text(errors, theme=theme, summary=summary, duration=duration_minutes)
    if risk_observed and risk_observed not in RiskLevel.values:
        errors["risk_observed"] = _("Choose a valid level.")
    if errors:
        raise ValidationError(errors)
    session = CounselingSession(
        appointment=appointment,
        student=student,
        school_id=student.school_id,
        county_id=student.county_id,
        counselor=actor,
        held_on=held_on,
        duration_minutes=duration_minutes,
        theme=theme.strip(),
        summary=summary.strip(),
        plan=(plan or "").strip(),
        risk_observed=risk_observed,
    )
    detail: dict[str, Any] = {"appointment": appointment.pk if appointment else None}
    if risk_observed and propose_risk:
        proposal = screening_services.proposal_add(
            student=student, level=risk_observed, reasons=[REASON_COUNSELING]
        )
        session.risk_proposed_at = timezone.now()
        detail["proposal"] = {"id": proposal.pk, "level": risk_observed}
    session.full_clean(validate_constraints=False)
    session.save()
    if appointment is not None and appointment.status == AppointmentStatus.CONFIRMED:
        appointment.status = AppointmentStatus.COMPLETED
        appointment.closed_at = timezone.now()
        appointment.save(update_fields=["status", "closed_at"])
        detail["completed_appointment"] = True
    audit_record(actor=actor, action=Action.CREATE, obj=session, student=student, detail=detail)
    return session


def may_share(actor: Any, session: CounselingSession) -> bool:
    return session.counselor_id == getattr(actor, "pk", None) or policy.holds(
        actor, Role.SCHOOL_LEADER, session
    )


@transaction.atomic
def session_share(*, actor: Any, session: CounselingSession, recipient: Any) -> None:
    """The writer or the school's leader (for the crisis group) opens one record to one person
    of the student's school (psychology teacher, leader) or its county center."""
    if not may_share(actor, session):
        raise PermissionDenied(NOT_SHARER)
    if recipient.pk == session.counselor_id:
        raise ValidationError({"recipient": ALREADY_SHARED}, code="shared")
    if not any(policy.holds(recipient, role, session) for role in SHARE_ROLES):
        raise ValidationError({"recipient": SHARE_TARGET}, code="target")
    if session.pk in scope.shared_ids(recipient, CounselingSession):
        raise ValidationError({"recipient": ALREADY_SHARED}, code="shared")
    scope.share(recipient, session)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=session,
        student=session.student_id,
        detail={"shared_with": recipient.pk},
    )


def retention_cutoff(today: datetime.date) -> datetime.date:
    years = settings.COUNSELING_SESSION_RETENTION_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


@transaction.atomic
def session_archive_expired(*, today: datetime.date | None = None) -> int:
    """Archive (never delete) the records held before the retention period; one statement."""
    cutoff = retention_cutoff(today or timezone.localdate())
    count = CounselingSession.objects.filter(is_archived=False, held_on__lt=cutoff).update(
        is_archived=True, archived_at=timezone.now()
    )
    if count:
        audit_record(
            actor=None,
            action=Action.UPDATE,
            object_type=CounselingSession._meta.label_lower,
            detail={"archived": count, "before": cutoff.isoformat()},
        )
    return count
