"""Counseling rooms (心理辅导室) of schools and county centers, their opening hours and the duty
roster (值班, notice §8). Rooms and shifts name no student: they are read through the policy by
the unit that keeps them, not through ``scope``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    BigIntegerRangeField,
    DateTimeRangeField,
    RangeOperators,
)
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from mhcare.orgs.models import OrgUnit

USER = settings.AUTH_USER_MODEL


class TsTzRange(Func):
    """``tstzrange(start, end)`` (half-open): the span an exclusion constraint compares."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class IdPoint(Func):
    """``int8range(id, id, '[]')``: one row's id as a one-point range, so that an exclusion
    constraint can say "same counselor (or room) and overlapping time" with the range operator
    ``&&`` alone. Plain ``id WITH =`` would need the btree_gist extension, which not every
    PostgreSQL build carries (the embedded server of `make run` does not)."""

    function = "INT8RANGE"
    template = "%(function)s(%(expressions)s, %(expressions)s, '[]')"
    output_field = BigIntegerRangeField()


class RoomStandard(models.TextChoices):
    """Standardization items of a counseling room (the province's checklist for rooms)."""

    INDIVIDUAL = "individual", _("Individual counseling room")
    GROUP = "group", _("Group activity room")
    RELAXATION = "relaxation", _("Relaxation / catharsis area")
    SANDPLAY = "sandplay", _("Sand-play equipment")
    ASSESSMENT = "assessment", _("Assessment terminal")
    PRIVACY = "privacy", _("Sound-proofed, private entrance")
    FILES = "files", _("Locked file cabinet for records")
    SIGNAGE = "signage", _("Signage and published opening hours")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class CounselingRoom(models.Model):
    """A school's or a county center's counseling room."""

    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("kept by")
    )
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    place = models.CharField(_("place"), max_length=200)
    standards = ArrayField(
        models.CharField(max_length=20, choices=RoomStandard.choices),
        default=list,
        blank=True,
        verbose_name=_("standardization items met"),
    )
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit__path", "name", "id"]
        verbose_name = _("counseling room")
        verbose_name_plural = _("counseling rooms")
        indexes = [models.Index(fields=["county", "unit"])]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="counseling_room_unique_name"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1), name="counseling_room_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def standards_met(self) -> list[str]:
        labels = dict(RoomStandard.choices)
        return [str(labels.get(code, code)) for code in self.standards]


class OpeningHours(models.Model):
    """One opening period of a room on a weekday; ``is_extended`` marks the extended after-school
    hours the notice asks for (§8)."""

    room = models.ForeignKey(CounselingRoom, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))
    is_extended = models.BooleanField(_("extended after-school hours"), default=False)

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")), name="counseling_hours_closes_after_opens"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="counseling_hours_weekday"
            ),
            models.UniqueConstraint(
                fields=["room", "weekday", "opens"], name="counseling_hours_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class DutyShift(models.Model):
    """A counselor on duty in a room from ``starts_at`` to ``ends_at``. One person never holds two
    overlapping shifts (exclusion constraint on the half-open time range)."""

    room = models.ForeignKey(CounselingRoom, on_delete=models.PROTECT, related_name="shifts")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    counselor = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("counselor on duty")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        indexes = [
            models.Index(fields=["room", "starts_at"]),
            models.Index(fields=["counselor", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="counseling_shift_ends_after_start"
            ),
            ExclusionConstraint(
                name="counseling_shift_no_overlap_per_counselor",
                expressions=[
                    (IdPoint("counselor"), RangeOperators.OVERLAPS),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room} {self.starts_at:%Y-%m-%d %H:%M}"
