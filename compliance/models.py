"""Compliance reports. The rendered PDF is stored in the database so that any web replica can serve
it (reports are small; a county report is tens of kilobytes)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import OrgUnit, SchoolYear


class ReportKind(models.TextChoices):
    COUNTY_COMPLIANCE = "county_compliance", _("County compliance report")


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Rendering")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ReportRequest(models.Model):
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("org unit")
    )
    kind = models.CharField(
        _("kind"), max_length=30, choices=ReportKind.choices, default=ReportKind.COUNTY_COMPLIANCE
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, related_name="+", verbose_name=_("school year")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Reports are aggregates: visible within the subtree of a unit where the user sees aggregates.
    class Scope:
        school_field = "org_unit"
        class_field = None
        kind = RecordKind.AGGREGATE

    class Meta:
        ordering = ["-id"]
        verbose_name = _("report request")
        verbose_name_plural = _("report requests")
        indexes = [models.Index(fields=["org_unit", "-id"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.org_unit}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)

    @property
    def filename(self) -> str:
        return f"mhcare-{self.kind}-{self.org_unit.code}-{self.pk}.pdf"


class IndicatorSnapshot(models.Model):
    """One indicator of one unit for one period, as computed at ``computed_at`` (the pages say
    "as of"). Written only by ``services.snapshot_refresh`` (bulk upsert on the unique key).
    Indicators without a source have no row: they read "no data yet"."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=7)  # YYYY-MM, YYYY-S1, YYYY-S2, YYYY
    indicator = models.CharField(_("indicator"), max_length=40)
    numerator = models.PositiveIntegerField()
    denominator = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Scope:
        school_field = "unit"
        class_field = None
        kind = RecordKind.AGGREGATE

    class Meta:
        verbose_name = _("indicator snapshot")
        verbose_name_plural = _("indicator snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period", "indicator"], name="compliance_snapshot_once"
            ),
            models.CheckConstraint(
                condition=models.Q(numerator__lte=models.F("denominator")),
                name="compliance_snapshot_num_le_den",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period} {self.indicator}"
