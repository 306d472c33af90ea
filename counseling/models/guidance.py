"""Individual guidance of disadvantaged students (处境不利, notice §3): who is responsible for each
student on the watch list, the individual-guidance and peer-support (朋辈帮扶) records, and the
history of flag changes with their reason.

The flags themselves live on ``Student.disadvantages`` (kernel) and are changed only through
``mhcare.orgs.services.student_set_disadvantages``. Free text about a child is encrypted."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import EncryptedTextField
from mhcare.orgs.models import OrgUnit, Student

USER = settings.AUTH_USER_MODEL


class GuidanceResponsibility(models.Model):
    """The teacher responsible for one student's individual guidance (one per student)."""

    student = models.OneToOneField(Student, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    teacher = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible teacher")
    )
    assigned_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.FLAG  # who is responsible is as visible as the flag itself

    class Meta:
        verbose_name = _("guidance responsibility")
        verbose_name_plural = _("guidance responsibilities")
        indexes = [models.Index(fields=["school", "teacher"])]

    def __str__(self) -> str:
        return f"{self.student_id} → {self.teacher_id}"


class GuidanceKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual guidance")
    PEER = "peer", _("Peer support (朋辈帮扶)")


class GuidanceRecord(models.Model):
    """One individual-guidance talk or one peer-support arrangement. Never deleted by users.

    Text (what was discussed, the peer helper, the next step) is read only by the author, the
    school's psychology teachers and the county center (``RecordKind.NOTE``); the school leader and
    the class teachers see that guidance happened (date, kind, by whom), never what was said."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=GuidanceKind.choices)
    occurred_on = models.DateField(_("date"))
    summary = EncryptedTextField(_("what was discussed"))
    peer_helper = EncryptedTextField(_("peer helper"), blank=True)
    next_step = EncryptedTextField(_("next step"), blank=True)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.NOTE

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("guidance record")
        verbose_name_plural = _("guidance records")
        indexes = [
            models.Index(fields=["student", "-occurred_on"]),
            models.Index(fields=["school", "-occurred_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"


class FlagChange(models.Model):
    """A change of a student's 处境不利 flags, with the reason (encrypted). The audit event holds
    the codes; this row holds why, for the guidance page."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    old_flags = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    new_flags = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    reason = EncryptedTextField(_("reason"))
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.NOTE

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("flag change")
        verbose_name_plural = _("flag changes")
        indexes = [models.Index(fields=["student", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.student_id} {self.changed_at:%Y-%m-%d}"
