"""Handing a case to the student's new school, and that school's answer."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisis.models import (
    Case,
    CaseEventKind,
    CaseStatus,
    CaseTransfer,
    TransferStatus,
)
from crisis.services.common import (
    ALREADY_CLOSED,
    NOT_ALLOWED,
    OLD_SCHOOL_ACCESS_DAYS,
    TRANSFER_DECIDED,
    TRANSFER_PENDING,
    TRANSFER_SAME_SCHOOL,
    _event,
    _lock,
    _require_writer,
    _today,
)
from crisis.services.reports import report_enqueue
from mhcare.accounts import policy
from mhcare.accounts.models import Role
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgUnit


@transaction.atomic
def transfer_request(*, actor: Any, case: Case, to_school: OrgUnit, note: str = "") -> CaseTransfer:
    """The old school hands the case over to the student's new school, which must accept it."""
    case = _lock(case)
    _require_writer(actor, case.student)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(ALREADY_CLOSED, code="closed")
    if to_school.pk == case.school_id or not to_school.is_school:
        raise ValidationError({"to_school": TRANSFER_SAME_SCHOOL}, code="same")
    if CaseTransfer.objects.filter(case=case, status=TransferStatus.PENDING).exists():
        raise ValidationError(TRANSFER_PENDING, code="pending")
    transfer = CaseTransfer.objects.create(
        case=case,
        from_school_id=case.school_id,
        to_school=to_school,
        note=note.strip(),
        requested_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=transfer,
        student=case.student,
        detail={"to_school": to_school.code},
    )
    return transfer


def may_accept_transfer(actor: Any, transfer: CaseTransfer) -> bool:
    return policy.allowed(actor, policy.Action.WRITE_CASE, transfer.to_school)


@transaction.atomic
def transfer_decide(
    *, actor: Any, transfer: CaseTransfer, accept: bool, to_class: Any = None
) -> CaseTransfer:
    """The new school accepts (the case, the student's enrolment and history move; the old school
    keeps read access to what it wrote for ``OLD_SCHOOL_ACCESS_DAYS``) or declines."""
    transfer = (
        CaseTransfer.objects.select_for_update().select_related("to_school").get(pk=transfer.pk)
    )
    if not may_accept_transfer(actor, transfer):
        raise PermissionDenied(NOT_ALLOWED)
    if transfer.status != TransferStatus.PENDING:
        raise ValidationError(TRANSFER_DECIDED, code="decided")
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    if not accept:
        transfer.status = TransferStatus.DECLINED
        transfer.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=transfer, detail={"accepted": False})
        return transfer
    if to_class is None or to_class.school_id != transfer.to_school_id:
        raise ValidationError({"to_class": _("Choose the student's class at the new school.")})
    case = _lock(transfer.case)
    student = case.student
    student.school_id = transfer.to_school_id
    county_id: int = transfer.to_school.parent_id or student.county_id
    student.county_id = county_id
    student.klass = to_class
    student.save(update_fields=["school", "county", "klass", "updated_at"])
    previous_school = case.school_id
    case.school_id = transfer.to_school_id
    case.county_id = county_id
    case.responsible = (
        actor if policy.holds(actor, Role.PSYCH_TEACHER, transfer.to_school) else None
    )
    case.version += 1
    case.save()
    transfer.status = TransferStatus.ACCEPTED
    transfer.to_class = to_class
    transfer.old_school_access_until = _today() + datetime.timedelta(days=OLD_SCHOOL_ACCESS_DAYS)
    transfer.save()
    _event(
        case,
        actor=actor,
        kind=CaseEventKind.TRANSFERRED,
        reason=str(_("Transferred from another school")),
    )
    report_enqueue(case)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=case,
        student=student,
        detail={"transfer": transfer.pk, "from_school": previous_school},
    )
    return transfer
