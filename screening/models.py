"""Instruments (versioned data), screening results and the risk levels they propose."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
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


class ScreeningResult(models.Model):
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="screening_results")
    # Denormalised from the student so that scope is one filter on the school's / county's path.
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="results")
    answers = ArrayField(models.SmallIntegerField(), verbose_name=_("answers"))
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
        indexes = [
            models.Index(fields=["student", "-administered_on"]),
            models.Index(fields=["school", "administered_on"]),
            models.Index(fields=["county", "administered_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} {self.total}"

    @property
    def band_label(self) -> str:
        return self.instrument.band_label(self.band)


class RiskLevel(models.TextChoices):
    LEVEL_1 = "1", _("Level 1 (red)")
    LEVEL_2 = "2", _("Level 2 (orange)")
    LEVEL_3 = "3", _("Level 3 (yellow)")


LEVEL_COLOURS = {RiskLevel.LEVEL_1: "red", RiskLevel.LEVEL_2: "orange", RiskLevel.LEVEL_3: "yellow"}


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
