"""Staff and provision (notice §5, §6, §7): MH teachers and their posts, 教研员, leading groups,
the bureau's responsibilities, budgets and training.

These rows are about adults, not children: they carry no ``Scope`` (not student-linked) and are
read through ``mhcare.accounts.policy.narrow`` on their unit's path. A post is one row with a
start and an optional end date, so "who was in post on day D" is one range filter and history is
never overwritten (a teacher who changes from part-time to full-time gets a second post).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from mhcare.orgs.models import OrgUnit

USER = settings.AUTH_USER_MODEL

ERROR_END_BEFORE_START = _("The end date cannot be before the start date.")
ERROR_CERTIFICATE_DATE = _("A certificate date needs a certificate level.")


class PostKind(models.TextChoices):
    FULLTIME = "fulltime", _("Full-time (专职)")
    PARTTIME = "parttime", _("Part-time (兼职)")


class CertificateLevel(models.TextChoices):
    """The province's MH teacher certificate (C is the entry level, A the highest)."""

    C = "C", _("Level C")
    B = "B", _("Level B")
    A = "A", _("Level A")


class PostQuerySet(models.QuerySet):
    def in_post(self, on: datetime.date) -> PostQuerySet:
        """Posts held on day ``on``: started on or before it, not ended before it."""
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=on), start_date__lte=on)

    def fulltime(self) -> PostQuerySet:
        return self.filter(kind=PostKind.FULLTIME)


def _post_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
            name=f"{prefix}_end_after_start",
        ),
    ]


class MHTeacher(models.Model):
    """One MH teacher's post at one school (专职 / 兼职), with qualifications. ``end_date`` is
    the last day in post (inclusive)."""

    school = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    user = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user account"),
    )
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("post"), max_length=10, choices=PostKind.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    psychology_degree = models.BooleanField(_("psychology degree"), default=False)
    certificate_level = models.CharField(
        _("MH teacher certificate"), max_length=1, choices=CertificateLevel.choices, blank=True
    )
    certificate_date = models.DateField(_("certificate date"), null=True, blank=True)
    # Notice §6: MH teachers are treated as homeroom teachers (workload, allowances, titles).
    homeroom_equal_treatment = models.BooleanField(
        _("treated as a homeroom teacher"), default=False
    )
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["school", "-start_date", "name"]
        verbose_name = _("MH teacher")
        verbose_name_plural = _("MH teachers")
        indexes = [models.Index(fields=["school", "kind", "start_date"])]
        constraints = [
            *_post_constraints("mhteacher"),
            models.UniqueConstraint(
                fields=["school", "name", "start_date"], name="mhteacher_unique_post"
            ),
            models.CheckConstraint(
                condition=Q(certificate_date__isnull=True) | ~Q(certificate_level=""),
                name="mhteacher_certificate_date_needs_level",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": ERROR_END_BEFORE_START})
        if self.certificate_date and not self.certificate_level:
            raise ValidationError({"certificate_date": ERROR_CERTIFICATE_DATE})

    def in_post_on(self, on: datetime.date) -> bool:
        return self.start_date <= on and (self.end_date is None or self.end_date >= on)


class Researcher(models.Model):
    """A MH 教研员 post at a teaching-research unit (notice §6)."""

    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("teaching-research unit"),
    )
    user = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("post"), max_length=10, choices=PostKind.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    # Qualifications (notice §6), like an MH teacher's.
    psychology_degree = models.BooleanField(_("psychology degree"), default=False)
    certificate_level = models.CharField(
        _("MH teacher certificate"), max_length=1, choices=CertificateLevel.choices, blank=True
    )
    certificate_date = models.DateField(_("certificate date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "-start_date", "name"]
        verbose_name = _("MH teaching researcher")
        verbose_name_plural = _("MH teaching researchers")
        constraints = [
            *_post_constraints("researcher"),
            models.UniqueConstraint(
                fields=["unit", "name", "start_date"], name="researcher_unique_post"
            ),
            models.CheckConstraint(
                condition=Q(certificate_date__isnull=True) | ~Q(certificate_level=""),
                name="researcher_certificate_date_needs_level",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.certificate_date and not self.certificate_level:
            raise ValidationError({"certificate_date": ERROR_CERTIFICATE_DATE})


class GroupKind(models.TextChoices):
    LEADING = "leading", _("MH leading group")
    CRISIS = "crisis", _("Crisis-intervention group")


class LeadingGroup(models.Model):
    """A school's MH leading group or crisis-intervention group (notice §5, §7). A group that is
    re-formed keeps its row; ``dissolved_on`` ends it."""

    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("group"), max_length=10, choices=GroupKind.choices)
    established_on = models.DateField(_("established on"))
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    responsible_leader = models.CharField(_("responsible leader"), max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["school", "kind", "-established_on"]
        verbose_name = _("leading group")
        verbose_name_plural = _("leading groups")
        constraints = [
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=F("established_on")),
                name="leadinggroup_dissolved_after_established",
            ),
            # One active group of each kind per school.
            models.UniqueConstraint(
                fields=["school", "kind"],
                condition=Q(dissolved_on__isnull=True),
                name="leadinggroup_one_active_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}"


class GroupMember(models.Model):
    group = models.ForeignKey(LeadingGroup, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=50)
    role = models.CharField(_("role in the group"), max_length=50)
    user = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["group", "id"]
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [
            models.UniqueConstraint(fields=["group", "name"], name="groupmember_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Responsibility(models.Model):
    """A bureau's MH responsibilities (notice §5): the responsible leader, the division and the
    person in charge; and the county center's coordinating role. One row per unit."""

    unit = models.OneToOneField(OrgUnit, on_delete=models.PROTECT, related_name="+")
    responsible_leader = models.CharField(_("responsible leader"), max_length=50)
    division = models.CharField(_("responsible division"), max_length=100)
    person_in_charge = models.CharField(_("person in charge"), max_length=50)
    center_role = models.CharField(
        _("county center's coordinating role"), max_length=500, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("MH responsibilities")
        verbose_name_plural = _("MH responsibilities")

    def __str__(self) -> str:
        return self.division


class Budget(models.Model):
    """The annual MH budget of a school or a county (notice §5): recorded, not judged."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit", "-year"]
        verbose_name = _("MH budget")
        verbose_name_plural = _("MH budgets")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="budget_unique_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_positive"),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="budget_year_plausible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}"


class TrainingKind(models.TextChoices):
    PRE_SERVICE = "pre_service", _("Pre-service")
    IN_SERVICE = "in_service", _("In-service")
    ROUTINE = "routine", _("Routine")


class TrainingEvent(models.Model):
    """A training event held by a school or a county (notice §6)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=TrainingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, default=0)
    includes_mh_content = models.BooleanField(_("includes MH content"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit", "-held_on"]
        verbose_name = _("training event")
        verbose_name_plural = _("training events")
        indexes = [models.Index(fields=["unit", "held_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0), name="training_hours_positive")
        ]

    def __str__(self) -> str:
        return self.title


class TrainingParticipant(models.Model):
    """A person's record of one training: their school, their role at the event (participant,
    trainer, organiser) and whether they are a homeroom teacher (for the share of homeroom
    teachers trained) or one of the school's MH teachers (per-teacher records)."""

    class Role(models.TextChoices):
        PARTICIPANT = "participant", _("Participant")
        TRAINER = "trainer", _("Trainer")
        ORGANISER = "organiser", _("Organiser")

    event = models.ForeignKey(TrainingEvent, on_delete=models.CASCADE, related_name="participants")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    role = models.CharField(
        _("role"), max_length=12, choices=Role.choices, default=Role.PARTICIPANT
    )
    user = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    teacher = models.ForeignKey(
        MHTeacher, on_delete=models.SET_NULL, null=True, blank=True, related_name="trainings"
    )
    is_homeroom_teacher = models.BooleanField(_("homeroom teacher"), default=False)

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("training participant")
        verbose_name_plural = _("training participants")
        indexes = [models.Index(fields=["school", "event"])]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "school", "name"], name="trainingparticipant_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name
