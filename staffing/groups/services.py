"""Writes of a school's MH leading group and crisis-intervention group (notice §5, §7) and of a
bureau's responsibilities. A school has at most one active group of each kind (a database
constraint); establishing a new one dissolves the old the day before."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgKind, OrgUnit
from staffing.models import GroupMember, LeadingGroup, Responsibility

NOT_A_SCHOOL = gettext_lazy("Choose a school.")
NO_MEMBERS = gettext_lazy("A group needs at least one member.")
DUPLICATE_MEMBER = gettext_lazy("%(name)s is listed twice.")
NOT_A_BUREAU = gettext_lazy("Responsibilities are recorded for a county, city or province.")
ALREADY_DISSOLVED = gettext_lazy("This group has already been dissolved.")
DISSOLVED_BEFORE = gettext_lazy("A group cannot be dissolved before it was established.")


@dataclass(frozen=True)
class MemberInput:
    name: str
    role: str
    user: Any = None


def _members(group: LeadingGroup, members: Iterable[MemberInput]) -> list[GroupMember]:
    rows, seen = [], set()
    for member in members:
        name = member.name.strip()
        if name in seen:
            raise ValidationError({"members": str(DUPLICATE_MEMBER) % {"name": name}})
        seen.add(name)
        row = GroupMember(group=group, name=name, role=member.role.strip(), user=member.user)
        row.full_clean(exclude=["group"])
        rows.append(row)
    if not rows:
        raise ValidationError({"members": NO_MEMBERS})
    return rows


@transaction.atomic
def group_establish(
    *,
    actor: Any,
    school: OrgUnit,
    kind: str,
    established_on: datetime.date,
    responsible_leader: str,
    members: Iterable[MemberInput],
) -> LeadingGroup:
    """A new group of ``kind``; the school's current group of that kind (if any) is dissolved on
    the day before, so the history says who was in charge on any day."""
    if school.kind != OrgKind.SCHOOL:
        raise ValidationError({"school": NOT_A_SCHOOL})
    policy.require(actor, policy.Action.MANAGE_STAFFING, school)
    current = (
        LeadingGroup.objects.select_for_update()
        .filter(school=school, kind=kind, dissolved_on__isnull=True)
        .first()
    )
    if current is not None:
        day_before = established_on - datetime.timedelta(days=1)
        if day_before < current.established_on:
            raise ValidationError({"established_on": DISSOLVED_BEFORE})
        current.dissolved_on = day_before
        current.save(update_fields=["dissolved_on"])
    group = LeadingGroup(
        school=school,
        kind=kind,
        established_on=established_on,
        responsible_leader=responsible_leader.strip(),
    )
    group.full_clean()
    rows = _members(group, members)
    group.save()
    for row in rows:
        row.group = group
    GroupMember.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=group,
        detail={
            "operation": "group_establish",
            "school": school.code,
            "kind": kind,
            "members": len(rows),
            "replaced": current.pk if current else None,
        },
    )
    return group


@transaction.atomic
def group_set_members(
    *, actor: Any, group: LeadingGroup, responsible_leader: str, members: Iterable[MemberInput]
) -> LeadingGroup:
    group = LeadingGroup.objects.select_for_update().select_related("school").get(pk=group.pk)
    policy.require(actor, policy.Action.MANAGE_STAFFING, group.school)
    if group.dissolved_on is not None:
        raise ValidationError({"group": ALREADY_DISSOLVED})
    group.responsible_leader = responsible_leader.strip()
    group.full_clean()
    rows = _members(group, members)
    group.save(update_fields=["responsible_leader"])
    group.members.all().delete()
    GroupMember.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=group,
        detail={"operation": "group_set_members", "members": len(rows)},
    )
    return group


@transaction.atomic
def responsibility_set(
    *,
    actor: Any,
    unit: OrgUnit,
    responsible_leader: str,
    division: str,
    person_in_charge: str,
    center_role: str = "",
) -> Responsibility:
    """The bureau's responsible leader, division and person, and the county center's role."""
    if unit.kind not in {OrgKind.COUNTY, OrgKind.CITY, OrgKind.PROVINCE}:
        raise ValidationError({"unit": NOT_A_BUREAU})
    if not policy.allowed(actor, policy.Action.MANAGE_BUREAU_STAFFING, unit):
        raise PermissionDenied
    row = Responsibility.objects.select_for_update().filter(unit=unit).first()
    created = row is None
    row = row or Responsibility(unit=unit)
    row.responsible_leader = responsible_leader.strip()
    row.division = division.strip()
    row.person_in_charge = person_in_charge.strip()
    row.center_role = center_role.strip()
    row.full_clean()
    row.save()
    audit_record(
        actor=actor,
        action=Action.CREATE if created else Action.UPDATE,
        obj=row,
        detail={"operation": "responsibility_set", "unit": unit.code},
    )
    return row
