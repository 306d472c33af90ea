"""The annual MH budget of a school or a county (notice §5): recorded, not judged. A school's is
written by its psychology teacher or leader; a county's (city's, province's) by the bureau or the
county center."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgKind, OrgUnit
from staffing.models import Budget

NOT_A_BUDGET_UNIT = gettext_lazy("A budget is recorded for a school, county, city or province.")

BUREAU_KINDS = {OrgKind.COUNTY, OrgKind.CITY, OrgKind.PROVINCE}


def may_write_budget(actor: Any, unit: OrgUnit) -> bool:
    if unit.kind == OrgKind.SCHOOL:
        return policy.allowed(actor, policy.Action.MANAGE_STAFFING, unit)
    return policy.allowed(actor, policy.Action.MANAGE_BUREAU_STAFFING, unit)


@transaction.atomic
def budget_set(*, actor: Any, unit: OrgUnit, year: int, amount: Decimal, note: str = "") -> Budget:
    """Record (or correct) the unit's MH budget for ``year``."""
    if unit.kind != OrgKind.SCHOOL and unit.kind not in BUREAU_KINDS:
        raise ValidationError({"unit": NOT_A_BUDGET_UNIT})
    if not may_write_budget(actor, unit):
        raise PermissionDenied
    row = Budget.objects.select_for_update().filter(unit=unit, year=year).first()
    created = row is None
    row = row or Budget(unit=unit, year=year)
    before = row.amount
    row.amount, row.note = amount, note.strip()
    row.full_clean()
    row.save()
    audit_record(
        actor=actor,
        action=Action.CREATE if created else Action.UPDATE,
        obj=row,
        detail={
            "operation": "budget_set",
            "unit": unit.code,
            "year": year,
            "amount": str(amount),
            "before": None if created else str(before),
        },
    )
    return row
