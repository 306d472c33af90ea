"""研判 reviews of a school crisis group and their decision on each case."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisis.models.cases import Case
from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import EncryptedTextField
from mhcare.core.risk import RiskLevel
from mhcare.orgs.models import OrgUnit

USER = settings.AUTH_USER_MODEL


class Review(models.Model):
    """A 研判 meeting of the school crisis group: who took part, the cases discussed and the
    decision per case, and when it meets next."""

    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("held on"))
    participants = EncryptedTextField(_("participants"))
    summary = EncryptedTextField(_("summary"), blank=True)
    next_review_on = models.DateField(_("next review on"), null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        kind = RecordKind.CASE

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("crisis review")
        verbose_name_plural = _("crisis reviews")
        indexes = [models.Index(fields=["school", "-held_on"])]

    def __str__(self) -> str:
        return f"{self.school_id} {self.held_on}"


class ReviewDecisionKind(models.TextChoices):
    KEEP = "keep", _("Keep the level")
    RAISE = "raise", _("Raise the level")
    LOWER = "lower", _("Lower the level")
    REFER = "refer", _("Refer")
    CLOSE = "close", _("Close the case")


class ReviewDecision(models.Model):
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="decisions")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="review_decisions")
    decision = models.CharField(_("decision"), max_length=8, choices=ReviewDecisionKind.choices)
    new_level = models.CharField(
        _("new level"), max_length=1, choices=RiskLevel.choices, blank=True
    )
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        constraints = [
            models.UniqueConstraint(fields=["review", "case"], name="crisis_one_decision_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.review_id}/{self.case_id}: {self.decision}"


# --- 上报 to the provincial platform ---------------------------------------------------------
