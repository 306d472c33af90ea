"""Writes of counseling rooms, their opening hours and the duty roster.

Who writes: an assignment allowing ``MANAGE_ROOMS`` (psychology teacher or leader of the school,
county center staff) that covers the room's unit. The counselor on duty holds ``COUNSEL`` (a
psychology teacher or county center staff member) in an assignment covering the room's unit.
Overlapping shifts of one person are refused by the database (exclusion constraint); the
``IntegrityError`` becomes ``SHIFT_OVERLAP``."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from counseling.models import CounselingRoom, DutyShift, OpeningHours, RoomStandard
from mhcare.accounts import policy
from mhcare.accounts.policy import Action as PolicyAction
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgKind, OrgUnit

NOT_KEEPER = _("Only the school's psychology teacher or leader, or the county center, keeps rooms.")
ROOM_UNIT_KIND = _("A counseling room belongs to a school or a county center.")
NAME_TAKEN = _("This unit already has a room with this name.")
CLOSES_BEFORE_OPENS = _("The closing time must be after the opening time.")
HOURS_TAKEN = _("These opening hours already exist.")
NOT_A_COUNSELOR = _(
    "The counselor on duty must be a psychology teacher or county center staff member of this unit."
)
SHIFT_ORDER = _("The shift must end after it starts.")
SHIFT_OVERLAP = _("This person already holds a shift at that time.")
SHIFT_HAS_APPOINTMENTS = _("This shift has appointments; cancel them first.")
ROOM_INACTIVE = _("This room is not in use.")

ROOM_UNIT_KINDS = (OrgKind.SCHOOL, OrgKind.COUNTY_CENTER, OrgKind.COUNTY)
COUNSELOR_ROLES = policy.ACTION_RULES[PolicyAction.COUNSEL].roles
SHIFT_CONSTRAINT = "counseling_shift_no_overlap_per_counselor"


def may_manage(actor: Any, unit: OrgUnit | None = None) -> bool:
    return policy.allowed(actor, PolicyAction.MANAGE_ROOMS, unit)


def _require_keeper(actor: Any, unit: OrgUnit) -> None:
    if not may_manage(actor, unit):
        raise PermissionDenied(NOT_KEEPER)


def county_of(unit: OrgUnit) -> OrgUnit:
    county = unit.ancestor_of_kind(OrgKind.COUNTY)
    if county is None:
        raise ValidationError({"unit": ROOM_UNIT_KIND}, code="unit_kind")
    return county


def is_counselor(user: Any, unit: OrgUnit) -> bool:
    """Whether ``user`` holds a counseling role in an assignment covering ``unit``."""
    return any(policy.holds(user, role, unit) for role in COUNSELOR_ROLES)


def _clean_standards(standards: Sequence[str]) -> list[str]:
    wanted = set(standards)
    return [code for code in RoomStandard.values if code in wanted]


@transaction.atomic
def room_create(
    *,
    actor: Any,
    unit: OrgUnit,
    name: str,
    place: str,
    standards: Sequence[str] = (),
    capacity: int = 1,
) -> CounselingRoom:
    _require_keeper(actor, unit)
    if unit.kind not in ROOM_UNIT_KINDS:
        raise ValidationError({"unit": ROOM_UNIT_KIND}, code="unit_kind")
    room = CounselingRoom(
        unit=unit,
        county=county_of(unit),
        name=(name or "").strip(),
        place=(place or "").strip(),
        standards=_clean_standards(standards),
        capacity=capacity,
    )
    room.full_clean(validate_constraints=False)
    if CounselingRoom.objects.filter(unit=unit, name=room.name).exists():
        raise ValidationError({"name": NAME_TAKEN}, code="name_taken")
    room.save()
    audit_record(actor=actor, action=Action.CREATE, obj=room, detail={"unit": unit.pk})
    return room


@transaction.atomic
def room_update(
    *,
    actor: Any,
    room: CounselingRoom,
    name: str,
    place: str,
    standards: Sequence[str],
    capacity: int,
    is_active: bool = True,
) -> CounselingRoom:
    room = CounselingRoom.objects.select_for_update().select_related("unit").get(pk=room.pk)
    _require_keeper(actor, room.unit)
    room.name = (name or "").strip()
    room.place = (place or "").strip()
    room.standards = _clean_standards(standards)
    room.capacity = capacity
    room.is_active = is_active
    room.full_clean(validate_constraints=False)
    if CounselingRoom.objects.filter(unit=room.unit, name=room.name).exclude(pk=room.pk).exists():
        raise ValidationError({"name": NAME_TAKEN}, code="name_taken")
    room.save()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=room,
        detail={"standards": room.standards, "capacity": capacity, "is_active": is_active},
    )
    return room


@transaction.atomic
def opening_hours_add(
    *,
    actor: Any,
    room: CounselingRoom,
    weekday: int,
    opens: datetime.time,
    closes: datetime.time,
    is_extended: bool = False,
) -> OpeningHours:
    _require_keeper(actor, room.unit)
    if closes <= opens:
        raise ValidationError({"closes": CLOSES_BEFORE_OPENS}, code="order")
    hours = OpeningHours(
        room=room, weekday=weekday, opens=opens, closes=closes, is_extended=is_extended
    )
    hours.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            hours.save()
    except IntegrityError as exc:
        raise ValidationError(HOURS_TAKEN, code="taken") from exc
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=hours,
        detail={"room": room.pk, "weekday": weekday, "extended": is_extended},
    )
    return hours


@transaction.atomic
def opening_hours_remove(*, actor: Any, hours: OpeningHours) -> None:
    _require_keeper(actor, hours.room.unit)
    audit_record(actor=actor, action=Action.DELETE, obj=hours, detail={"room": hours.room_id})
    hours.delete()


@transaction.atomic
def shift_create(
    *,
    actor: Any,
    room: CounselingRoom,
    counselor: Any,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
) -> DutyShift:
    """Put ``counselor`` on duty in ``room``. Two overlapping shifts of one person: the database
    refuses the second (also when two requests race), reported as ``SHIFT_OVERLAP``."""
    _require_keeper(actor, room.unit)
    if not room.is_active:
        raise ValidationError(ROOM_INACTIVE, code="inactive")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": SHIFT_ORDER}, code="order")
    if not is_counselor(counselor, room.unit):
        raise ValidationError({"counselor": NOT_A_COUNSELOR}, code="counselor")
    shift = DutyShift(
        room=room,
        unit_id=room.unit_id,
        counselor=counselor,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError as exc:
        if SHIFT_CONSTRAINT in str(exc):
            raise ValidationError(SHIFT_OVERLAP, code="overlap") from exc
        raise
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=shift,
        detail={"room": room.pk, "counselor": counselor.pk},
    )
    return shift


@transaction.atomic
def shift_remove(*, actor: Any, shift: DutyShift) -> None:
    shift = DutyShift.objects.select_for_update().select_related("room__unit").get(pk=shift.pk)
    _require_keeper(actor, shift.room.unit)
    if shift.appointments.active().exists():
        raise ValidationError(SHIFT_HAS_APPOINTMENTS, code="appointments")
    audit_record(
        actor=actor,
        action=Action.DELETE,
        obj=shift,
        detail={"room": shift.room_id, "counselor": shift.counselor_id},
    )
    shift.delete()
