"""Writes of observations: a teacher reports, the psychology teacher reviews."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mhcare.accounts import policy, scope
from mhcare.accounts.models import Role
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.risk import RiskLevel
from mhcare.notifications.services import notification_send
from mhcare.orgs.models import Student
from screening.models import (
    Observation,
    ObservationCategory,
    ObservationStatus,
    RiskProposal,
)

NOT_REPORTER = gettext_lazy("Only a teacher of the student's class may report an observation.")
NOT_REVIEWER = gettext_lazy("Only the school's psychology teacher reviews observations.")
ALREADY_REVIEWED = gettext_lazy("This observation has already been reviewed.")
FUTURE_DATE = gettext_lazy("The observation date cannot be in the future.")
DESCRIPTION_REQUIRED = gettext_lazy("Describe what you observed.")
REVIEW_NOTE_REQUIRED = gettext_lazy("Write a review note.")

NOTIFICATION_KIND = "observation"
REASON_OBSERVATION = "observation"

# Reason codes kept on the RiskProposal: "observation" plus "observation_<category>".
REASON_LABELS = {
    REASON_OBSERVATION: gettext_lazy("Observation reported by a teacher"),
    **{
        f"observation_{value}": format_lazy("{}: {}", gettext_lazy("Observation"), label)
        for value, label in ObservationCategory.choices
    },
}


def default_level(category: str) -> str:
    """The level the review form proposes by default: 二级 for signs of self-harm (a person
    decides; the psychology teacher may change it or propose nothing), none otherwise."""
    return RiskLevel.LEVEL_2 if category == ObservationCategory.SELF_HARM else ""


def reporter_class_ids(actor: Any) -> set[int]:
    """Classes the actor teaches as homeroom or subject teacher."""
    return policy.class_ids(actor, policy.Action.REPORT_OBSERVATION)


def may_report(actor: Any, student: Student | None = None) -> bool:
    return policy.allowed(actor, policy.Action.REPORT_OBSERVATION, student)


def may_review(actor: Any, observation: Observation | None = None) -> bool:
    """A psychology teacher's assignment (somewhere, or covering ``observation``'s school): a
    leader of the school does not review it even if she teaches psychology elsewhere."""
    return policy.allowed(actor, policy.Action.REVIEW_OBSERVATION, observation)


def school_psych_teachers(school_id: int) -> list[Any]:
    user_model = get_user_model()
    return list(
        user_model.objects.filter(
            is_active=True,
            assignments__is_active=True,
            assignments__role=Role.PSYCH_TEACHER,
            assignments__org_unit_id=school_id,
        )
        .distinct()
        .order_by("id")
    )


def observation_notify(*, observation: Observation) -> int:
    """Tell the school's psychology teachers that an observation waits for review. Idempotent by
    the key ``observation:<id>``. The title names no student; signs of self-harm are urgent."""
    url = reverse("screening:observation_review", args=[observation.pk])
    urgent = observation.category == ObservationCategory.SELF_HARM
    sent = 0
    for teacher in school_psych_teachers(observation.school_id):
        if urgent:
            title = _("URGENT: signs of self-harm reported — review the observation now")
            body = _(
                "A teacher reported signs of self-harm in a student. Open the observation, "
                "contact the student today and decide on a risk level."
            )
        else:
            title = _("New observation to review: %(category)s") % {
                "category": observation.get_category_display()
            }
            body = _("A teacher reported a concern about a student. Review it in your queue.")
        notification_send(
            recipient=teacher,
            kind=NOTIFICATION_KIND,
            key=f"observation:{observation.pk}",
            title=title,
            body=body,
            url=url,
            urgent=urgent,
        )
        sent += 1
    return sent


@transaction.atomic
def observation_report(
    *,
    actor: Any,
    student: Student,
    category: str,
    description: str,
    observed_on: datetime.date,
    on_behalf_of_peer: bool = False,
) -> Observation:
    """A teacher of the student's class reports a concern; it lands in the psychology teacher's
    review queue and she is notified."""
    if not may_report(actor, student):
        raise PermissionDenied(NOT_REPORTER)
    errors: dict[str, Any] = {}
    if observed_on > timezone.localdate():
        errors["observed_on"] = FUTURE_DATE
    if not (description or "").strip():
        errors["description"] = DESCRIPTION_REQUIRED
    if errors:
        raise ValidationError(errors)
    observation = Observation(
        student=student,
        school_id=student.school_id,
        county_id=student.county_id,
        reporter=actor,
        category=category,
        description=description.strip(),
        observed_on=observed_on,
        on_behalf_of_peer=on_behalf_of_peer,
    )
    observation.full_clean()
    observation.save()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=observation,
        student=student,
        detail={"category": category, "on_behalf_of_peer": on_behalf_of_peer},
    )
    observation_notify(observation=observation)
    return observation


@transaction.atomic
def observation_review(
    *,
    actor: Any,
    observation: Observation,
    review_note: str,
    level: str = "",
) -> Observation:
    """The psychology teacher records her review; with a level she proposes it (a RiskProposal with
    reasons ``observation`` and ``observation_<category>``) for the comprehensive evaluation."""
    if not may_review(actor):
        raise PermissionDenied(NOT_REVIEWER)
    # Lock the row and re-check scope: two reviewers cannot both review it.
    locked = (
        scope.scoped(actor, Observation)
        .select_for_update()
        .filter(pk=observation.pk)
        .select_related("student")
        .first()
    )
    if locked is None or not may_review(actor, locked):
        raise PermissionDenied(NOT_REVIEWER)
    if locked.status != ObservationStatus.RECEIVED:
        raise ValidationError(ALREADY_REVIEWED, code="reviewed")
    errors: dict[str, Any] = {}
    if not (review_note or "").strip():
        errors["review_note"] = REVIEW_NOTE_REQUIRED
    if level and level not in RiskLevel.values:
        errors["level"] = _("Choose a valid level.")
    if errors:
        raise ValidationError(errors)
    locked.review_note = review_note.strip()
    locked.status = ObservationStatus.REVIEWED
    locked.reviewed_by = actor
    locked.reviewed_at = timezone.now()
    locked.save(update_fields=["review_note", "status", "reviewed_by", "reviewed_at"])
    detail: dict[str, Any] = {"category": locked.category}
    if level:
        proposal = RiskProposal.objects.create(
            student=locked.student,
            school_id=locked.school_id,
            county_id=locked.county_id,
            level=level,
            reasons=[REASON_OBSERVATION, f"observation_{locked.category}"],
        )
        detail["proposal"] = {"id": proposal.pk, "level": level, "reasons": proposal.reasons}
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=locked,
        student=locked.student,
        detail={"reviewed": True, **detail},
    )
    return locked
