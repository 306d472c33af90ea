"""The support plan of the 一生一策 growth file: a kernel record, read and written here. The growth
file's pages (screening/growth) and any app that adds to a student's plan call these functions;
none writes the plan's rows itself."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import policy, scope
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import Student, SupportPlan

NOT_PLAN_EDITOR = _("Only the school's psychology teacher edits the support plan.")

PLAN_FIELDS = ("goals", "measures", "responsible", "review_date")


def may_edit_plan(actor: Any, student: Student | None = None) -> bool:
    """The psychology teacher's assignment covering ``student`` (or some such assignment)."""
    return policy.allowed(actor, policy.Action.EDIT_SUPPORT_PLAN, student)


def support_plan_get(*, actor: Any, student: Student) -> SupportPlan | None:
    """The student's plan, if the actor may read it (as case records are read)."""
    return (
        scope.scoped(actor, SupportPlan)
        .filter(student=student)
        .select_related("updated_by")
        .first()
    )


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
