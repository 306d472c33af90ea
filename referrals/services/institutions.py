"""Institution profiles, kept by the county center and the city / province bureau."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from mhcare.accounts.models import Role, RoleAssignment
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgKind, OrgUnit
from referrals.models import FINAL_STATES, Institution, InstitutionLevel, Referral
from referrals.services.common import (
    ALREADY_PROFILED,
    CHOICE_INVALID,
    NOT_AN_INSTITUTION,
    NOT_KEEPER,
    _share,
    may_keep,
)

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
    if institution is None:
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


@transaction.atomic
def institution_shares_refresh(*, actor: Any, institution: Institution) -> int:
    """Share the institution's open referrals (sent, not closed nor withdrawn) with its current
    staff: a doctor assigned after a referral was sent sees it too. Kept by the same people who
    keep the profile; idempotent. How many referrals were shared."""
    if not may_keep(actor, institution.unit):
        raise PermissionDenied(NOT_KEEPER)
    open_referrals = list(
        Referral.objects.filter(institution=institution, sent_at__isnull=False)
        .exclude(state__in=FINAL_STATES)
        .select_related("student", "institution")
        .order_by("id")
    )
    for referral in open_referrals:
        _share(referral)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=institution,
        detail={"shares_refreshed": [r.pk for r in open_referrals]},
    )
    return len(open_referrals)
