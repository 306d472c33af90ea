"""Supervision (督导, notice §9): supervisors' qualifications, supervision stations (督导分站 /
督导点) per county, and supervision sessions with their supervisees.

Cases discussed are de-identified by the supervisor (the form warns not to enter names) and still
encrypted. A session is read only by the supervisor who led it and its supervisees ("own
records"); nobody else, whatever their role, reads it (``counseling/supervision/selectors.py``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mhcare.core.fields import EncryptedTextField
from mhcare.orgs.models import OrgUnit

USER = settings.AUTH_USER_MODEL


class SupervisorProfile(models.Model):
    """A supervisor's qualifications (the person, not a child: plain text)."""

    user = models.OneToOneField(USER, on_delete=models.PROTECT, related_name="supervisor_profile")
    qualifications = models.TextField(_("qualifications"), blank=True)
    certificate = models.CharField(_("supervisor certificate"), max_length=100, blank=True)
    trained_on = models.DateField(_("supervisor training completed"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("supervisor profile")
        verbose_name_plural = _("supervisor profiles")

    def __str__(self) -> str:
        return str(self.user)


class StationKind(models.TextChoices):
    BRANCH = "branch", _("Supervision branch station (督导分站)")
    POINT = "point", _("Supervision point (督导点)")


class SupervisionStation(models.Model):
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=StationKind.choices)
    host = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("host unit"),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["county__path", "name"]
        verbose_name = _("supervision station")
        verbose_name_plural = _("supervision stations")
        constraints = [
            models.UniqueConstraint(fields=["county", "name"], name="station_name_per_county"),
        ]

    def __str__(self) -> str:
        return self.name


class SupervisionFormat(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual supervision")
    GROUP = "group", _("Group supervision")
    CASE_CONFERENCE = "case_conference", _("Case conference")


class SupervisionSession(models.Model):
    supervisor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(
        SupervisionStation,
        on_delete=models.PROTECT,
        related_name="sessions",
        null=True,
        blank=True,
        verbose_name=_("station"),
    )
    held_on = models.DateField(_("date"))
    format = models.CharField(_("format"), max_length=20, choices=SupervisionFormat.choices)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    supervisees: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, related_name="+", verbose_name=_("supervisees")
    )
    topic = EncryptedTextField(_("topic"))
    cases_discussed = EncryptedTextField(_("cases discussed (de-identified)"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("supervision session")
        verbose_name_plural = _("supervision sessions")
        indexes = [models.Index(fields=["supervisor", "-held_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0) & Q(duration_minutes__lte=600),
                name="supervision_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.held_on}"
