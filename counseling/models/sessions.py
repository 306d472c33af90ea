"""Session records (辅导记录): what was said, encrypted, readable only by the counselor who wrote
it and the people the school's crisis group shares it with ("own records", see
``counseling.sessions.selectors``). A school leader reads that a session happened (date,
counselor, duration), never its content. Never deleted: the model, its queryset and a database
trigger (migration ``rooms``) refuse; after the retention period a record is archived."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from counseling.models.appointments import Appointment
from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import EncryptedTextField
from mhcare.core.risk import RiskLevel
from mhcare.orgs.models import OrgUnit, Student

USER = settings.AUTH_USER_MODEL
NEVER_DELETED = "Counseling session records are never deleted; they are archived."


class CounselingSessionQuerySet(models.QuerySet["CounselingSession"]):
    def current(self) -> CounselingSessionQuerySet:
        return self.filter(is_archived=False)

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise PermissionError(NEVER_DELETED)


class CounselingSession(models.Model):
    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="session",
    )
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    counselor = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("counselor")
    )
    held_on = models.DateField(_("date"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    theme = EncryptedTextField(_("theme"))
    summary = EncryptedTextField(_("summary"))
    plan = EncryptedTextField(_("plan"), blank=True)
    risk_observed = models.CharField(
        _("risk observed"), max_length=1, choices=RiskLevel.choices, blank=True
    )
    # When the observed risk was proposed to the crisis registry (a screening RiskProposal that
    # the comprehensive evaluation confirms or dismisses); null when nothing was proposed.
    risk_proposed_at = models.DateTimeField(null=True, blank=True)
    is_archived = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CounselingSessionQuerySet.as_manager()

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.NOTE
        # The crisis group shares one record with one person (scope.share); see the selectors.
        object_permissions = True

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("counseling session")
        verbose_name_plural = _("counseling sessions")
        indexes = [
            models.Index(fields=["counselor", "-held_on"]),
            models.Index(fields=["school", "-held_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=600),
                name="counseling_session_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(risk_observed__in=["", *RiskLevel.values]),
                name="counseling_session_risk_level",
            ),
            models.CheckConstraint(
                condition=Q(is_archived=False) | Q(archived_at__isnull=False),
                name="counseling_session_archived_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} ({self.duration_minutes} min)"

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        raise PermissionError(NEVER_DELETED)
