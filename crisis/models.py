"""The crisis registry: evaluations, cases and their level history, follow-ups, 研判 reviews,
上报 to the provincial platform (outbox), transfers, family contacts and key-period home visits,
incidents, and the ledger that makes every reminder go out once.

Every student-linked row carries its school (and county where lists are per county) so that scope is
one filter on the org tree. Free text about a child is stored in ``EncryptedTextField``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import EncryptedJSONField, EncryptedTextField
from mhcare.core.risk import LEVEL_COLOURS, RiskLevel
from mhcare.orgs.models import OrgUnit, SchoolClass, Semester, Student
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


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Reported")
    FAILED = "failed", _("Failed, retrying")


class CaseReport(models.Model):
    """The outbox of 上报: one row per (case, version) of a 一级 / 二级 case, and one for the
    version that takes a reported case off that register (lowered to 三级 or closed). A Celery
    task sends ``payload`` to the provincial endpoint with retries; what was sent and when stays
    here (encrypted: the payload names the student)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    level = models.CharField(max_length=1, choices=RiskLevel.choices)
    # The body sent to the platform names the student: encrypted at rest.
    payload = EncryptedJSONField()
    due_by = models.DateTimeField(_("report due by"))
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = EncryptedTextField(blank=True)  # may quote the platform echoing the body
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    response = EncryptedJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        class_field = "case__student__klass"
        kind = RecordKind.CASE

    class Meta:
        ordering = ["due_by", "id"]
        verbose_name = _("上报 report")
        verbose_name_plural = _("上报 reports")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "version"], name="crisis_report_once_per_version"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="report_unsent",
                condition=~Q(status="sent"),
            ),
            models.Index(fields=["county", "status", "due_by"]),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} v{self.version}"


# --- families (notice §10, §14) ------------------------------------------------------------------


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


class IncidentKind(models.TextChoices):
    SUICIDE_ATTEMPT = "suicide_attempt", _("Suicide attempt")
    SUICIDE = "suicide", _("Suicide")
    SELF_HARM = "self_harm", _("Serious self-harm")
    VIOLENCE = "violence", _("Violence")
    RUNAWAY = "runaway", _("Running away / missing")
    OTHER = "other", _("Other extreme incident")


class IncidentSeverity(models.TextChoices):
    CRITICAL = "critical", _("Critical (death or danger to life)")
    SERIOUS = "serious", _("Serious")
    MODERATE = "moderate", _("Moderate")


class Incident(models.Model):
    """An extreme incident and its emergency checklist (each step's time). The bureau sees the
    incident, its checklist and timeline; never counseling notes, which live in cases."""

    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(_("occurred at"))
    kind = models.CharField(_("kind"), max_length=20, choices=IncidentKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=IncidentSeverity.choices)
    summary = EncryptedTextField(_("what happened"))
    students = models.ManyToManyField(Student, blank=True, related_name="+")
    plan_started_at = models.DateTimeField(_("emergency plan started"), null=True, blank=True)
    parents_contacted_at = models.DateTimeField(_("parents contacted"), null=True, blank=True)
    bureau_informed_at = models.DateTimeField(_("bureau informed"), null=True, blank=True)
    police_involved_at = models.DateTimeField(_("police involved"), null=True, blank=True)
    medical_involved_at = models.DateTimeField(
        _("medical services involved"), null=True, blank=True
    )
    postvention_at = models.DateTimeField(
        _("crisis intervention for witnesses and classmates"), null=True, blank=True
    )
    public_response_at = models.DateTimeField(_("public response"), null=True, blank=True)
    # Optional steps (police, medical services, public response) marked "not needed", with the
    # reason on the timeline; the steps the notice requires of every incident can never be.
    not_needed = ArrayField(
        models.CharField(max_length=30), default=list, blank=True, verbose_name=_("not needed")
    )
    reported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        kind = RecordKind.INCIDENT

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["county", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class IncidentAction(models.Model):
    """The incident's timeline: what was done, when, by whom. Append-only."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="actions")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    # Free text about what was done for whom (names, injuries, what a witness said): encrypted.
    description = EncryptedTextField(_("action"))
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        kind = RecordKind.INCIDENT

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("incident action")
        verbose_name_plural = _("incident actions")

    def __str__(self) -> str:
        return f"{self.incident_id} {self.at:%Y-%m-%d %H:%M}"
