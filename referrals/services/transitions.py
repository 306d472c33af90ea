"""The referral's steps: create, consent, override, send and the other steps, return, plan,
feedback."""

from __future__ import annotations

import base64
import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis import services as crisis_services
from crisis.models import Case, CaseStatus
from mhcare.orgs.models import Student
from referrals.models import (
    ConsentWay,
    Institution,
    Referral,
    Urgency,
)
from referrals.services.common import (
    ANOTHER_ACTIVE,
    CASE_OTHER_STUDENT,
    CHOICE_INVALID,
    CLEARANCE_REQUIRED,
    CONSENT_REQUIRED,
    FEEDBACK_REQUIRED,
    GUARDIAN_REQUIRED,
    NOT_ACCEPTING,
    NOT_ALLOWED,
    NOT_LEADER,
    OVERRIDE_DONE,
    PLAN_NOT_RETURNED,
    PLAN_REQUIRED,
    REASON_ACTIONS,
    REASON_REQUIRED,
    SCAN_TOO_LARGE,
    SCAN_TYPE,
    SCAN_TYPES,
    SIMPLE_ACTIONS,
    TRANSITION_REFUSED,
    S,
    _after,
    _audit,
    _check,
    _check_time,
    _event,
    _lock,
    _require_reason,
    _save,
    _share,
    _unshare,
    may_make,
    may_override,
)

# --- writes: the school --------------------------------------------------------------------------


@transaction.atomic
def referral_create(
    *,
    actor: Any,
    student: Student,
    institution: Institution,
    reason: str,
    urgency: str,
    observations: str = "",
    case: Case | None = None,
) -> Referral:
    """A draft referral of ``student`` (optionally from her case) to ``institution``. What the
    school observed is behaviour, not a diagnosis (Mental Health Law art. 23)."""
    if not may_make(actor, student):
        raise PermissionDenied(NOT_ALLOWED)
    errors: dict[str, Any] = {}
    if not (reason or "").strip():
        errors["reason"] = REASON_REQUIRED
    if urgency not in Urgency.values:
        errors["urgency"] = CHOICE_INVALID
    if not institution.is_accepting:
        errors["institution"] = NOT_ACCEPTING
    if case is not None and case.student_id != student.pk:
        errors["case"] = CASE_OTHER_STUDENT
    if errors:
        raise ValidationError(errors)
    referral = Referral(
        student=student,
        school_id=student.school_id,
        county_id=student.county_id,
        case=case,
        institution=institution,
        urgency=urgency,
        reason=reason.strip(),
        observations=(observations or "").strip(),
        made_by=actor,
    )
    referral.full_clean(exclude=["student", "school", "county", "case", "institution", "made_by"])
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError as exc:
        raise ValidationError({"student": ANOTHER_ACTIVE}, code="active") from exc
    _event(referral, actor=actor, action="create", from_state="")
    _audit(actor, referral, "create", institution=institution.pk, case=case.pk if case else None)
    return referral


def _scan_payload(scan: Any) -> tuple[str, str, str]:
    """(base64, file name, content type) of an uploaded scan, checked."""
    limit = settings.REFERRAL_CONSENT_SCAN_MAX_BYTES
    if scan.size > limit:
        raise ValidationError({"scan": SCAN_TOO_LARGE % {"mb": limit // (1024 * 1024)}})
    content_type = (getattr(scan, "content_type", "") or "").split(";")[0].strip()
    data = scan.read()
    signatures = {
        b"%PDF": "application/pdf",
        b"\xff\xd8\xff": "image/jpeg",
        b"\x89PNG": "image/png",
    }
    sniffed = next((t for sig, t in signatures.items() if data.startswith(sig)), "")
    if not sniffed or (content_type and content_type not in SCAN_TYPES):
        raise ValidationError({"scan": SCAN_TYPE})
    return base64.b64encode(data).decode("ascii"), str(scan.name)[:200], sniffed


@transaction.atomic
def referral_record_consent(
    *,
    actor: Any,
    referral: Referral,
    guardian: str,
    way: str,
    at: datetime.datetime | None = None,
    scan: Any = None,
) -> Referral:
    """The guardian's informed consent: who, how, when (and an optional scan of the form)."""
    referral = _lock(actor, referral)
    _check(actor, referral, "consent")
    errors: dict[str, Any] = {}
    if not (guardian or "").strip():
        errors["guardian"] = GUARDIAN_REQUIRED
    if way not in ConsentWay.values:
        errors["way"] = CHOICE_INVALID
    try:
        # the guardian may have agreed (by phone) before the draft was typed
        when = _check_time(at, referral, "at", after_creation=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    payload = None
    if scan is not None:
        try:
            payload = _scan_payload(scan)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    previous = referral.state
    referral.consent_at = when
    referral.consent_guardian = guardian.strip()
    referral.consent_way = way
    referral.consent_recorded_by = actor
    fields = ["consent_at", "consent_guardian", "consent_way", "consent_recorded_by", "state"]
    if payload is not None:
        referral.consent_scan, referral.consent_scan_name, referral.consent_scan_type = payload
        fields += ["consent_scan", "consent_scan_name", "consent_scan_type"]
    referral.state = S.GUARDIAN_INFORMED
    _save(referral, fields)
    _after(referral, actor=actor, action="consent", from_state=previous)
    return referral


@transaction.atomic
def referral_override_consent(*, actor: Any, referral: Referral, reason: str) -> Referral:
    """A school leader's emergency override of the consent gate (the guardian cannot be reached
    and the student's safety cannot wait): the referral may be sent without consent. The state is
    unchanged; the override is an event, audited, notified and shown on the case."""
    referral = _lock(actor, referral)
    if not may_override(actor, referral):
        raise PermissionDenied(NOT_LEADER)
    if referral.state not in (S.DRAFT, S.GUARDIAN_INFORMED) or referral.override_at is not None:
        raise ValidationError(TRANSITION_REFUSED, code="state")
    if referral.consent_at is not None:
        raise ValidationError(OVERRIDE_DONE, code="state")
    reason = _require_reason(reason)
    referral.override_at = timezone.now()
    referral.override_by = actor
    referral.override_reason = reason
    _save(referral, ["override_at", "override_by", "override_reason"])
    _after(referral, actor=actor, action="override", from_state=referral.state, note=reason)
    return referral


def _send(actor: Any, referral: Referral) -> None:
    if not referral.has_consent_gate:
        raise ValidationError(CONSENT_REQUIRED, code="consent")
    if referral.state == S.DRAFT and referral.override_at is None:
        raise ValidationError(CONSENT_REQUIRED, code="consent")
    if not referral.institution.is_accepting:
        raise ValidationError(NOT_ACCEPTING, code="accepting")
    referral.sent_at = timezone.now()
    _share(referral)
    case = referral.case
    if case is not None and case.status not in (CaseStatus.REFERRED, CaseStatus.CLOSED):
        crisis_services.case_set_status(
            actor=actor,
            case=case,
            status=CaseStatus.REFERRED,
            reason=_("Referred to %(institution)s") % {"institution": referral.institution.name},
        )


@transaction.atomic
def referral_transition(
    *, actor: Any, referral: Referral, action: str, reason: str = ""
) -> Referral:
    """One of the steps without a form of their own: send, accept, decline (reason), start
    treatment, close, withdraw (reason)."""
    if action not in SIMPLE_ACTIONS:
        raise ValidationError(TRANSITION_REFUSED, code="action")
    referral = _lock(actor, referral)
    transition = _check(actor, referral, action)
    note = _require_reason(reason) if action in REASON_ACTIONS else (reason or "").strip()
    previous = referral.state
    now = timezone.now()
    fields = ["state"]
    if action == "send":
        _send(actor, referral)
        fields.append("sent_at")
    elif action == "accept":
        referral.accepted_at = now
        fields.append("accepted_at")
    elif action == "decline":
        referral.declined_at, referral.decline_reason = now, note
        fields += ["declined_at", "decline_reason"]
    elif action == "start_treatment":
        referral.treatment_started_at = now
        fields.append("treatment_started_at")
    elif action == "close":
        if previous == S.RETURNED and referral.return_plan_at is None:
            raise ValidationError(PLAN_REQUIRED, code="plan")
        referral.closed_at = now
        fields.append("closed_at")
    elif action == "withdraw":
        referral.withdrawn_at, referral.withdraw_reason = now, note
        fields += ["withdrawn_at", "withdraw_reason"]
    referral.state = transition.target
    _save(referral, fields)
    if action in ("close", "withdraw"):
        _unshare(referral)
    _after(referral, actor=actor, action=action, from_state=previous, note=note)
    return referral


@transaction.atomic
def referral_return(
    *,
    actor: Any,
    referral: Referral,
    returned_at: datetime.datetime | None = None,
    certificate_note: str = "",
) -> Referral:
    """The student is back at school (复学). Needs the institution's clearance (its feedback) or
    the guardian's medical certificate (``certificate_note``: who issued it, when). The case, if
    any, leaves "referred" and its follow-ups resume at the level's cadence."""
    referral = _lock(actor, referral)
    transition = _check(actor, referral, "return")
    note = (certificate_note or "").strip()
    fields = ["state", "returned_at"]
    if not referral.return_cleared and not note:
        raise ValidationError({"certificate_note": CLEARANCE_REQUIRED}, code="clearance")
    if note:
        referral.certificate_at = timezone.now()
        referral.certificate_note = note
        fields += ["certificate_at", "certificate_note"]
    previous = referral.state
    referral.returned_at = _check_time(returned_at, referral, "returned_at")
    referral.state = transition.target
    _save(referral, fields)
    case = referral.case
    if case is not None and case.status != CaseStatus.CLOSED:
        crisis_services.case_resume_after_referral(
            actor=actor,
            case=case,
            reason=_("Returned to school after the referral to %(institution)s")
            % {"institution": referral.institution.name},
        )
    _after(referral, actor=actor, action="return", from_state=previous)
    return referral


@transaction.atomic
def referral_write_return_plan(*, actor: Any, referral: Referral, plan: str) -> Referral:
    """The school's return plan (adjustments, who follows the student, the follow-up rhythm)."""
    referral = _lock(actor, referral)
    if not may_make(actor, referral):
        raise PermissionDenied(NOT_ALLOWED)
    if referral.state != S.RETURNED:
        raise ValidationError(PLAN_NOT_RETURNED, code="state")
    plan = _require_reason(plan, "plan")
    referral.return_plan = plan
    referral.return_plan_at = timezone.now()
    _save(referral, ["return_plan", "return_plan_at"])
    _after(referral, actor=actor, action="plan", from_state=referral.state)
    return referral


# --- writes: the institution ----------------------------------------------------------------------


@transaction.atomic
def referral_feedback(
    *,
    actor: Any,
    referral: Referral,
    assessment_summary: str,
    diagnosis: str = "",
    recommendations: str = "",
    return_advice: str = "",
    return_cleared: bool = False,
) -> Referral:
    """The institution's feedback: the only place a diagnosis is written (art. 23)."""
    referral = _lock(actor, referral)
    transition = _check(actor, referral, "feedback")
    if not (assessment_summary or "").strip():
        raise ValidationError({"assessment_summary": FEEDBACK_REQUIRED}, code="required")
    previous = referral.state
    referral.feedback_at = timezone.now()
    referral.feedback_by = actor
    referral.assessment_summary = assessment_summary.strip()
    referral.diagnosis = (diagnosis or "").strip()
    referral.recommendations = (recommendations or "").strip()
    referral.return_advice = (return_advice or "").strip()
    referral.return_cleared = bool(return_cleared)
    referral.state = transition.target
    _save(
        referral,
        [
            "state",
            "feedback_at",
            "feedback_by",
            "assessment_summary",
            "diagnosis",
            "recommendations",
            "return_advice",
            "return_cleared",
        ],
    )
    _after(referral, actor=actor, action="feedback", from_state=previous)
    return referral
