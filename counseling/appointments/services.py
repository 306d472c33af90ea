"""Appointments (预约): booking a student into a free slot of a counselor's duty shift, and the
counselor confirming, completing, marking a no-show or cancelling it.

Who books: ``BOOK_APPOINTMENT`` in an assignment covering the student — the school's psychology
teacher, the county center, and a homeroom teacher for their own class (a parent asks through
one of them). Into which rooms: the student's school's, and the county center's of the student's
county.

Double booking: the service does not look first. Two overlapping appointments of one counselor or
in one room (cancelled ones excepted) are refused by the database's exclusion constraints, also
when two requests race; the ``IntegrityError`` becomes ``SLOT_TAKEN``."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from counseling.models import Appointment, AppointmentStatus, CounselingRoom, DutyShift
from mhcare.accounts import policy
from mhcare.accounts.models import User
from mhcare.accounts.policy import Action as PolicyAction
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.notifications.services import notification_send
from mhcare.orgs.models import OrgKind, Student

NOT_BOOKER = gettext_lazy(
    "Only the student's psychology teacher, homeroom teacher or the county center books "
    "appointments."
)
ROOM_NOT_FOR_STUDENT = gettext_lazy(
    "This room is neither the student's school's nor its county center's."
)
OUTSIDE_SHIFT = gettext_lazy("The appointment must lie within the counselor's duty shift.")
IN_THE_PAST = gettext_lazy("This slot has already begun.")
SLOT_TAKEN = gettext_lazy("This slot was just booked for another student. Choose another slot.")
NOT_COUNSELOR = gettext_lazy("Only the counselor of this appointment may do this.")
NOT_ALLOWED_TRANSITION = gettext_lazy("This appointment cannot change to that status.")
CANCEL_REASON_REQUIRED = gettext_lazy("Say why the appointment is cancelled.")
TOO_EARLY = gettext_lazy("An appointment is completed or missed only once it has begun.")

NOTIFICATION_KIND = "counseling.appointment"
DOUBLE_BOOKING_CONSTRAINTS = (
    "counseling_appointment_no_double_counselor",
    "counseling_appointment_no_double_room",
)

TRANSITIONS: dict[str, frozenset[str]] = {
    AppointmentStatus.REQUESTED: frozenset(
        {AppointmentStatus.CONFIRMED, AppointmentStatus.CANCELLED}
    ),
    AppointmentStatus.CONFIRMED: frozenset(
        {AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED}
    ),
}


def slot_length() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.COUNSELING_SLOT_MINUTES)


def rooms_for_student_q(student: Student) -> Q:
    """Rooms a student may be booked into: the school's, the county center's, the county's."""
    return (
        Q(unit_id=student.school_id)
        | Q(unit__kind=OrgKind.COUNTY_CENTER, unit__parent_id=student.county_id)
        | Q(unit_id=student.county_id)
    )


def room_serves(room: CounselingRoom, student: Student) -> bool:
    unit = room.unit
    return unit.pk in (student.school_id, student.county_id) or (
        unit.kind == OrgKind.COUNTY_CENTER and unit.parent_id == student.county_id
    )


def may_book(actor: Any, student: Student | Appointment | None = None) -> bool:
    """Whether an assignment allowing booking covers the student (or an appointment's)."""
    return policy.allowed(actor, PolicyAction.BOOK_APPOINTMENT, student)


def _notify(appointment: Appointment, recipient: Any, title: str, suffix: str) -> None:
    url = reverse("counseling:appointment_detail", args=[appointment.pk])
    key = f"counseling:appointment:{appointment.pk}:{suffix}"

    def send() -> None:
        notification_send(
            recipient=recipient, kind=NOTIFICATION_KIND, key=key, title=title, url=url
        )

    transaction.on_commit(send, robust=True)


@transaction.atomic
def appointment_book(
    *,
    actor: Any,
    student: Student,
    shift: DutyShift,
    starts_at: datetime.datetime,
    topic: str = "",
) -> Appointment:
    """Book ``student`` at ``starts_at`` (one slot long) in ``shift``; the counselor is told."""
    if not may_book(actor, student):
        raise PermissionDenied(NOT_BOOKER)
    room = shift.room
    if not room_serves(room, student):
        raise ValidationError(ROOM_NOT_FOR_STUDENT, code="room")
    ends_at = starts_at + slot_length()
    if starts_at < shift.starts_at or ends_at > shift.ends_at:
        raise ValidationError(OUTSIDE_SHIFT, code="shift")
    if starts_at <= timezone.now():
        raise ValidationError(IN_THE_PAST, code="past")
    appointment = Appointment(
        shift=shift,
        room=room,
        counselor_id=shift.counselor_id,
        student=student,
        school_id=student.school_id,
        county_id=student.county_id,
        starts_at=starts_at,
        ends_at=ends_at,
        topic=(topic or "").strip(),
        booked_by=actor,
    )
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        if any(name in str(exc) for name in DOUBLE_BOOKING_CONSTRAINTS):
            raise ValidationError(SLOT_TAKEN, code="taken") from exc
        raise
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=appointment,
        student=student,
        detail={"shift": shift.pk, "counselor": shift.counselor_id, "room": room.pk},
    )
    if shift.counselor_id != getattr(actor, "pk", None):
        local = timezone.localtime(starts_at)
        _notify(
            appointment,
            shift.counselor,
            _("New counseling appointment on %(time)s") % {"time": f"{local:%Y-%m-%d %H:%M}"},
            "booked",
        )
    return appointment


def may_handle(actor: Any, appointment: Appointment) -> bool:
    return appointment.counselor_id == getattr(actor, "pk", None) and policy.allowed(
        actor, PolicyAction.COUNSEL
    )


def may_read_topic(actor: Any, appointment: Appointment) -> bool:
    """The reason for the appointment is for its counselor and the person who booked it, not for
    the school's other counselors who see the appointment in their list."""
    return getattr(actor, "pk", None) in (appointment.counselor_id, appointment.booked_by_id)


def may_cancel(actor: Any, appointment: Appointment) -> bool:
    return may_handle(actor, appointment) or (
        appointment.booked_by_id == getattr(actor, "pk", None) and may_book(actor, appointment)
    )


@transaction.atomic
def appointment_transition(
    *, actor: Any, appointment: Appointment, status: str, reason: str = ""
) -> Appointment:
    """requested → confirmed → completed / no-show; requested or confirmed → cancelled (with a
    reason, by the counselor or the teacher who booked it). Closed appointments never change."""
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if status == AppointmentStatus.CANCELLED:
        if not may_cancel(actor, locked):
            raise PermissionDenied(NOT_COUNSELOR)
    elif not may_handle(actor, locked):
        raise PermissionDenied(NOT_COUNSELOR)
    if status not in TRANSITIONS.get(locked.status, frozenset()):
        raise ValidationError(NOT_ALLOWED_TRANSITION, code="transition")
    now = timezone.now()
    previous = locked.status
    if status == AppointmentStatus.CANCELLED:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": CANCEL_REASON_REQUIRED}, code="reason")
        locked.cancel_reason = reason
    if (
        status in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
        and now < locked.starts_at
    ):
        raise ValidationError(TOO_EARLY, code="early")
    if status == AppointmentStatus.CONFIRMED:
        locked.confirmed_at = now
    else:
        locked.closed_at = now
    locked.status = status
    locked.save(update_fields=["status", "cancel_reason", "confirmed_at", "closed_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=locked,
        student=locked.student_id,
        detail={"status": [previous, status]},
    )
    local = f"{timezone.localtime(locked.starts_at):%Y-%m-%d %H:%M}"
    if status == AppointmentStatus.CONFIRMED and locked.booked_by_id != actor.pk:
        _notify(
            locked,
            locked.booked_by,
            _("Counseling appointment on %(time)s confirmed") % {"time": local},
            "confirmed",
        )
    if status == AppointmentStatus.CANCELLED:
        others = {locked.booked_by_id, locked.counselor_id} - {actor.pk}
        for user in User.objects.filter(pk__in=others):
            _notify(
                locked,
                user,
                _("Counseling appointment on %(time)s cancelled") % {"time": local},
                f"cancelled:{user.pk}",
            )
    return locked
