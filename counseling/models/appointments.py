"""Appointments (预约): a student booked into a slot of a counselor's duty shift. Neither a
counselor nor a room is ever booked twice at once: exclusion constraints on the half-open time
range, cancelled appointments excepted."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from counseling.models.rooms import CounselingRoom, DutyShift, IdPoint, TsTzRange
from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import EncryptedTextField
from mhcare.orgs.models import OrgUnit, Student

USER = settings.AUTH_USER_MODEL


class AppointmentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED)
CLOSED_STATUSES = (
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.CANCELLED,
)


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def active(self) -> AppointmentQuerySet:
        return self.exclude(status=AppointmentStatus.CANCELLED)


class Appointment(models.Model):
    """A student's appointment with the counselor on duty. The student's school is the scope
    (psychology teachers and the county center read it as a counseling record); the teacher who
    booked it follows it for their own class."""

    shift = models.ForeignKey(DutyShift, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(CounselingRoom, on_delete=models.PROTECT, related_name="+")
    counselor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.REQUESTED,
    )
    topic = EncryptedTextField(_("reason for the appointment"), blank=True)
    cancel_reason = EncryptedTextField(_("reason for cancelling"), blank=True)
    booked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.NOTE

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            models.Index(fields=["counselor", "starts_at"]),
            models.Index(fields=["school", "starts_at"]),
            models.Index(fields=["booked_by", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="counseling_appointment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AppointmentStatus.values),
                name="counseling_appointment_status_valid",
            ),
            # confirmed, completed and no-show were confirmed first; a closed one says when.
            models.CheckConstraint(
                condition=Q(status__in=["requested", "cancelled"]) | Q(confirmed_at__isnull=False),
                name="counseling_appointment_confirmed_at",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "confirmed"], closed_at__isnull=True)
                | Q(status__in=["completed", "no_show", "cancelled"], closed_at__isnull=False),
                name="counseling_appointment_closed_at",
            ),
            ExclusionConstraint(
                name="counseling_appointment_no_double_counselor",
                expressions=[
                    (IdPoint("counselor"), RangeOperators.OVERLAPS),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status="cancelled"),
            ),
            ExclusionConstraint(
                name="counseling_appointment_no_double_room",
                expressions=[
                    (IdPoint("room"), RangeOperators.OVERLAPS),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status="cancelled"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
