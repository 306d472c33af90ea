"""Writes of guardian consent to screening (PIPL art. 31): record a consent or a refusal."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core import registry
from mhcare.orgs.models import Student
from screening.models import ConsentDecision, ScreeningConsent

NOT_ALLOWED = _("You may not record consent for this student.")
FUTURE_DATE = _("The date of the decision cannot be in the future.")

__all__ = ["FUTURE_DATE", "NOT_ALLOWED", "consent_record", "refused_student_ids"]


def refused_student_ids(student_ids: Any) -> set[int]:
    """The students among ``student_ids`` whose guardian refused screening."""
    return set(
        ScreeningConsent.objects.filter(
            student_id__in=student_ids, decision=ConsentDecision.REFUSED
        ).values_list("student_id", flat=True)
    )


@transaction.atomic
def consent_record(
    *,
    actor: Any,
    student: Student,
    decision: str,
    way: str,
    decided_on: datetime.date,
    student_assent: bool = True,
    note: str = "",
) -> ScreeningConsent:
    """Record (or replace) the guardian's decision for ``student``; audited with the old and
    new decision. An identical decision changes nothing."""
    if not policy.allowed(actor, policy.Action.RECORD_CONSENT, student):
        raise PermissionDenied(NOT_ALLOWED)
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": FUTURE_DATE}, code="future")
    consent = ScreeningConsent.objects.select_for_update().filter(student=student).first()
    before = None
    if consent is None:
        consent = ScreeningConsent(student=student)
        action = Action.CREATE
    else:
        before = consent.decision
        same = (
            consent.decision == decision
            and consent.way == way
            and consent.decided_on == decided_on
            and consent.student_assent == student_assent
            and consent.note == note
        )
        if same:
            return consent
        action = Action.UPDATE
    consent.school_id = student.school_id
    consent.county_id = student.county_id
    consent.decision = decision
    consent.way = way
    consent.decided_on = decided_on
    consent.student_assent = student_assent
    consent.note = note
    consent.recorded_by = actor
    consent.full_clean(exclude=["student"] if action == Action.UPDATE else None)
    consent.save()
    audit_record(
        actor=actor,
        action=action,
        obj=consent,
        student=student,
        detail={
            "student": student.pk,
            "decision": decision,
            "before": before,
            "way": way,
            "assent": student_assent,
        },
    )
    # A refusal takes the student out of the coverage counts and indicators: the sweep recounts.
    registry.data_changed([student.school_id], "consent")
    return consent
