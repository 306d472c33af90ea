"""Instruments (versioned data), screening results and the risk levels they propose."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import EncryptedJSONField, EncryptedTextField
from mhcare.core.risk import LEVEL_COLOURS, RiskLevel  # re-exported; callers use mhcare.core.risk
from mhcare.orgs.models import OrgUnit, Student


class InstrumentKind(models.TextChoices):
    ITEM = "item", _("Item-level (answers per item)")
    SCORE = "score", _("Score-level (subscale and total scores)")


class InstrumentQuerySet(models.QuerySet["Instrument"]):
    def active(self) -> InstrumentQuerySet:
        return self.filter(is_active=True)

    def latest_of(self, code: str) -> Instrument | None:
        """The newest active version of ``code``."""
        return self.active().filter(code=code).order_by("-version").first()


class Instrument(models.Model):
    """An instrument version. ``definition`` holds items, options, scoring, bands and critical rules
    (see ``screening/scoring.py``). A version with results is never changed: a change is a new
    version, shipped as JSON in ``screening/instruments/`` and loaded by a data migration."""

    code = models.CharField(_("code"), max_length=20)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=InstrumentKind.choices)
    definition = models.JSONField(_("definition"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="instrument_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def display_name(self, language: str | None = None) -> str:
        from screening.scoring import localized

        return localized({"zh": self.name, "en": self.name_en}, language)

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self.definition.get("items", []))

    def applies_to_grade(self, grade: int) -> bool:
        grades = self.definition.get("grades") or {}
        return int(grades.get("min", 1)) <= grade <= int(grades.get("max", 12))

    def band_label(self, code: str) -> str:
        from screening.scoring import band_label

        return band_label(self.definition, code)


class ResultSource(models.TextChoices):
    FORM = "form", _("Entry form")
    GRID = "grid", _("Entry grid")
    IMPORT = "import", _("File import")
    SELF = "self", _("Student self-administered")
    API = "api", _("API")


class ScreeningResult(models.Model):
    # No single-column index on student, school, county or campaign: each column leads a composite
    # index or the unique constraint below, which serve the same lookups (four indexes fewer to
    # keep up on every result written; see bench/README.md).
    #
    # Only ``student`` is a foreign key in the database. ``school``, ``county``, ``instrument``,
    # ``campaign`` and ``entered_by`` have ``db_constraint=False``: PostgreSQL checks a foreign
    # key row by row at COMMIT (a query and a row lock each): 3.2–7 s per key per 1 M rows
    # written (bench/README.md: with these five keys gone the 1 M-row import went from 76 s to
    # 38–40 s on one machine), and here they buy nothing:
    # - ``school`` / ``county`` are denormalised copies of the student's own (scope is one filter
    #   on them), written only by code that takes them from the student row (``result_create``,
    #   the import's resolve step, the demo data; tests/screening/test_result_integrity.py); the
    #   student is a real foreign key, and so are the student's own school and county;
    # - org units, instruments, campaigns and users are never hard-deleted while results exist:
    #   nothing deletes them in SQL, and ``on_delete=PROTECT`` stays — Django's deletion
    #   collector (admin, ``Model.delete``, ``QuerySet.delete``) still refuses with
    #   ``ProtectedError`` (tested).
    # No single-column index on ``instrument`` or ``entered_by`` either (≈ 0.5 s each per 1 M
    # rows written): no query filters or orders results by either alone except a delete's
    # PROTECT check and the guard against changing a version that has results
    # (``instrument_guard`` and its trigger, run only when code, version, kind or definition
    # change): rare admin actions, for which a scan of the table will do (0.17 s per 1 M
    # results). Every other lookup of them goes with the campaign (its indexes).
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="screening_results", db_index=False
    )
    # Denormalised from the student so that scope is one filter on the school's / county's path.
    school = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    county = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    instrument = models.ForeignKey(
        Instrument,
        on_delete=models.PROTECT,
        related_name="results",
        db_index=False,
        db_constraint=False,
    )
    campaign = models.ForeignKey(
        "Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="results",
        db_index=False,
        db_constraint=False,
    )
    source = models.CharField(
        _("source"), max_length=10, choices=ResultSource.choices, default=ResultSource.FORM
    )
    # Item answers for item-level instruments (None = the student refused the item, as in ASQ);
    # empty for score-level instruments, whose entered scores are in ``scores``.
    answers = ArrayField(
        models.SmallIntegerField(null=True), default=list, blank=True, verbose_name=_("answers")
    )
    scores = models.JSONField(_("subscale scores"), default=dict, blank=True)
    total = models.SmallIntegerField(_("total"))
    band = models.CharField(_("band"), max_length=30, blank=True)
    is_critical = models.BooleanField(_("critical item"), default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
        db_index=False,
        db_constraint=False,
    )
    administered_on = models.DateField(_("administered on"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.SCORE

    class Meta:
        ordering = ["-administered_on", "-id"]
        verbose_name = _("screening result")
        verbose_name_plural = _("screening results")
        # Beside the primary key, the unique constraint below and the student's foreign key (what
        # the domain needs), each index names the query that uses it — checked with EXPLAIN
        # ANALYZE on the bench county of bench/import_screening.py (300 000 results, 30 schools),
        # dropping each in turn (bench/README.md, "Indexes of the results table"):
        indexes = [
            # Scope of a school's actors (``scope.scoped``: the results of one school) in id
            # order: the results API list ``ResultListCreateApi``'s keyset pages read from the
            # index (with the school alone the planner walked the primary key filtered by it,
            # reading the results of every school before: tests/perf/test_index_plans.py), and,
            # in a BitmapAnd with the unique constraint's index (the student's), ``result_list``.
            models.Index(fields=["school", "id"], name="result_school_id"),
            # The same for a county's actors (their scope filters on the row's own county
            # column), and ``compliance.trends`` band tables (``county_id IN …``, a snapshot
            # refresh that reads each county's results).
            models.Index(fields=["county", "id"], name="result_county_id"),
            # ``ResultListCreateApi`` with ``?campaign=`` (campaign + the actor's schools,
            # ordered by id): 30 ms for a school instead of 75 ms on the unique index + school
            # index, 0.5 s instead of 1.6 s for a county.
            models.Index(fields=["campaign", "school"]),
        ]
        constraints = [
            # One result per student and instrument in a campaign: re-imports and autosaves upsert
            # (``ON CONFLICT (campaign_id, student_id, instrument_id)``). A result outside any
            # campaign has no campaign, and NULLs are distinct: it never conflicts, as when this
            # was a partial index ``WHERE campaign_id IS NOT NULL``.
            #
            # Its index leads with the student, so that it is also the student's index:
            # ``screening.selectors.result_list`` (a student's results: the student page, growth
            # trends, crisis case page) and the ``Exists`` of ``compliance.selectors.
            # screening_coverage`` / ``compliance.computations`` (student + date range).
            # One index fewer to keep up on every result written than a campaign-led unique
            # index beside a ``(student, administered_on)`` one (migration 0014: the import's
            # INSERT 20–25 % faster; bench/README.md).
            models.UniqueConstraint(
                fields=["student", "campaign", "instrument"],
                name="result_once_per_campaign",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} {self.total}"

    @property
    def band_label(self) -> str:
        return self.instrument.band_label(self.band)


class CriticalAlertPending(models.Model):
    """The outbox of critical-result alerts: one row per critical result stored, written in the
    transaction that stores the result (the form's ``result_create``, the import's), deleted in
    the transaction that sends the result's alerts (``screening.alerts.alert_pending``). The
    alerts are sent on the alerts queue right after COMMIT and, whatever happens then (a broker
    down, a worker killed, a failed send), by the every-minute sweep: a critical result is never
    left without its alert. Holds no more than the result's id."""

    result = models.OneToOneField(
        ScreeningResult, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("critical alert to send")
        verbose_name_plural = _("critical alerts to send")

    def __str__(self) -> str:
        return f"alert of result {self.result_id}"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Pending evaluation")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


OPEN_PROPOSAL_STATUSES = (ProposalStatus.PENDING, ProposalStatus.CONFIRMED)


class RiskProposalQuerySet(models.QuerySet["RiskProposal"]):
    def open(self) -> RiskProposalQuerySet:
        return self.filter(status__in=OPEN_PROPOSAL_STATUSES)

    def pending(self) -> RiskProposalQuerySet:
        return self.filter(status=ProposalStatus.PENDING)


class RiskProposal(models.Model):
    """A level proposed by a rule (never decided by one): the crisis registry's evaluation confirms,
    raises, lowers or dismisses it. Case-level record: homeroom teachers read it only as a flag
    (``scoped(..., kind=RecordKind.FLAG)``)."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="risk_proposals")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("proposed level"), max_length=1, choices=RiskLevel.choices)
    reasons = ArrayField(models.CharField(max_length=64), default=list, verbose_name=_("reasons"))
    source_result = models.ForeignKey(
        ScreeningResult,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RiskProposalQuerySet.as_manager()

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.CASE

    class Meta:
        ordering = ["-id"]
        verbose_name = _("risk proposal")
        verbose_name_plural = _("risk proposals")
        indexes = [
            models.Index(
                fields=["county", "-id"],
                name="proposal_open_county",
                condition=Q(status__in=["pending", "confirmed"]),
            ),
            models.Index(
                fields=["school", "-id"],
                name="proposal_open_school",
                condition=Q(status__in=["pending", "confirmed"]),
            ),
            models.Index(fields=["student", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} → {self.level}"

    @property
    def colour(self) -> str:
        return LEVEL_COLOURS.get(RiskLevel(self.level), "")

    @property
    def reason_labels(self) -> list[str]:
        from screening.risk import reason_label

        return [reason_label(code) for code in self.reasons]


def default_target_grades() -> list[int]:
    return list(range(4, 13))


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def open_on(self, day: Any) -> CampaignQuerySet:
        return self.filter(window_start__lte=day, window_end__gte=day)


class Campaign(models.Model):
    """A screening campaign (测评批次) run by a unit (province, city, county or school): every
    school in that unit's subtree takes part. Not student-linked itself; its results are."""

    name = models.CharField(_("name"), max_length=200)
    school_year = models.ForeignKey(
        "orgs.SchoolYear", on_delete=models.PROTECT, related_name="+", verbose_name=_("school year")
    )
    semester = models.ForeignKey(
        "orgs.Semester",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("semester"),
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("run by")
    )
    target_grades = ArrayField(
        models.PositiveSmallIntegerField(),
        default=default_target_grades,
        verbose_name=_("target grades"),
    )
    window_start = models.DateField(_("window opens"))
    window_end = models.DateField(_("window closes"))
    allow_self_screening = models.BooleanField(
        _("students may answer with one-time codes"), default=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When its pre-aggregated coverage (``CampaignCoverage``) was last refreshed, in part or whole.
    coverage_computed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-window_start", "-id"]
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gte=models.F("window_start")), name="campaign_window_order"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CampaignInstrument(models.Model):
    """Which instrument the campaign uses for which grades (e.g. PHQ-9 for 4–6, PHQ-A for 7–12)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="instruments")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    grade_min = models.PositiveSmallIntegerField(_("from grade"), default=4)
    grade_max = models.PositiveSmallIntegerField(_("to grade"), default=12)

    class Meta:
        ordering = ["grade_min", "id"]
        verbose_name = _("campaign instrument")
        verbose_name_plural = _("campaign instruments")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "instrument", "grade_min"], name="campaign_instrument_unique"
            ),
            models.CheckConstraint(
                condition=Q(
                    grade_min__gte=1, grade_max__lte=12, grade_max__gte=models.F("grade_min")
                ),
                name="campaign_instrument_grades",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} ({self.grade_min}–{self.grade_max})"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Importing")
    FAILED = "failed", _("Rejected: nothing stored")
    DONE = "done", _("Imported")


class ImportJob(models.Model):
    """One uploaded results file. Validated in full before anything is stored (all-or-nothing)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="imports")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file"), editable=False)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    inserted_rows = models.PositiveIntegerField(default=0)
    # Rows of students not screened (a student number, no answer at all): skipped, counted.
    blank_rows = models.PositiveIntegerField(default=0)
    # The template's example rows found in the file: never imported.
    example_rows = models.PositiveIntegerField(default=0)
    # Error texts quote the cells (names): encrypted at rest.
    errors = EncryptedJSONField(default=list, blank=True)
    # Every error counted by kind: {kind: [rows, errors]} (``errors`` keeps the first ones).
    error_counts = models.JSONField(default=dict, blank=True)
    # Runs started: a job that kills its worker is redelivered (acks_late) and given up after
    # ``services.MAX_ATTEMPTS``.
    attempts = models.PositiveSmallIntegerField(default=0)
    # Of the results stored (a done job): those at the instrument's critical threshold (each
    # alerted after the import's COMMIT: screening.alerts) and the risk levels proposed for a
    # person to review — what the uploader has to act on next (the job's page says so).
    critical_rows = models.PositiveIntegerField(default=0)
    proposal_rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Scope:
        school_field = "school"
        kind = RecordKind.SCORE

    class Meta:
        ordering = ["-id"]
        verbose_name = _("results import")
        verbose_name_plural = _("results imports")

    def __str__(self) -> str:
        return self.filename

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def checked_rows(self) -> int:
        """Rows checked: those of the file minus the students not screened."""
        return max(0, self.total_rows - self.blank_rows)

    @property
    def unchanged_rows(self) -> int:
        return max(0, self.checked_rows - self.inserted_rows)

    @property
    def error_total(self) -> int:
        """Errors found in the file: all of them counted, not only those kept."""
        counted = sum(int(c[1]) for c in (self.error_counts or {}).values())
        return counted or len([e for e in self.errors or [] if e.get("row") is not None])

    @property
    def outcome_label(self) -> str:
        """The status as the pages say it: "imported" only when something was stored."""
        if self.status == ImportStatus.DONE and not self.inserted_rows:
            return str(_("Nothing changed: every row was already stored"))
        return str(self.get_status_display())


class ObservationCategory(models.TextChoices):
    MOOD = "mood", _("Mood change")
    BEHAVIOUR = "behaviour", _("Behaviour")
    ACADEMIC = "academic", _("Academic drop")
    CONFLICT = "conflict", _("Conflict")
    FAMILY = "family", _("Family event")
    SELF_HARM = "self_harm", _("Signs of self-harm")
    OTHER = "other", _("Other")


class ObservationStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    REVIEWED = "reviewed", _("Reviewed")


class Observation(models.Model):
    """A dynamic observation (动态观察) reported by a homeroom or subject teacher. The reporter sees
    only that it was received; the school's psychology teacher reviews it."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="observations")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported by"),
    )
    category = models.CharField(_("category"), max_length=20, choices=ObservationCategory.choices)
    description = EncryptedTextField(_("description"))
    on_behalf_of_peer = models.BooleanField(
        _("reported on behalf of the class's peer counselor (心理委员)"), default=False
    )
    observed_on = models.DateField(_("observed on"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ObservationStatus.choices,
        default=ObservationStatus.RECEIVED,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = EncryptedTextField(_("review note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.OBSERVATION

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        indexes = [
            models.Index(fields=["school", "status", "-id"]),
            models.Index(fields=["reporter", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.student_id}"


class SelfScreeningCode(models.Model):
    """A one-time code with which a student answers a campaign's instrument at a school computer,
    without an account. Only a hash of the code is stored."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="self_codes")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_on = models.DateField(_("expires on"))
    used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.SCORE

    class Meta:
        ordering = ["student__name", "id"]
        verbose_name = _("self-screening code")
        verbose_name_plural = _("self-screening codes")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "student", "instrument"], name="self_code_once_per_student"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.student_id}"


# --- guardian consent and notice (PIPL art. 31; issue 13) ---


class ConsentDecision(models.TextChoices):
    CONSENTED = "consented", _("Consented")
    REFUSED = "refused", _("Refused")


class ConsentWay(models.TextChoices):
    WRITTEN = "written", _("Written form")
    ONLINE = "online", _("Online")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")


class ScreeningConsent(models.Model):
    """The guardian's decision on the screening of one student (consent or refusal), with the
    student's assent, the date and the way it was given. One row per student: a new decision
    replaces the old one (the audit log keeps the history). A refusal excludes the student from
    every screening: no result is entered or imported for them, and coverage counts them apart."""

    student = models.OneToOneField(
        Student, on_delete=models.PROTECT, related_name="screening_consent"
    )
    # Denormalised from the student (scope is one filter on the school).
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(
        _("guardian's decision"), max_length=10, choices=ConsentDecision.choices
    )
    student_assent = models.BooleanField(_("the student assents"), default=True)
    way = models.CharField(_("given by"), max_length=10, choices=ConsentWay.choices)
    decided_on = models.DateField(_("date"))
    note = EncryptedTextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.STUDENT

    class Meta:
        ordering = ["student_id"]
        verbose_name = _("screening consent")
        verbose_name_plural = _("screening consents")
        indexes = [models.Index(fields=["school", "decision"])]

    def __str__(self) -> str:
        return f"{self.student_id}: {self.decision}"

    @property
    def refused(self) -> bool:
        return self.decision == ConsentDecision.REFUSED


class CampaignCoverage(models.Model):
    """Pre-aggregated coverage of a campaign in one school (issue 14): the counts the coverage
    pages of units above a school sum up, so that an official's page (reloaded every 30 s) never
    counts students live. Refreshed after imports (the per-minute sweep of the counties an import
    changed), every night, and when a campaign is created
    (``screening.campaigns.services.campaign_coverage_refresh``); ``computed_at`` is the "as of"
    the page shows. A school with no student in the campaign's grades has no row (0 of 0)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    enrolled = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    # Counts only, read as aggregates within the subtree of a unit where the user sees them.
    class Scope:
        school_field = "school"
        class_field = None
        kind = RecordKind.AGGREGATE

    class Meta:
        verbose_name = _("campaign coverage")
        verbose_name_plural = _("campaign coverage")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "school"], name="campaign_coverage_unique"),
            models.CheckConstraint(
                condition=Q(completed__lte=models.F("enrolled")), name="campaign_coverage_counts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.school_id}: {self.completed}/{self.enrolled}"
