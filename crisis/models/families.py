"""Family contacts (家校联系), key periods and their home-visit checklists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import EncryptedTextField
from mhcare.orgs.models import OrgUnit, SchoolClass, Semester, Student

USER = settings.AUTH_USER_MODEL


class ContactWay(models.TextChoices):
    VISIT = "visit", _("Home visit")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video call")
    SCHOOL_MEETING = "school_meeting", _("Meeting at school")
    ONLINE = "online", _("Online message")


# A direct contact is a conversation with the family; an online message is not.
DIRECT_CONTACT_WAYS = (
    ContactWay.VISIT,
    ContactWay.PHONE,
    ContactWay.VIDEO,
    ContactWay.SCHOOL_MEETING,
)


class FamilyContact(models.Model):
    """A contact with a student's family (every student, not only cases)."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="family_contacts")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    klass = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    semester = models.ForeignKey(Semester, on_delete=models.PROTECT, related_name="+")
    contacted_on = models.DateField(_("date"))
    way = models.CharField(_("way"), max_length=16, choices=ContactWay.choices)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    with_whom = EncryptedTextField(_("with whom"), max_length=100)
    topics = EncryptedTextField(_("topics"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The token of the form that logged it: the same form sent twice (a double Enter, a resend)
    # stores one contact. Null for contacts logged without a form.
    submission_token = models.UUIDField(null=True, blank=True, editable=False)

    class Scope:
        school_field = "school"
        class_field = "klass"
        kind = RecordKind.FAMILY

    class Meta:
        ordering = ["-contacted_on", "-id"]
        verbose_name = _("family contact")
        verbose_name_plural = _("family contacts")
        indexes = [
            models.Index(fields=["klass", "semester"]),
            models.Index(fields=["student", "semester"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "by", "submission_token"],
                name="crisis_familycontact_one_per_submission",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.contacted_on}"

    @property
    def is_direct(self) -> bool:
        return self.way in DIRECT_CONTACT_WAYS


class KeyPeriod(models.Model):
    """A key period of a semester (开学前后, 小长假前后) in which case students and 处境不利
    students get a home visit. Defined by a unit for its subtree."""

    semester = models.ForeignKey(Semester, on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("key period")
        verbose_name_plural = _("key periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="crisis_key_period_order"
            )
        ]

    def __str__(self) -> str:
        return self.name


class HomeVisitReason(models.TextChoices):
    CASE = "case", _("Case student")
    DISADVANTAGED = "disadvantaged", _("Disadvantaged student (处境不利)")


class HomeVisit(models.Model):
    """One line of a key period's home-visit checklist: visited (with the contact) or not yet."""

    key_period = models.ForeignKey(KeyPeriod, on_delete=models.PROTECT, related_name="visits")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=16, choices=HomeVisitReason.choices)
    contact = models.ForeignKey(
        FamilyContact, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    visited_on = models.DateField(_("visited on"), null=True, blank=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.FAMILY

    class Meta:
        ordering = ["key_period", "student__name", "id"]
        verbose_name = _("key-period home visit")
        verbose_name_plural = _("key-period home visits")
        constraints = [
            models.UniqueConstraint(
                fields=["key_period", "student"], name="crisis_one_visit_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_period_id}/{self.student_id}"


# --- incidents (notice §12) ----------------------------------------------------------------------
