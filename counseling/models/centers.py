"""County-center standardization (notice §8: 70 % of counties by 2025): a configurable checklist
(items seeded by a data migration), each county's entry per item with its evidence, and the
judgements "standardized / not standardized" from a given date (append-only, so the indicator can
be computed on any past date)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mhcare.orgs.models import OrgUnit

USER = settings.AUTH_USER_MODEL


class ChecklistItem(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    description = models.TextField(_("what counts"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_required = models.BooleanField(_("required for standardization"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("center checklist item")
        verbose_name_plural = _("center checklist items")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The title in the reader's language (the Chinese title is the reference)."""
        if self.title_en and (get_language() or "").startswith("en"):
            return self.title_en
        return self.title


class CenterChecklistEntry(models.Model):
    """A county center's answer for one item: met or not, and the evidence."""

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="entries")
    is_met = models.BooleanField(_("met"), default=False)
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(
        _("evidence file"), upload_to="counseling/centers/%Y/", blank=True
    )
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("center checklist entry")
        verbose_name_plural = _("center checklist entries")
        constraints = [
            models.UniqueConstraint(fields=["county", "item"], name="center_entry_once"),
            models.CheckConstraint(
                condition=~models.Q(is_met=True, evidence=""), name="center_met_needs_evidence"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county_id} {self.item_id}"


class CenterJudgement(models.Model):
    """ "The county's center is (or is no longer) standardized from ``effective_on``", judged by a
    city or province official. Append-only: the latest judgement on or before a date decides."""

    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    is_standardized = models.BooleanField(_("standardized"))
    effective_on = models.DateField(_("judged on"))
    reason = models.TextField(_("reason"), blank=True)
    judged_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_on", "-id"]
        verbose_name = _("center judgement")
        verbose_name_plural = _("center judgements")
        indexes = [models.Index(fields=["county", "-effective_on", "-id"])]

    def __str__(self) -> str:
        return f"{self.county_id} {self.effective_on} {self.is_standardized}"
