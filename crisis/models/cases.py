"""Comprehensive evaluations (综合评估), cases with their level and status history, transfers,
follow-ups (回访) and homeroom tasks."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import EncryptedTextField
from mhcare.core.risk import LEVEL_COLOURS, RiskLevel
from mhcare.orgs.models import OrgUnit, SchoolClass, Student
from screening.models import RiskProposal

USER = settings.AUTH_USER_MODEL


# --- comprehensive evaluation (综合评估) ---------------------------------------------------------


class Evaluation(models.Model):
    """A person's decision on a student's level, made on the evaluation page from the student's
    results, proposals and observations. ``level`` empty = below the thresholds (no case)."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="evaluations")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(
        _("confirmed level"), max_length=1, choices=RiskLevel.choices, blank=True
    )
    reason = EncryptedTextField(_("reason"))
    proposals = models.ManyToManyField(RiskProposal, blank=True, related_name="evaluations")
    case = models.ForeignKey(
        "Case", on_delete=models.PROTECT, null=True, blank=True, related_name="evaluations"
    )
    evaluated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    evaluated_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.CASE

    class Meta:
        ordering = ["-evaluated_at", "-id"]
        verbose_name = _("comprehensive evaluation")
        verbose_name_plural = _("comprehensive evaluations")
        indexes = [models.Index(fields=["student", "-evaluated_at"])]

    def __str__(self) -> str:
        return f"{self.student_id}: {self.level or '-'}"


# --- cases ---------------------------------------------------------------------------------------


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MONITORING = "monitoring", _("Monitoring")
    REFERRED = "referred", _("Referred")
    CLOSED = "closed", _("Closed")


ACTIVE_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.MONITORING, CaseStatus.REFERRED)


class CaseSource(models.TextChoices):
    SCREENING = "screening", _("Screening")
    OBSERVATION = "observation", _("Observation")
    SELF_REFERRAL = "self_referral", _("Self-referral")
    PARENT = "parent", _("Parent")
    INCIDENT = "incident", _("Incident")
    TRANSFER = "transfer", _("Transfer from another school")


class CaseQuerySet(models.QuerySet["Case"]):
    def active(self) -> CaseQuerySet:
        return self.exclude(status=CaseStatus.CLOSED)

    def overdue(self, today: datetime.date) -> CaseQuerySet:
        return self.active().filter(next_follow_up_due__lt=today)


class Case(models.Model):
    """A student at risk. At most one case per student is not closed (a database constraint);
    a closed case can be reopened. ``version`` grows with every level or status change (the 上报
    outbox is idempotent by case and version)."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="crisis_cases")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=1, choices=RiskLevel.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    source = models.CharField(_("source"), max_length=16, choices=CaseSource.choices)
    responsible = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible psychology teacher"),
    )
    opened_on = models.DateField(_("opened on"))
    open_reason = EncryptedTextField(_("reason for opening"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = EncryptedTextField(_("reason for closing"), blank=True)
    # When the current level was confirmed by a person (the 24 h 上报 clock starts here).
    level_confirmed_at = models.DateTimeField(_("level confirmed at"))
    next_follow_up_due = models.DateField(_("next follow-up due"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.CASE
        # Emergency access (mhcare.accounts.breakglass): by case number or student number.
        break_glass = True
        break_glass_lookups = ("pk", "student__student_number")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=~Q(status="closed"),
                name="crisis_one_open_case_per_student",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_on__isnull=False) | ~Q(status="closed"),
                name="crisis_closed_case_has_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["school", "next_follow_up_due"],
                name="case_active_school_due",
                condition=~Q(status="closed"),
            ),
            models.Index(
                fields=["county", "next_follow_up_due"],
                name="case_active_county_due",
                condition=~Q(status="closed"),
            ),
            models.Index(fields=["student", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} · {self.level} · {self.status}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("crisis:case_detail", args=[self.pk])

    @property
    def colour(self) -> str:
        return LEVEL_COLOURS.get(RiskLevel(self.level), "")

    @property
    def is_active(self) -> bool:
        return self.status != CaseStatus.CLOSED


class CaseEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    LEVEL = "level", _("Level changed")
    STATUS = "status", _("Status changed")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    TRANSFERRED = "transferred", _("Transferred")
    RESPONSIBLE = "responsible", _("Responsible teacher changed")


class CaseEvent(models.Model):
    """The case's history: every level or status change with who, when and why. Append-only."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("change"), max_length=12, choices=CaseEventKind.choices)
    from_level = models.CharField(max_length=1, choices=RiskLevel.choices, blank=True)
    to_level = models.CharField(max_length=1, choices=RiskLevel.choices, blank=True)
    from_status = models.CharField(max_length=12, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=CaseStatus.choices, blank=True)
    reason = EncryptedTextField(_("reason"), blank=True)
    review = models.ForeignKey(
        "Review", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "case__student__klass"
        kind = RecordKind.CASE
        break_glass_via = "case"  # opened with its case by a break-glass grant

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case history entry")
        verbose_name_plural = _("case history")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the new school")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class CaseTransfer(models.Model):
    """A student with a case moves school: the new school accepts the case (with its history);
    the old school keeps read access to what it wrote until ``old_school_access_until``."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transfers")
    from_school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    to_school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    to_class = models.ForeignKey(
        SchoolClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    note = EncryptedTextField(_("handover note"), blank=True)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    old_school_access_until = models.DateField(null=True, blank=True)

    class Scope:
        school_field = "from_school"
        kind = RecordKind.CASE

    class Meta:
        ordering = ["-id"]
        verbose_name = _("case transfer")
        verbose_name_plural = _("case transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="crisis_one_pending_transfer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.to_school_id}"


# --- follow-up -----------------------------------------------------------------------------------


class FollowUpWay(models.TextChoices):
    TALK = "talk", _("Talk in person")
    PHONE = "phone", _("Phone")
    HOME_VISIT = "home_visit", _("Home visit in person")
    ONLINE_VISIT = "online_visit", _("Online visit")
    WITH_PARENTS = "with_parents", _("With parents")
    WITH_TEACHERS = "with_teachers", _("With teachers")


class FollowUp(models.Model):
    """A follow-up (回访/跟踪) of a case. The notes are sensitive free text (encrypted)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="follow_ups")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    done_on = models.DateField(_("date"))
    way = models.CharField(_("way"), max_length=16, choices=FollowUpWay.choices)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    state_observed = EncryptedTextField(_("state observed"))
    actions = EncryptedTextField(_("actions taken"), blank=True)
    next_due = models.DateField(_("next follow-up due"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.CASE
        break_glass_via = "case"  # opened with its case by a break-glass grant

    class Meta:
        ordering = ["-done_on", "-id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["case", "-done_on"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.done_on}"


class CaseTask(models.Model):
    """A task given to a teacher about a case student (e.g. the homeroom teacher watches the
    student at school). Carries no notes: the assignee sees the task, never the case details."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="tasks")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="crisis_tasks")
    title = EncryptedTextField(_("task"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = RecordKind.FLAG

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("case task")
        verbose_name_plural = _("case tasks")
        indexes = [models.Index(fields=["assignee", "done_at", "due_on"])]

    def __str__(self) -> str:
        return self.title


# --- 研判 reviews --------------------------------------------------------------------------------
