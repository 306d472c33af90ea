"""Compliance reports, indicator snapshots, inspections, rectifications and circulars. A report's
frozen HTML and its Excel workbook are stored in the database so that any web replica can serve
it (the PDF is rendered at download with the downloader's watermark: compliance/pdf.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import OrgUnit, SchoolYear


class ReportKind(models.TextChoices):
    COUNTY_COMPLIANCE = "county_compliance", _("County compliance report")
    COMPLIANCE = "compliance", _("Compliance report")


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Rendering")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ReportRequest(models.Model):
    # None for the monthly reports the schedule generates.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
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
    # Issue 12: period code (YYYY-MM, YYYY-S1/S2, YYYY); the report is frozen as HTML (gzip) at
    # generation and rendered to PDF at download with the downloader's watermark; the Excel
    # workbook of the same tables is stored as generated.
    period = models.CharField(_("period"), max_length=7, blank=True)
    scheduled = models.BooleanField(_("monthly"), default=False)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    html = models.BinaryField(null=True, blank=True, editable=False)
    xlsx = models.BinaryField(null=True, blank=True, editable=False)
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
        constraints = [
            # The monthly schedule makes one report per unit and month, however often it runs.
            models.UniqueConstraint(
                fields=["org_unit", "period"],
                condition=models.Q(scheduled=True),
                name="compliance_report_monthly_once",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="compliance_report_progress_le_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.org_unit}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)

    @property
    def filename(self) -> str:
        return f"mhcare-{self.kind}-{self.org_unit.code}-{self.period or self.pk}-{self.pk}.pdf"

    @property
    def xlsx_filename(self) -> str:
        return self.filename[:-4] + ".xlsx"


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


# --- inspections (督查), rectifications (整改) and circulars (通报) (issue 12) ---


class Inspection(models.Model):
    """An inspection of a school or a county by a county or city official. No student data: the
    items and findings are about the unit's work (no ``Scope``: not a student-linked record;
    compliance/inspections.py filters by the unit's path)."""

    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("inspected unit")
    )
    inspected_on = models.DateField(_("date"))
    items_checked = models.TextField(_("items checked"))
    findings = models.TextField(_("findings"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-inspected_on", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"{self.unit} {self.inspected_on}"


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    REPLIED = "replied", _("Replied")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")


OPEN_RECTIFICATION_STATUSES = (
    RectificationStatus.OPEN,
    RectificationStatus.REPLIED,
    RectificationStatus.RETURNED,
)


class Rectification(models.Model):
    """A rectification notice (整改通知) from a finding, to a school's leaders, with a deadline."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="rectifications"
    )
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    finding = models.TextField(_("finding"))
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    measures = models.TextField(_("measures taken"), blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    replied_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        indexes = [models.Index(fields=["status", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="replied") | ~models.Q(measures=""),
                name="compliance_rectification_reply_has_measures",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} · {self.deadline}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RECTIFICATION_STATUSES


class RectificationEvidence(models.Model):
    rectification = models.ForeignKey(
        Rectification, on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("evidence"), upload_to="compliance/evidence/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Circular(models.Model):
    """通报: inspection results published by an official to the units below (inbox)."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("issuing unit")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(auto_now_add=True)
    inspections = models.ManyToManyField(Inspection, blank=True, related_name="+")

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("circular")
        verbose_name_plural = _("circulars")

    def __str__(self) -> str:
        return self.title


class CircularRecipient(models.Model):
    circular = models.ForeignKey(Circular, on_delete=models.CASCADE, related_name="recipients")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["circular", "user"], name="compliance_circular_once")
        ]

    def __str__(self) -> str:
        return f"{self.circular_id} → {self.user_id}"


class SnapshotRefreshPending(models.Model):
    """A county whose data changed (an import committed) and whose current-period snapshots wait
    for the next sweep (``compliance.snapshot_refresh_pending``, every minute). One row per county
    however many imports arrive before the sweep: that is the debounce."""

    county = models.OneToOneField(OrgUnit, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField()

    class Scope:
        school_field = "county"
        class_field = None
        kind = RecordKind.AGGREGATE

    class Meta:
        verbose_name = _("pending snapshot refresh")
        verbose_name_plural = _("pending snapshot refreshes")

    def __str__(self) -> str:
        return f"{self.county_id} @ {self.requested_at:%Y-%m-%d %H:%M}"


class TrendBandCount(models.Model):
    """The screening results of one county counted by instrument, calendar year, grade (of the
    student's current class), sex and band: what the trend page's band tables (notice §15) show,
    summed over the counties under the official's unit. Grouping the results live joins every
    result of the unit to its student and class — 0.6 s for a 300 k-student province, seconds for
    the whole one — so the page reads these counts instead. Written only by
    ``compliance.trends.band_counts_refresh``: for the counties an entry or import changed (the
    minute sweep) and for every county nightly (a student moving up a grade takes his past results
    with him)."""

    county = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    instrument_code = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    grade = models.PositiveSmallIntegerField()
    gender = models.CharField(max_length=1)
    band = models.CharField(max_length=30)
    count = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Scope:
        school_field = "county"
        class_field = None
        kind = RecordKind.AGGREGATE

    class Meta:
        verbose_name = _("screening band count")
        verbose_name_plural = _("screening band counts")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "instrument_code", "grade", "gender", "band"],
                name="compliance_band_count_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.county_id} {self.year} {self.instrument_code} {self.band}: {self.count}"
