"""What every referral write shares: the messages, the transition table, who may do what, the
lock, events, audit, notifications and the institution's shares."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mhcare.accounts import policy, scope
from mhcare.accounts.models import Role
from mhcare.accounts.scope import RecordKind
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.notifications.services import notification_send
from mhcare.orgs.models import OrgKind, OrgUnit, Student
from referrals.models import (
    Institution,
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
