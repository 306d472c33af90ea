"""Writes of the screening app: entering a result (and the risk level it proposes)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import scope
from mhcare.accounts.models import Role
from mhcare.accounts.scope import RecordKind
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import Student
from screening import risk, scoring
from screening.models import Instrument, InstrumentKind, RiskProposal, ScreeningResult

# Roles that enter screening results (they also see scores); others never do.
ENTRY_ROLES = frozenset({Role.PSYCH_TEACHER, Role.COUNTY_CENTER})

NOT_ALLOWED = _("You may not enter screening results for this student.")
FUTURE_DATE = _("The administration date cannot be in the future.")
NOT_ITEM_LEVEL = _("This instrument is entered as scores, not item answers.")
GRADE_NOT_COVERED = _("This instrument does not apply to the student's grade.")


def may_enter_results(actor: Any, student: Student | None = None) -> bool:
    """Whether the actor enters results at all, and (given a student) for this student."""
    if not scope.has_role(actor, *ENTRY_ROLES):
        return False
    if student is None:
        return True
    return scope.scoped(actor, Student, kind=RecordKind.SCORE).filter(pk=student.pk).exists()


@transaction.atomic
def result_create(
    *,
    actor: Any,
    student: Student,
    instrument: Instrument,
    answers: Sequence[Any],
    administered_on: datetime.date,
) -> ScreeningResult:
    """Score the answers, store the result and, when a rule matches, the proposed risk level."""
    if not may_enter_results(actor, student):
        raise PermissionDenied(NOT_ALLOWED)
    if instrument.kind != InstrumentKind.ITEM:
        raise ValidationError(NOT_ITEM_LEVEL, code="kind")
    if not instrument.applies_to_grade(student.klass.grade):
        raise ValidationError(GRADE_NOT_COVERED, code="grade")
    if administered_on > timezone.localdate():
        raise ValidationError({"administered_on": FUTURE_DATE}, code="future")
    outcome = scoring.score(instrument.definition, answers)
    result = ScreeningResult(
        student=student,
        school_id=student.school_id,
        county_id=student.county_id,
        instrument=instrument,
        answers=outcome.answers,
        total=outcome.total,
        band=outcome.band,
        is_critical=outcome.is_critical,
        entered_by=actor,
        administered_on=administered_on,
    )
    result.full_clean()
    result.save()
    proposal = risk.propose(instrument.code, outcome)
    detail: dict[str, Any] = {
        "instrument": str(instrument),
        "band": outcome.band,
        "is_critical": outcome.is_critical,
    }
    if proposal is not None:
        created = RiskProposal.objects.create(
            student=student,
            school_id=student.school_id,
            county_id=student.county_id,
            level=proposal.level,
            reasons=proposal.reasons,
            source_result=result,
        )
        detail["proposal"] = {"id": created.pk, "level": created.level, "reasons": created.reasons}
    audit_record(actor=actor, action=Action.CREATE, obj=result, student=student, detail=detail)
    return result
