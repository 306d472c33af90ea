"""Reads of appointments: the psychology teachers and the county center of the student's school
(scope, counseling records), plus the teacher who booked it for their own class; the counselor's
day; the free slots of the counselors on duty for one student."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from counseling.appointments.services import rooms_for_student_q, slot_length
from counseling.models import Appointment, CounselingRoom, DutyShift
from mhcare.accounts import policy, scope
from mhcare.accounts.policy import Action
from mhcare.orgs.models import Student


def appointment_queryset(*, actor: Any) -> QuerySet[Appointment]:
    """Appointments in the actor's counseling scope, or booked by the actor for a student an
    assignment allowing ``BOOK_APPOINTMENT`` still covers (a homeroom teacher's own class)."""
    visible = scope.scope_q(actor, Appointment)
    booked = policy.filter_q(
        actor, Action.BOOK_APPOINTMENT, school_field="school", class_field="student__klass"
    )
    parts = []
    if visible is not None:
        parts.append(visible)
    if booked is not None:
        parts.append(Q(booked_by_id=actor.pk) & booked)
    if not parts:
        return scope.scoped(actor, Appointment).none()
    condition = parts[0] if len(parts) == 1 else parts[0] | parts[1]
    rows = Appointment.objects.filter(condition)  # scope-lint: allow scope + booker's own rows
    return rows.select_related("student", "room", "counselor", "school")


def appointment_get(*, actor: Any, pk: int) -> Appointment:
    found = appointment_queryset(actor=actor).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@dataclass(frozen=True)
class AppointmentFilters:
    day: datetime.date | None = None
    mine: bool = False  # only the actor's own appointments as counselor
    status: str = ""


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return start, start + datetime.timedelta(days=1)


def appointment_list(*, actor: Any, filters: AppointmentFilters) -> QuerySet[Appointment]:
    rows = appointment_queryset(actor=actor)
    if filters.day is not None:
        start, end = _day_bounds(filters.day)
        rows = rows.filter(starts_at__gte=start, starts_at__lt=end)
    if filters.mine:
        rows = rows.filter(counselor_id=actor.pk)
    if filters.status:
        rows = rows.filter(status=filters.status)
    return rows.order_by("starts_at", "id")


def counselor_day(*, actor: Any, day: datetime.date) -> list[Appointment]:
    """The counselor's appointments of one day (not cancelled), in time order."""
    return list(
        appointment_list(actor=actor, filters=AppointmentFilters(day=day, mine=True)).exclude(
            status="cancelled"
        )
    )


@dataclass(frozen=True)
class Slot:
    shift: DutyShift
    starts_at: datetime.datetime
    ends_at: datetime.datetime

    @property
    def value(self) -> str:
        return f"{self.shift.pk}|{self.starts_at.isoformat()}"


def free_slots(
    *, student: Student, start: datetime.date, days: int = 7, now: datetime.datetime | None = None
) -> list[Slot]:
    """The free slots of every shift in the rooms that serve ``student`` (the school's and the
    county center's), from ``start`` for ``days`` days: two queries. A slot is free when neither
    its counselor nor its room has an appointment (not cancelled) overlapping it. The database
    has the last word when two people pick the same slot."""
    now = now or timezone.now()
    begin, _ = _day_bounds(start)
    end = begin + datetime.timedelta(days=days)
    rooms = CounselingRoom.objects.filter(rooms_for_student_q(student), is_active=True)
    shifts = list(
        DutyShift.objects.filter(room__in=rooms, ends_at__gt=max(begin, now), starts_at__lt=end)
        .select_related("room", "counselor")
        .order_by("starts_at", "room__name", "id")
    )
    if not shifts:
        return []
    # Only times are read (which slots are taken); no appointment leaves this function.
    busy_q = Q(counselor_id__in={s.counselor_id for s in shifts}) | Q(
        room_id__in={s.room_id for s in shifts}
    )
    booked = Appointment.objects.active()  # scope-lint: allow times only, see above
    taken = list(
        booked.filter(busy_q, starts_at__lt=end, ends_at__gt=begin).values_list(
            "counselor_id", "room_id", "starts_at", "ends_at"
        )
    )
    length = slot_length()
    slots: list[Slot] = []
    for shift in shifts:
        at = shift.starts_at
        while at + length <= shift.ends_at:
            until = at + length
            busy = at <= now or any(
                (c == shift.counselor_id or r == shift.room_id) and s < until and e > at
                for c, r, s, e in taken
            )
            if not busy:
                slots.append(Slot(shift=shift, starts_at=at, ends_at=until))
            at = until
    return slots
