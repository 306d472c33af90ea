"""The MH lesson log (notice §2: every class gets at least 2 MH class hours each month).

One row is one lesson given to one class. A teacher who gives the same lesson to several classes
logs it once (one form); the rows share a ``batch``. Hours are whole or half class hours; the
month is stored beside the date so that compliance per class and month is one grouped query on an
index."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import OrgUnit, SchoolClass

USER = settings.AUTH_USER_MODEL
# Whole and half class hours up to 8 (the database bound; the service applies the setting's
# tighter per-lesson maximum).
HOUR_STEPS = [Decimal(n) / 2 for n in range(1, 17)]


class LessonSource(models.TextChoices):
    FORM = "form", _("Logged on the form")
    IMPORT = "import", _("Imported from a file")
    API = "api", _("Sent through the API")


class Lesson(models.Model):
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    klass = models.ForeignKey(
        SchoolClass, on_delete=models.PROTECT, related_name="mh_lessons", verbose_name=_("class")
    )
    given_on = models.DateField(_("date"))
    month = models.DateField(_("month"), editable=False)
    hours = models.DecimalField(_("class hours"), max_digits=3, decimal_places=1)
    topic = models.CharField(_("topic"), max_length=200)
    teacher = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    teacher_name = models.CharField(_("teacher"), max_length=100)
    batch = models.UUIDField(default=uuid.uuid4, editable=False)
    source = models.CharField(max_length=10, choices=LessonSource.choices)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "klass"
        kind = RecordKind.AGGREGATE

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("MH lesson")
        verbose_name_plural = _("MH lessons")
        indexes = [
            models.Index(fields=["klass", "month"]),
            models.Index(fields=["school", "month"]),
            models.Index(fields=["county", "month"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(hours__in=HOUR_STEPS), name="lesson_hours_steps"),
            models.CheckConstraint(
                condition=Q(month=TruncMonth(F("given_on"))), name="lesson_month_of_date"
            ),
            # The same lesson logged twice (a file imported again) would count its hours twice.
            models.UniqueConstraint(
                fields=["klass", "given_on", "topic"], name="lesson_unique_per_class_day_topic"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_on:%Y-%m-%d} {self.topic}"
