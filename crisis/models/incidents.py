"""Extreme incidents and their emergency checklist and timeline."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import EncryptedTextField
from mhcare.orgs.models import OrgUnit, Student

USER = settings.AUTH_USER_MODEL


class IncidentKind(models.TextChoices):
    SUICIDE_ATTEMPT = "suicide_attempt", _("Suicide attempt")
    SUICIDE = "suicide", _("Suicide")
    SELF_HARM = "self_harm", _("Serious self-harm")
    VIOLENCE = "violence", _("Violence")
    RUNAWAY = "runaway", _("Running away / missing")
    OTHER = "other", _("Other extreme incident")


class IncidentSeverity(models.TextChoices):
    CRITICAL = "critical", _("Critical (death or danger to life)")
    SERIOUS = "serious", _("Serious")
    MODERATE = "moderate", _("Moderate")


class Incident(models.Model):
    """An extreme incident and its emergency checklist (each step's time). The bureau sees the
    incident, its checklist and timeline; never counseling notes, which live in cases."""

    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(_("occurred at"))
    kind = models.CharField(_("kind"), max_length=20, choices=IncidentKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=IncidentSeverity.choices)
    summary = EncryptedTextField(_("what happened"))
    students = models.ManyToManyField(Student, blank=True, related_name="+")
    plan_started_at = models.DateTimeField(_("emergency plan started"), null=True, blank=True)
    parents_contacted_at = models.DateTimeField(_("parents contacted"), null=True, blank=True)
    bureau_informed_at = models.DateTimeField(_("bureau informed"), null=True, blank=True)
    police_involved_at = models.DateTimeField(_("police involved"), null=True, blank=True)
    medical_involved_at = models.DateTimeField(
        _("medical services involved"), null=True, blank=True
    )
    postvention_at = models.DateTimeField(
        _("crisis intervention for witnesses and classmates"), null=True, blank=True
    )
    public_response_at = models.DateTimeField(_("public response"), null=True, blank=True)
    # Optional steps (police, medical services, public response) marked "not needed", with the
    # reason on the timeline; the steps the notice requires of every incident can never be.
    not_needed = ArrayField(
        models.CharField(max_length=30), default=list, blank=True, verbose_name=_("not needed")
    )
    reported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The narrative may name children: the bureau reads it only as the school cleared it of names
    # (``incident_clear_for_bureau``), and the timeline's free text only up to that moment.
    bureau_summary = EncryptedTextField(_("what happened, for the bureau (no names)"), blank=True)
    cleared_for_bureau_at = models.DateTimeField(
        _("cleared of names for the bureau"), null=True, blank=True
    )
    cleared_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Scope:
        school_field = "school"
        kind = RecordKind.INCIDENT

    class Meta:
        constraints = [
            # (the text itself is encrypted: that it is not empty is checked by the service)
            models.CheckConstraint(
                condition=models.Q(cleared_for_bureau_at__isnull=True)
                | models.Q(cleared_by__isnull=False),
                name="incident_cleared_by_someone",
            ),
        ]
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["county", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class IncidentAction(models.Model):
    """The incident's timeline: what was done, when, by whom. Append-only."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="actions")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    # Free text about what was done for whom (names, injuries, what a witness said): encrypted.
    description = EncryptedTextField(_("action"))
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        kind = RecordKind.INCIDENT

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("incident action")
        verbose_name_plural = _("incident actions")

    def __str__(self) -> str:
        return f"{self.incident_id} {self.at:%Y-%m-%d %H:%M}"
