"""Reads of rooms and the duty roster, from the units where the actor may see or keep rooms."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from counseling.models import CounselingRoom, DutyShift, OpeningHours
from counseling.rooms.services import COUNSELOR_ROLES
from mhcare.accounts import policy
from mhcare.accounts.models import RoleAssignment, User
from mhcare.accounts.policy import Action
from mhcare.orgs.models import OrgUnit, ancestor_paths


def room_list(*, actor: Any, action: Action = Action.VIEW_ROOMS) -> QuerySet[CounselingRoom]:
    """Rooms whose unit an assignment allowing ``action`` covers, with their opening hours."""
    rooms = CounselingRoom.objects.select_related("unit").prefetch_related(
        Prefetch("hours", queryset=OpeningHours.objects.order_by("weekday", "opens"))
    )
    return policy.narrow(actor, action, rooms, school_field="unit", class_field=None)


def room_get(*, actor: Any, pk: int, action: Action = Action.VIEW_ROOMS) -> CounselingRoom:
    from django.http import Http404

    room = room_list(actor=actor, action=action).filter(pk=pk).first()
    if room is None:
        raise Http404
    return room


def room_units(*, actor: Any) -> QuerySet[OrgUnit]:
    """Units where the actor may keep a room: schools and county centers (or the county)."""
    from counseling.rooms.services import ROOM_UNIT_KINDS

    return policy.units(actor, Action.MANAGE_ROOMS).filter(kind__in=ROOM_UNIT_KINDS)


def counselors_for(unit: OrgUnit) -> QuerySet[User]:
    """Active users holding a counseling role in an assignment covering ``unit`` (one query)."""
    user_ids = RoleAssignment.objects.active().filter(
        role__in=COUNSELOR_ROLES,
        klass__isnull=True,
        org_unit__path__in=ancestor_paths(unit.path),
    )
    return User.objects.filter(is_active=True, pk__in=user_ids.values("user_id")).order_by(
        "display_name", "id"
    )


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@dataclass
class WeekDay:
    day: datetime.date
    shifts: list[DutyShift] = field(default_factory=list)


@dataclass
class DutyWeek:
    start: datetime.date
    days: list[WeekDay]

    @property
    def previous(self) -> datetime.date:
        return self.start - datetime.timedelta(days=7)

    @property
    def next(self) -> datetime.date:
        return self.start + datetime.timedelta(days=7)


def shift_list(
    *, actor: Any, start: datetime.datetime, end: datetime.datetime, room: CounselingRoom | None
) -> QuerySet[DutyShift]:
    rooms = room_list(actor=actor).values("pk")
    shifts = DutyShift.objects.filter(
        room_id__in=rooms, starts_at__lt=end, ends_at__gt=start
    ).select_related("room", "counselor")
    if room is not None:
        shifts = shifts.filter(room=room)
    return shifts.order_by("starts_at", "room__name", "id")


def duty_week(*, actor: Any, day: datetime.date, room: CounselingRoom | None = None) -> DutyWeek:
    """Monday to Sunday of the week of ``day``: each day's shifts in the rooms the actor sees."""
    start = week_start(day)
    tz = timezone.get_current_timezone()
    begin = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    days = [WeekDay(start + datetime.timedelta(days=i)) for i in range(7)]
    for shift in shift_list(
        actor=actor, start=begin, end=begin + datetime.timedelta(days=7), room=room
    ):
        index = (timezone.localtime(shift.starts_at).date() - start).days
        if 0 <= index < 7:
            days[index].shifts.append(shift)
    return DutyWeek(start=start, days=days)
