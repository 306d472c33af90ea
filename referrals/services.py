"""Writes of referrals (医教协同, notice §11) and of the institutions they go to.

The transition table (``TRANSITIONS``) is the one rule for what may follow what; the database
constraints of ``Referral`` refuse a row that skips what a state needs. Who moves a referral:

- the school (``MAKE_REFERRAL``: the student's psychology teacher, the county center): create,
  record the guardian's consent, send, mark the return to school (with the institution's clearance
  or the guardian's medical certificate), write the return plan, close, withdraw (with a reason);
- the school leader (``OVERRIDE_REFERRAL_CONSENT``): the emergency override of the consent gate,
  with a reason — audited and shown on the case;
- the staff of the institution it is addressed to (``ANSWER_REFERRAL``): accept, decline (with a
  reason), start treatment, write feedback (assessment, diagnosis, recommendations, return advice).

Sending shares the referral with the institution's staff (django-guardian, ``scope.share``) and the
student as the referral kind only — never as scores, cases or notes; closing or withdrawing takes
both shares back. Every transition is a ``ReferralEvent``, audited in the same transaction and
notified to the people concerned. A sent referral sets the case "referred"; the return to school
sets it back to "open" with the next follow-up at the level's cadence (crisis services).
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisis import services as crisis_services
from crisis.models import Case, CaseStatus
from mhcare.accounts import policy, scope
from mhcare.accounts.models import Role, RoleAssignment
from mhcare.accounts.scope import RecordKind
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.notifications.services import notification_send
from mhcare.orgs.models import OrgKind, OrgUnit, Student
from referrals.models import (
    ConsentWay,
    Institution,
    InstitutionLevel,
    Referral,
    ReferralEvent,
    ReferralState,
    Urgency,
)

S = ReferralState

NOT_ALLOWED = gettext_lazy("You may not do this with this referral.")
NOT_LEADER = gettext_lazy("Only a leader of the student's school records an emergency override.")
NOT_KEEPER = gettext_lazy(
    "Institutions are kept by the county center of their county and the city or province bureau."
)
TRANSITION_REFUSED = gettext_lazy("This step is not possible in the referral's current state.")
REASON_REQUIRED = gettext_lazy("Give the reason.")
CONSENT_REQUIRED = gettext_lazy(
    "The guardian's informed consent must be recorded (or a school leader's emergency override) "
    "before the referral is sent."
)
CLEARANCE_REQUIRED = gettext_lazy(
    "The student returns to school with the institution's clearance or the guardian's medical "
    "certificate."
)
PLAN_REQUIRED = gettext_lazy("Write the school's return plan before closing the referral.")
PLAN_NOT_RETURNED = gettext_lazy("The return plan is written once the student has returned.")
ANOTHER_ACTIVE = gettext_lazy("The student already has a referral in progress.")
NOT_ACCEPTING = gettext_lazy("This institution does not accept referrals at the moment.")
CASE_OTHER_STUDENT = gettext_lazy("This case belongs to another student.")
FEEDBACK_REQUIRED = gettext_lazy("Write the assessment summary.")
GUARDIAN_REQUIRED = gettext_lazy("Name the guardian who gave consent.")
FUTURE_TIME = gettext_lazy("The time cannot be in the future.")
BEFORE_CREATED = gettext_lazy("The time cannot be before the referral was made.")
SCAN_TOO_LARGE = gettext_lazy("The scan is too large (at most %(mb)s MB).")
SCAN_TYPE = gettext_lazy("Upload the scan as a PDF, JPEG or PNG file.")
NOT_AN_INSTITUTION = gettext_lazy("Choose an org unit of kind “mental-health institution”.")
ALREADY_PROFILED = gettext_lazy("This institution already has a profile.")
CHOICE_INVALID = gettext_lazy("Choose a valid value.")
OVERRIDE_DONE = gettext_lazy("The consent gate is already passed.")

NOTIFICATION_KIND = "referral"
SCAN_TYPES = {"application/pdf", "image/jpeg", "image/png"}

SCHOOL, LEADER, INSTITUTION = "school", "leader", "institution"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    side: str  # who does it: SCHOOL, INSTITUTION


NON_FINAL = tuple(s.value for s in S if s not in (S.CLOSED, S.WITHDRAWN))

# The table. Withdrawing is possible from any state that is not final.
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("consent", (S.DRAFT,), S.GUARDIAN_INFORMED, SCHOOL),
        Transition("send", (S.DRAFT, S.GUARDIAN_INFORMED), S.SENT, SCHOOL),
        Transition("accept", (S.SENT,), S.ACCEPTED, INSTITUTION),
        Transition("decline", (S.SENT,), S.DECLINED, INSTITUTION),
        Transition("start_treatment", (S.ACCEPTED,), S.IN_TREATMENT, INSTITUTION),
        Transition("feedback", (S.ACCEPTED, S.IN_TREATMENT), S.FEEDBACK_RECEIVED, INSTITUTION),
        Transition("return", (S.IN_TREATMENT, S.FEEDBACK_RECEIVED), S.RETURNED, SCHOOL),
        Transition("close", (S.RETURNED, S.DECLINED), S.CLOSED, SCHOOL),
        Transition("withdraw", NON_FINAL, S.WITHDRAWN, SCHOOL),
    )
}
# Actions that need a reason (the generic ``referral_transition`` takes them).
REASON_ACTIONS = frozenset({"decline", "withdraw"})
SIMPLE_ACTIONS = ("send", "accept", "decline", "start_treatment", "close", "withdraw")


def allowed_pairs() -> set[tuple[str, str]]:
    """Every (state, action) the table allows."""
    return {(str(source), t.action) for t in TRANSITIONS.values() for source in t.sources}


# --- who --------------------------------------------------------------------------------------


def may_make(actor: Any, obj: Any = None) -> bool:
    return policy.allowed(actor, policy.Action.MAKE_REFERRAL, obj)


def may_override(actor: Any, obj: Any = None) -> bool:
    return policy.allowed(actor, policy.Action.OVERRIDE_REFERRAL_CONSENT, obj)


def staff_unit_ids(actor: Any) -> set[int]:
    """Institution units where the actor is staff (no query after the grants)."""
    return {
        g.unit_id
        for g in policy.granting(actor, policy.Action.ANSWER_REFERRAL)
        if g.role == Role.INSTITUTION_STAFF
    }


def may_answer(actor: Any, referral: Referral) -> bool:
    return referral.institution.unit_id in staff_unit_ids(actor)


def keeper_paths(actor: Any) -> list[str]:
    """Unit paths under which the actor keeps institutions: the county center of a county, an
    official of a city or the province (a county bureau does not)."""
    return [
        g.unit_path
        for g in policy.granting(actor, policy.Action.KEEP_INSTITUTIONS)
        if g.role == Role.COUNTY_CENTER or g.unit_kind in (OrgKind.CITY, OrgKind.PROVINCE)
    ]


def may_keep(actor: Any, unit: OrgUnit | None = None) -> bool:
    paths = keeper_paths(actor)
    if unit is None:
        return bool(paths)
    return any(unit.path.startswith(p) for p in paths)


def _side_allows(actor: Any, referral: Referral, side: str) -> bool:
    if side == SCHOOL:
        return may_make(actor, referral)
    if side == INSTITUTION:
        return may_answer(actor, referral)
    return False


# --- helpers ------------------------------------------------------------------------------------


def _require_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: REASON_REQUIRED}, code="required")
    return reason


def _check_time(
    value: datetime.datetime | None, referral: Referral, field: str, *, after_creation: bool = True
) -> datetime.datetime:
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now:
        raise ValidationError({field: FUTURE_TIME})
    if after_creation and value < referral.created_at:
        raise ValidationError({field: BEFORE_CREATED})
    return value


def _lock(actor: Any, referral: Referral) -> Referral:
    """Re-read the referral under a row lock through the actor's scope (404-like: refused)."""
    # Shares are cached per user object; a write reads them afresh (one query), so an actor
    # object older than the share (a shell, a task, the demo) sees what was shared since.
    if hasattr(actor, "__dict__"):
        actor.__dict__.pop("_mhcare_shared", None)
    locked = scope.scoped(actor, Referral).select_for_update(of=("self",)).filter(pk=referral.pk)
    found = locked.select_related("institution", "institution__unit", "student", "school").first()
    if found is None:
        raise PermissionDenied(NOT_ALLOWED)
    return found


def _check(actor: Any, referral: Referral, action: str) -> Transition:
    transition = TRANSITIONS[action]
    if not _side_allows(actor, referral, transition.side):
        raise PermissionDenied(NOT_ALLOWED)
    if referral.state not in transition.sources:
        raise ValidationError(TRANSITION_REFUSED, code="state")
    return transition


def _save(referral: Referral, fields: Iterable[str]) -> None:
    try:
        with transaction.atomic():
            referral.save(update_fields=[*fields, "updated_at"])
    except IntegrityError as exc:
        raise ValidationError(ANOTHER_ACTIVE, code="active") from exc


def _event(
    referral: Referral, *, actor: Any, action: str, from_state: str, note: str = ""
) -> ReferralEvent:
    return ReferralEvent.objects.create(
        referral=referral,
        school_id=referral.school_id,
        from_state=from_state,
        to_state=referral.state,
        action=action,
        note=note,
        actor=actor,
    )


def _audit(actor: Any, referral: Referral, action: str, **detail: Any) -> None:
    audit_record(
        actor=actor,
        action=Action.CREATE if action == "create" else Action.UPDATE,
        obj=referral,
        student=referral.student,
        detail={"action": action, "state": referral.state, **detail},
    )


def institution_staff(institution: Institution) -> list[Any]:
    user_model = get_user_model()
    return list(
        user_model.objects.filter(
            is_active=True,
            assignments__role=Role.INSTITUTION_STAFF,
            assignments__org_unit_id=institution.unit_id,
            assignments__is_active=True,
        )
        .distinct()
        .order_by("id")
    )


def school_people(referral: Referral) -> list[Any]:
    """Who follows the referral at school: the person who made it, the psychology teachers and
    leaders of the school (active)."""
    user_model = get_user_model()
    return list(
        user_model.objects.filter(
            Q(pk=referral.made_by_id)
            | Q(
                assignments__role__in=[Role.PSYCH_TEACHER, Role.SCHOOL_LEADER],
                assignments__org_unit_id=referral.school_id,
                assignments__is_active=True,
            ),
            is_active=True,
        )
        .distinct()
        .order_by("id")
    )


# What each step says; the title never names the student (notifications are e-mailed).
STEP_TITLES = {
    "create": gettext_lazy("Referral drafted"),
    "consent": gettext_lazy("Guardian's consent recorded for a referral"),
    "override": gettext_lazy("Emergency override of the guardian's consent for a referral"),
    "send": gettext_lazy("New referral from %(school)s"),
    "accept": gettext_lazy("Referral accepted by %(institution)s"),
    "decline": gettext_lazy("Referral declined by %(institution)s"),
    "start_treatment": gettext_lazy("Treatment started at %(institution)s"),
    "feedback": gettext_lazy("Feedback from %(institution)s on a referral"),
    "return": gettext_lazy("Referred student returned to school"),
    "plan": gettext_lazy("Return plan written"),
    "close": gettext_lazy("Referral closed"),
    "withdraw": gettext_lazy("Referral withdrawn by %(school)s"),
}


def _notify(referral: Referral, *, actor: Any, action: str) -> None:
    """The institution's staff hear of what the school does once it is sent (send, withdraw after
    sending); the school's people hear of every step. Never the actor; idempotent by key."""
    recipients: dict[int, Any] = {}
    if action in ("send", "withdraw") and referral.sent_at is not None:
        recipients |= {u.pk: u for u in institution_staff(referral.institution)}
    if action not in ("send",):
        recipients |= {u.pk: u for u in school_people(referral)}
    if action in ("send", "override"):
        recipients |= {u.pk: u for u in school_people(referral)}
    values = {"school": referral.school.name, "institution": referral.institution.name}
    url = reverse("referrals:detail", args=[referral.pk])
    for recipient in recipients.values():
        if recipient.pk == getattr(actor, "pk", None):
            continue
        notification_send(
            recipient=recipient,
            kind=NOTIFICATION_KIND,
            key=f"referral:{referral.pk}:{action}:{referral.state}",
            title=str(STEP_TITLES[action]) % values,
            body=_("Referral state: %(state)s.") % {"state": referral.get_state_display()},
            url=url,
            urgent=action in ("send", "override") and referral.urgency == Urgency.URGENT,
        )


def _share(referral: Referral) -> None:
    for user in institution_staff(referral.institution):
        scope.share(user, referral)
        scope.share(user, referral.student, RecordKind.REFERRAL)


def _unshare(referral: Referral) -> None:
    """Take back the institution's shares of this referral, and of the student unless another
    referral of hers is still shared with the same user."""
    from guardian.models import UserObjectPermission
    from guardian.shortcuts import remove_perm

    user_model = get_user_model()
    referral_codename = scope.share_codename(Referral, RecordKind.REFERRAL)
    student_codename = scope.share_codename(Student, RecordKind.REFERRAL)
    holders = user_model.objects.filter(
        pk__in=UserObjectPermission.objects.filter(
            permission__codename=referral_codename,
            content_type__app_label=Referral._meta.app_label,
            content_type__model=Referral._meta.model_name,
            object_pk=str(referral.pk),
        ).values("user_id")
    )
    others = [
        str(pk)
        for pk in Referral.objects.filter(student_id=referral.student_id)
        .exclude(pk=referral.pk)
        .exclude(state__in=[S.CLOSED, S.WITHDRAWN])
        .values_list("pk", flat=True)
    ]
    for user in holders:
        remove_perm(referral_codename, user, referral)
        still = UserObjectPermission.objects.filter(
            user=user,
            permission__codename=referral_codename,
            content_type__app_label=Referral._meta.app_label,
            object_pk__in=others,
        ).exists()
        if not still:
            remove_perm(student_codename, user, referral.student)
        user.__dict__.pop("_mhcare_shared", None)


def _after(referral: Referral, *, actor: Any, action: str, from_state: str, note: str = "") -> None:
    _event(referral, actor=actor, action=action, from_state=from_state, note=note)
    _audit(actor, referral, action, **{"from": from_state})
    _notify(referral, actor=actor, action=action)


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


# --- institutions ---------------------------------------------------------------------------------


def _county_of(unit: OrgUnit) -> OrgUnit:
    county = unit.parent if unit.parent and unit.parent.kind == OrgKind.COUNTY else None
    county = county or unit.ancestor_of_kind(OrgKind.COUNTY)
    if county is None:
        raise ValidationError({"unit": NOT_AN_INSTITUTION})
    return county


INSTITUTION_FIELDS = (
    "level",
    "departments",
    "contact_name",
    "contact_phone",
    "address",
    "is_accepting",
    "agreement_since",
)


@transaction.atomic
def institution_save(
    *, actor: Any, unit: OrgUnit, institution: Institution | None = None, **values: Any
) -> Institution:
    """Create (``institution`` None) or update the profile of an institution unit."""
    if unit.kind != OrgKind.INSTITUTION:
        raise ValidationError({"unit": NOT_AN_INSTITUTION})
    if not may_keep(actor, unit):
        raise PermissionDenied(NOT_KEEPER)
    unknown = set(values) - set(INSTITUTION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown institution fields: {sorted(unknown)}")
    if values.get("level", InstitutionLevel.OTHER) not in InstitutionLevel.values:
        raise ValidationError({"level": CHOICE_INVALID})
    created = institution is None
    if created:
        if Institution.objects.filter(unit=unit).exists():
            raise ValidationError({"unit": ALREADY_PROFILED})
        institution = Institution(unit=unit, county=_county_of(unit))
    elif institution.unit_id != unit.pk:
        raise PermissionDenied(NOT_KEEPER)
    before = {f: getattr(institution, f) for f in INSTITUTION_FIELDS}
    for name, value in values.items():
        setattr(institution, name, value)
    institution.full_clean()
    institution.save()
    changed = sorted(f for f in INSTITUTION_FIELDS if before[f] != getattr(institution, f))
    audit_record(
        actor=actor,
        action=Action.CREATE if created else Action.UPDATE,
        obj=institution,
        detail={"unit": unit.code, "fields": changed},
    )
    return institution


def institution_staff_assignments(institution: Institution) -> Any:
    return RoleAssignment.objects.active().filter(
        role=Role.INSTITUTION_STAFF, org_unit_id=institution.unit_id
    )
