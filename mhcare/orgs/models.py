"""The org tree (province → city → county → school, plus county centers and research units),
school years, classes, students and guardians.

Every student-linked row carries its ``school`` (and ``county``), so a user's scope is one filter on
the row's own columns — ``school_id``, ``county_id``, or the school among the units under a
materialised ``path`` (see ``mhcare.accounts.scope.tree_q``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.core.fields import EncryptedTextField

PATH_SEPARATOR = "/"


def ancestor_paths(path: str) -> list[str]:
    """The materialised paths of a unit and of every unit above it, root first."""
    parts = [p for p in path.split(PATH_SEPARATOR) if p]
    return [
        PATH_SEPARATOR + PATH_SEPARATOR.join(parts[: i + 1]) + PATH_SEPARATOR
        for i in range(len(parts))
    ]


class OrgKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    SCHOOL = "school", _("School")
    COUNTY_CENTER = "county_center", _("County counseling center")
    RESEARCH = "research", _("Teaching-research unit")
    INSTITUTION = "institution", _("Mental-health institution")


class SchoolStage(models.TextChoices):
    PRIMARY = "primary", _("Primary (grades 1–6)")
    JUNIOR = "junior", _("Junior secondary (grades 7–9)")
    SENIOR = "senior", _("Senior secondary (grades 10–12)")
    NINE_YEAR = "nine_year", _("Nine-year (grades 1–9)")
    COMPLETE_SECONDARY = "complete_secondary", _("Complete secondary (grades 7–12)")
    TWELVE_YEAR = "twelve_year", _("Twelve-year (grades 1–12)")


STAGE_GRADES: dict[str, range] = {
    SchoolStage.PRIMARY: range(1, 7),
    SchoolStage.JUNIOR: range(7, 10),
    SchoolStage.SENIOR: range(10, 13),
    SchoolStage.NINE_YEAR: range(1, 10),
    SchoolStage.COMPLETE_SECONDARY: range(7, 13),
    SchoolStage.TWELVE_YEAR: range(1, 13),
}
MULTI_STAGE = {
    SchoolStage.NINE_YEAR,
    SchoolStage.COMPLETE_SECONDARY,
    SchoolStage.TWELVE_YEAR,
}


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def schools(self) -> OrgUnitQuerySet:
        return self.filter(kind=OrgKind.SCHOOL)

    def counties(self) -> OrgUnitQuerySet:
        return self.filter(kind=OrgKind.COUNTY)

    def within(self, unit: OrgUnit) -> OrgUnitQuerySet:
        """The unit and everything below it."""
        return self.filter(path__startswith=unit.path)


class OrgUnit(models.Model):
    """A node of the org tree. ``path`` is the chain of codes from the root, e.g.
    ``/33/3301/330106/3301061001/``; a subtree is ``path__startswith``."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    # School attributes the notice needs (§6: who must have a full-time MH teacher).
    stage = models.CharField(_("stage"), max_length=20, choices=SchoolStage.choices, blank=True)
    campus_count = models.PositiveSmallIntegerField(_("campuses"), default=1)
    enrolled_count = models.PositiveIntegerField(_("enrolled students"), default=0)
    is_boarding = models.BooleanField(_("boarding"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        indexes = [
            models.Index(
                fields=["path"], name="orgunit_path_like", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["kind", "parent"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="school") | Q(stage=""), name="orgunit_stage_only_for_schools"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.path = self.compute_path()
        self.depth = self.path.count(PATH_SEPARATOR) - 2
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        if self.kind != OrgKind.PROVINCE and self.parent is None:
            raise ValidationError({"parent": _("Only a province has no parent unit.")})
        if self.kind == OrgKind.SCHOOL and not self.stage:
            raise ValidationError({"stage": _("A school needs its stage.")})

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent else PATH_SEPARATOR
        return f"{prefix}{self.code}{PATH_SEPARATOR}"

    @property
    def is_school(self) -> bool:
        return self.kind == OrgKind.SCHOOL

    @property
    def grades(self) -> range:
        return STAGE_GRADES.get(self.stage, range(0))

    def ancestor_codes(self) -> list[str]:
        return [code for code in self.path.split(PATH_SEPARATOR) if code]

    def ancestor_of_kind(self, kind: str) -> OrgUnit | None:
        """The nearest unit of ``kind`` on the path to the root (self included)."""
        return (
            OrgUnit.objects.filter(code__in=self.ancestor_codes(), kind=kind)
            .order_by("-depth")
            .first()
        )


class Term(models.IntegerChoices):
    FIRST = 1, _("First semester")
    SECOND = 2, _("Second semester")


class SchoolYear(models.Model):
    """A school year, e.g. 2026-2027 (1 Sept – 31 Aug)."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))

    class Meta:
        ordering = ["-start"]
        verbose_name = _("school year")
        verbose_name_plural = _("school years")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="schoolyear_order")
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls, today: datetime.date | None = None) -> SchoolYear | None:
        today = today or timezone.localdate()
        return cls.objects.filter(start__lte=today, end__gte=today).first()


class Semester(models.Model):
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="semesters")
    term = models.PositiveSmallIntegerField(_("term"), choices=Term.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))

    class Meta:
        ordering = ["-start"]
        verbose_name = _("semester")
        verbose_name_plural = _("semesters")
        constraints = [
            models.UniqueConstraint(fields=["school_year", "term"], name="semester_unique_term"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="semester_order"),
        ]

    def __str__(self) -> str:
        return f"{self.school_year} {self.get_term_display()}"

    @classmethod
    def current(cls, today: datetime.date | None = None) -> Semester | None:
        today = today or timezone.localdate()
        return cls.objects.filter(start__lte=today, end__gte=today).first()


class SchoolClass(models.Model):
    school = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="classes",
        limit_choices_to={"kind": "school"},
    )
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="classes")
    grade = models.PositiveSmallIntegerField(_("grade"))
    name = models.CharField(_("name"), max_length=50)
    # A class opened during its school year (a new class mid-semester): the lesson rule judges it
    # from that month on. Empty: the class exists since its school year began.
    created_on = models.DateField(_("opened on"), null=True, blank=True)
    homeroom_teacher = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="homeroom_classes",
        verbose_name=_("homeroom teacher"),
    )

    class Meta:
        ordering = ["school", "grade", "name"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "name"], name="class_unique_name_per_year"
            ),
            models.CheckConstraint(
                condition=Q(grade__gte=1, grade__lte=12), name="class_grade_1_12"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    SUSPENDED = "suspended", _("Suspended (休学)")
    TRANSFERRED = "transferred", _("Transferred out")
    GRADUATED = "graduated", _("Graduated")


class Disadvantage(models.TextChoices):
    """处境不利 flags of notice §3."""

    ACADEMIC = "academic", _("Academic difficulty")
    ECONOMIC = "economic", _("Economic hardship")
    PEER = "peer", _("Poor peer relations")
    LEFT_BEHIND = "left_behind", _("Left-behind child")
    SINGLE_PARENT = "single_parent", _("Single-parent family")
    FAMILY_CHANGE = "family_change", _("Major family change")
    DISABILITY = "disability", _("Disability or chronic illness")
    BULLIED = "bullied", _("Bullied")


def mask_middle(value: str, keep_start: int = 3, keep_end: int = 4) -> str:
    """``13812345678`` → ``138****5678``; short values are masked whole."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_student_number(value: str) -> str:
    """A national student number as every page and API shows it: its first and last four."""
    return mask_middle(value, 4, 4)


# Statuses that take a student off the school's roll (a suspended student is still on it).
LEFT_STATUSES = (EnrolmentStatus.TRANSFERRED, EnrolmentStatus.GRADUATED)


class StudentQuerySet(models.QuerySet["Student"]):
    def enrolled(self) -> StudentQuerySet:
        return self.filter(status=EnrolmentStatus.ENROLLED)

    def on_roll(self, on: datetime.date) -> StudentQuerySet:
        """Students on their school's roll on day ``on`` (the staffing rule counts them): enrolled
        on or before it (no date: since before the records began) and not yet left — a left date
        after ``on``, or no left date and a status that keeps them on the roll. A student who left
        without a known date is counted on no day."""
        return self.filter(
            Q(enrolled_on__isnull=True) | Q(enrolled_on__lte=on),
            Q(left_on__gt=on) | (Q(left_on__isnull=True) & ~Q(status__in=LEFT_STATUSES)),
        )


class Student(models.Model):
    # No single-column index on school, county or class: each leads a composite index below.
    school = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="students", db_index=False
    )
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False)
    klass = models.ForeignKey(
        SchoolClass,
        on_delete=models.PROTECT,
        related_name="students",
        verbose_name=_("class"),
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    student_number = models.CharField(_("national student number"), max_length=32, unique=True)
    status = models.CharField(
        _("enrolment status"),
        max_length=20,
        choices=EnrolmentStatus.choices,
        default=EnrolmentStatus.ENROLLED,
    )
    disadvantages = ArrayField(
        models.CharField(max_length=20, choices=Disadvantage.choices),
        default=list,
        blank=True,
        verbose_name=_("disadvantaged-student flags"),
    )
    # The roll by date (the staffing rule counts students on any day): empty ``enrolled_on``
    # means "since before the records began"; ``left_on`` is the first day off the roll.
    enrolled_on = models.DateField(_("enrolled on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    # Why the student left (or was suspended): free text about a child, encrypted at rest.
    left_reason = EncryptedTextField(_("reason for leaving"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudentQuerySet.as_manager()

    class Scope:
        school_field = "school"
        class_field = "klass"
        kind = "student"
        # A referred student is shared with the institution's staff one by one (django-guardian).
        object_permissions = True

    class Meta:
        ordering = ["klass__grade", "klass__name", "name"]
        verbose_name = _("student")
        verbose_name_plural = _("students")
        # The lists page by id (keyset) within the actor's scope: a school's, a class's or a
        # county's students in id order, each from its own index. With the scope's column alone
        # the planner walked the primary key filtered by it, expecting the school's ids spread
        # over the table, and read past the province's students that come before the school's
        # (tests/perf/test_index_plans.py, on the generated province).
        indexes = [
            models.Index(fields=["school", "id"], name="student_school_id"),
            models.Index(fields=["klass", "id"], name="student_klass_id"),
            models.Index(fields=["county", "id"]),
            # The county's watch list of flagged students (counseling guidance, the dashboard's
            # panel): few rows, found without walking the county's students.
            models.Index(
                fields=["county", "id"],
                name="student_flagged_county",
                condition=Q(status="enrolled") & ~Q(disadvantages=[]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(enrolled_on__isnull=True)
                | Q(left_on__gt=models.F("enrolled_on")),
                name="student_left_after_enrolled",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_student_number(self) -> str:
        return mask_student_number(self.student_number)

    @property
    def grade(self) -> int:
        return self.klass.grade

    def get_disadvantages_display(self) -> list[str]:
        return disadvantage_labels(self.disadvantages)


def disadvantage_labels(codes: Iterable[str]) -> list[str]:
    """The labels of disadvantage codes (an unknown code shows as itself)."""
    labels = dict(Disadvantage.choices)
    return [str(labels.get(code, code)) for code in codes]


class GuardianRelation(models.TextChoices):
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    GRANDPARENT = "grandparent", _("Grandparent")
    OTHER = "other", _("Other guardian")


class Guardian(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardians")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=20, choices=GuardianRelation.choices)
    # Encrypted at rest; shown masked (``masked_phone``) except where a person must call. No
    # query filters on it (the roster import matches guardians by student, name and relation).
    phone = EncryptedTextField(_("phone"), max_length=20)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = "student"

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "name", "relation"], name="guardian_unique_per_student"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"

    @property
    def masked_phone(self) -> str:
        return mask_middle(self.phone)


class SupportPlan(models.Model):
    """The student's support plan in the 一生一策 growth file (a kernel record: the growth file
    is the kernel's; apps show their parts of it through the registry)."""

    student = models.OneToOneField(Student, on_delete=models.PROTECT, related_name="support_plan")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    goals = EncryptedTextField(_("goals"), blank=True)
    measures = EncryptedTextField(_("measures"), blank=True)
    responsible = EncryptedTextField(_("responsible people"), max_length=255, blank=True)
    review_date = models.DateField(_("review date"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Scope:
        school_field = "school"
        class_field = "student__klass"
        kind = "case"  # RecordKind.CASE: the plan is read as case records are

    class Meta:
        verbose_name = _("support plan")
        verbose_name_plural = _("support plans")

    def __str__(self) -> str:
        return f"{self.student_id}"
