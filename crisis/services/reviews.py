"""研判 reviews of a school's crisis group and the decisions they apply to cases."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from crisis.models import (
    Case,
    CaseStatus,
    Review,
    ReviewDecision,
    ReviewDecisionKind,
)
from crisis.services.cases import case_change_level, case_set_status
from crisis.services.common import (
    CASE_OTHER_SCHOOL,
    DECISION_DIRECTION,
    DECISION_LEVEL,
    FUTURE_DATE,
    NO_DECISIONS,
    NOT_ALLOWED,
    REASON_REQUIRED,
    _today,
    may_record_reviews,
)
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.risk import RiskLevel
from mhcare.orgs.models import OrgUnit


@dataclass(frozen=True)
class DecisionInput:
    case: Case
    decision: str
    new_level: str = ""
    note: str = ""


@transaction.atomic
def review_record(
    *,
    actor: Any,
    school: OrgUnit,
    held_on: datetime.date,
    participants: str,
    decisions: Iterable[DecisionInput],
    summary: str = "",
    next_review_on: datetime.date | None = None,
) -> Review:
    """Record a 研判 meeting of the school crisis group and apply its decisions: keep, raise or
    lower a level, refer, close. Changes made here carry the review (so a 一级 case may be
    lowered or closed)."""
    if not may_record_reviews(actor, school):
        raise PermissionDenied(NOT_ALLOWED)
    errors: dict[str, Any] = {}
    if held_on > _today():
        errors["held_on"] = FUTURE_DATE
    if next_review_on is not None and next_review_on <= held_on:
        errors["next_review_on"] = _("The next review comes after this one.")
    participants = (participants or "").strip()
    if not participants:
        errors["participants"] = REASON_REQUIRED
    decisions = list(decisions)
    if not decisions:
        errors["decisions"] = NO_DECISIONS
    for item in decisions:
        if item.case.school_id != school.pk:
            errors["decisions"] = CASE_OTHER_SCHOOL
        if item.decision in (ReviewDecisionKind.RAISE, ReviewDecisionKind.LOWER):
            if item.new_level not in RiskLevel.values:
                errors["decisions"] = DECISION_LEVEL
            elif (item.decision == ReviewDecisionKind.RAISE) != (item.new_level < item.case.level):
                errors["decisions"] = DECISION_DIRECTION
    if errors:
        raise ValidationError(errors)
    review = Review.objects.create(
        school=school,
        held_on=held_on,
        participants=participants,
        summary=summary.strip(),
        next_review_on=next_review_on,
        created_by=actor,
    )
    reason_base = str(_("研判 review of %(date)s") % {"date": held_on})
    for item in decisions:
        ReviewDecision.objects.create(
            review=review,
            case=item.case,
            decision=item.decision,
            new_level=item.new_level,
            note=item.note,
        )
        reason = f"{reason_base}: {item.note}".strip().rstrip(":")
        if item.decision in (ReviewDecisionKind.RAISE, ReviewDecisionKind.LOWER):
            case_change_level(
                actor=actor, case=item.case, level=item.new_level, reason=reason, review=review
            )
        elif item.decision == ReviewDecisionKind.REFER:
            case_set_status(
                actor=actor,
                case=item.case,
                status=CaseStatus.REFERRED,
                reason=reason,
                review=review,
            )
        elif item.decision == ReviewDecisionKind.CLOSE:
            case_set_status(
                actor=actor,
                case=item.case,
                status=CaseStatus.CLOSED,
                reason=reason,
                review=review,
            )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=review,
        detail={
            "cases": [d.case.pk for d in decisions],
            "decisions": [d.decision for d in decisions],
        },
    )
    return review


# --- transfers -----------------------------------------------------------------------------------
