"""The 上报 outbox row: one per (case, version) the provincial platform must learn."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crisis.models.cases import Case
from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import EncryptedJSONField, EncryptedTextField
from mhcare.core.risk import RiskLevel
from mhcare.orgs.models import OrgUnit

USER = settings.AUTH_USER_MODEL


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Reported")
    FAILED = "failed", _("Failed, retrying")


class CaseReport(models.Model):
    """The outbox of 上报: one row per (case, version) of a 一级 / 二级 case, and one for the
    version that takes a reported case off that register (lowered to 三级 or closed). A Celery
    task sends ``payload`` to the provincial endpoint with retries; what was sent and when stays
    here (encrypted: the payload names the student)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    level = models.CharField(max_length=1, choices=RiskLevel.choices)
    # The body sent to the platform names the student: encrypted at rest.
    payload = EncryptedJSONField()
    due_by = models.DateTimeField(_("report due by"))
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = EncryptedTextField(blank=True)  # may quote the platform echoing the body
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    response = EncryptedJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "case__student__klass"
        kind = RecordKind.CASE

    class Meta:
        ordering = ["due_by", "id"]
        verbose_name = _("上报 report")
        verbose_name_plural = _("上报 reports")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "version"], name="crisis_report_once_per_version"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="report_unsent",
                condition=~Q(status="sent"),
            ),
            models.Index(fields=["county", "status", "due_by"]),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} v{self.version}"


# --- families (notice §10, §14) ------------------------------------------------------------------
