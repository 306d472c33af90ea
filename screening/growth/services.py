"""Writes of the growth file: the student's support plan."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import Student
from screening.models import SupportPlan

NOT_PLAN_EDITOR = _("Only the school's psychology teacher edits the support plan.")

PLAN_FIELDS = ("goals", "measures", "responsible", "review_date")


def may_edit_plan(actor: Any, student: Student | None = None) -> bool:
    """The psychology teacher's assignment covering ``student`` (or some such assignment)."""
    return policy.allowed(actor, policy.Action.EDIT_SUPPORT_PLAN, student)


@transaction.atomic
def support_plan_save(
    *,
    actor: Any,
    student: Student,
    goals: str,
    measures: str,
    responsible: str,
    review_date: datetime.date | None,
) -> SupportPlan:
    """Create or change the student's support plan. The audit event names the fields that changed,
    never their (encrypted) contents."""
    if not may_edit_plan(actor, student):
        raise PermissionDenied(NOT_PLAN_EDITOR)
    plan = SupportPlan.objects.select_for_update().filter(student=student).first()
    created = plan is None
    if plan is None:
        plan = SupportPlan(student=student, school_id=student.school_id)
    values = {
        "goals": (goals or "").strip(),
        "measures": (measures or "").strip(),
        "responsible": (responsible or "").strip(),
        "review_date": review_date,
    }
    changed = [name for name in PLAN_FIELDS if getattr(plan, name) != values[name]]
    for name, value in values.items():
        setattr(plan, name, value)
    plan.updated_by = actor
    plan.full_clean()
    plan.save()
    audit_record(
        actor=actor,
        action=Action.CREATE if created else Action.UPDATE,
        obj=plan,
        student=student,
        detail={"changed": changed},
    )
    return plan
