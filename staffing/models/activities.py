"""MH education activities (心理健康月, themed class meetings, lectures; notice §2) and
family-education guidance (家长学校 sessions, parent lectures; notice §14), recorded per school with
their reach (how many took part)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import OrgUnit

USER = settings.AUTH_USER_MODEL


class ActivityKind(models.TextChoices):
    MH_MONTH = "mh_month", _("Mental-health month event (心理健康月)")
    CLASS_MEETING = "class_meeting", _("Themed class meeting")
    LECTURE = "lecture", _("Mental-health lecture")
    OTHER_EDUCATION = "other_education", _("Other MH education activity")
    PARENT_SCHOOL = "parent_school", _("Parent school session (家长学校)")
    PARENT_LECTURE = "parent_lecture", _("Parent lecture")
    FAMILY_GUIDANCE = "family_guidance", _("Other family-education guidance")


class ActivityCategory(models.TextChoices):
    EDUCATION = "education", _("MH education")
    FAMILY = "family", _("Family-education guidance")


FAMILY_KINDS = frozenset(
    {ActivityKind.PARENT_SCHOOL, ActivityKind.PARENT_LECTURE, ActivityKind.FAMILY_GUIDANCE}
)


def category_of(kind: str) -> str:
    return ActivityCategory.FAMILY if kind in FAMILY_KINDS else ActivityCategory.EDUCATION


class EducationActivity(models.Model):
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    # Stored (not only derived) so that counts per category are one indexed filter.
    category = models.CharField(
        _("category"), max_length=10, choices=ActivityCategory.choices, editable=False
    )
    held_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    participants = models.PositiveIntegerField(_("participants"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        kind = RecordKind.AGGREGATE

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("education activity")
        verbose_name_plural = _("education activities")
        indexes = [
            models.Index(fields=["school", "held_on"]),
            models.Index(fields=["county", "category", "held_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(category=ActivityCategory.FAMILY, kind__in=sorted(FAMILY_KINDS))
                    | (Q(category=ActivityCategory.EDUCATION) & ~Q(kind__in=sorted(FAMILY_KINDS)))
                ),
                name="activity_category_of_kind",
            ),
            models.CheckConstraint(
                condition=Q(participants__gte=1, participants__lte=100_000),
                name="activity_participants_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.title}"
