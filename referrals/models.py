"""Referrals to mental-health institutions (医教协同, notice §11) and the institutions themselves.

A referral moves through a fixed table of states (``TRANSITIONS`` in ``referrals.services``); the
database refuses a row whose state lacks what that state needs (its timestamp, the guardian's
consent or a leader's override before sending, the institution's clearance or a medical
certificate before the return to school). Mental Health Law art. 23: school staff never enter a
diagnosis — the diagnosis column is written only by the institution's feedback.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import EncryptedTextField
from mhcare.orgs.models import OrgUnit, Student

USER = settings.AUTH_USER_MODEL


class InstitutionLevel(models.TextChoices):
    TERTIARY = "tertiary", _("Tertiary hospital (三级)")
    SECONDARY = "secondary", _("Secondary hospital (二级)")
    SPECIALIZED = "specialized", _("Specialized mental-health center")
    OTHER = "other", _("Other institution")


class Institution(models.Model):
    """The profile of a mental-health institution with a 医教协同 agreement: one per org unit of
    kind "institution" (its staff are assigned there). Kept by the county center of its county and
    the city / province bureau."""

    unit = models.OneToOneField(
        OrgUnit, on_delete=models.PROTECT, related_name="institution_profile"
    )
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=12, choices=InstitutionLevel.choices)
    departments = models.CharField(_("departments"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_accepting = models.BooleanField(_("accepting referrals"), default=True)
    agreement_since = models.DateField(_("agreement since"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit__path"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.unit.name

    @property
    def name(self) -> str:
        return self.unit.name


class ReferralState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    GUARDIAN_INFORMED = "guardian_informed", _("Guardian informed")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_TREATMENT = "in_treatment", _("In treatment")
    FEEDBACK_RECEIVED = "feedback_received", _("Feedback received")
    RETURNED = "returned", _("Returned to school")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


FINAL_STATES = (ReferralState.CLOSED, ReferralState.WITHDRAWN)
# States after sending (the institution holds the referral): consent or an override was needed.
SENT_STATES = (
    ReferralState.SENT,
    ReferralState.ACCEPTED,
    ReferralState.DECLINED,
    ReferralState.IN_TREATMENT,
    ReferralState.FEEDBACK_RECEIVED,
    ReferralState.RETURNED,
    ReferralState.CLOSED,
)
ACCEPTED_STATES = (
    ReferralState.ACCEPTED,
    ReferralState.IN_TREATMENT,
    ReferralState.FEEDBACK_RECEIVED,
    ReferralState.RETURNED,
)
# While a referral is in one of these, the student has no second one.
ACTIVE_STATES = tuple(s for s in ReferralState if s not in (*FINAL_STATES, ReferralState.DECLINED))


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    PRIORITY = "priority", _("Priority (within a week)")
    URGENT = "urgent", _("Urgent (same day)")


class ConsentWay(models.TextChoices):
    IN_PERSON = "in_person", _("In person, signed form")
    PHONE = "phone", _("By phone")
    VIDEO = "video", _("By video call")
    MESSAGE = "message", _("By written message")


class ReferralQuerySet(models.QuerySet["Referral"]):
    def active(self) -> ReferralQuerySet:
        return self.exclude(state__in=FINAL_STATES)


def _in(states: tuple[str, ...]) -> Q:
    return Q(state__in=[str(s) for s in states])


class Referral(models.Model):
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="referrals")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "crisis.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("institution"),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=ReferralState.choices, default=ReferralState.DRAFT
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    reason = EncryptedTextField(_("reason for the referral"))
    observations = EncryptedTextField(_("what the school observed"), blank=True)
    made_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The guardian's informed consent (who, how, when, who recorded it, an optional scan).
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_guardian = EncryptedTextField(_("guardian who consented"), blank=True)
    consent_way = models.CharField(
        _("how consent was given"), max_length=10, choices=ConsentWay.choices, blank=True
    )
    consent_recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consent_scan = EncryptedTextField(_("scan of the consent form"), blank=True)  # base64
    consent_scan_name = EncryptedTextField(blank=True)
    consent_scan_type = models.CharField(max_length=60, blank=True)
    # A school leader's emergency override of the consent gate.
    override_at = models.DateTimeField(_("emergency override at"), null=True, blank=True)
    override_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_reason = EncryptedTextField(_("reason for the override"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)
    decline_reason = EncryptedTextField(_("reason for declining"), blank=True)
    treatment_started_at = models.DateTimeField(_("treatment started at"), null=True, blank=True)
    # The institution's feedback. The diagnosis lives only here (Mental Health Law art. 23).
    feedback_at = models.DateTimeField(_("feedback at"), null=True, blank=True)
    feedback_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessment_summary = EncryptedTextField(_("assessment summary"), blank=True)
    diagnosis = EncryptedTextField(_("diagnosis (by the institution)"), blank=True)
    recommendations = EncryptedTextField(_("recommendations"), blank=True)
    return_advice = EncryptedTextField(_("return-to-school advice"), blank=True)
    return_cleared = models.BooleanField(_("cleared to return to school"), default=False)
    # The guardian's medical certificate, when the institution's clearance is not on record.
    certificate_at = models.DateTimeField(
        _("medical certificate recorded at"), null=True, blank=True
    )
    certificate_note = EncryptedTextField(_("medical certificate"), blank=True)
    returned_at = models.DateTimeField(_("returned to school at"), null=True, blank=True)
    return_plan = EncryptedTextField(_("return plan"), blank=True)
    return_plan_at = models.DateTimeField(_("return plan written at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = EncryptedTextField(_("reason for withdrawing"), blank=True)

    objects = ReferralQuerySet.as_manager()

    class Scope:
        school_field = "school"
        kind = RecordKind.REFERRAL
        # Shared with the staff of the institution it is addressed to (django-guardian).
        object_permissions = True

    class Meta:
        ordering = ["-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["school", "state", "-id"]),
            models.Index(fields=["county", "-id"]),
            models.Index(fields=["institution", "state", "-id"]),
            models.Index(fields=["student", "-id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=_in(ACTIVE_STATES),
                name="referral_one_active_per_student",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.GUARDIAN_INFORMED) | Q(consent_at__isnull=False),
                name="referral_informed_has_consent",
            ),
            models.CheckConstraint(
                condition=~_in(SENT_STATES)
                | (
                    Q(sent_at__isnull=False)
                    & (Q(consent_at__isnull=False) | Q(override_at__isnull=False))
                ),
                name="referral_sent_has_consent_or_override",
            ),
            models.CheckConstraint(
                condition=Q(override_at__isnull=True) | Q(override_by__isnull=False),
                name="referral_override_has_leader",
            ),
            models.CheckConstraint(
                condition=~_in(ACCEPTED_STATES) | Q(accepted_at__isnull=False),
                name="referral_accepted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.DECLINED) | Q(declined_at__isnull=False),
                name="referral_declined_has_time",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(declined_at__isnull=True),
                name="referral_not_accepted_and_declined",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.IN_TREATMENT)
                | Q(treatment_started_at__isnull=False),
                name="referral_treatment_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.FEEDBACK_RECEIVED) | Q(feedback_at__isnull=False),
                name="referral_feedback_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.RETURNED)
                | (
                    Q(returned_at__isnull=False)
                    & (Q(return_cleared=True) | Q(certificate_at__isnull=False))
                ),
                name="referral_returned_is_cleared",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.CLOSED)
                | (
                    Q(closed_at__isnull=False)
                    & (Q(returned_at__isnull=False) | Q(declined_at__isnull=False))
                ),
                name="referral_closed_after_return_or_decline",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.WITHDRAWN) | Q(withdrawn_at__isnull=False),
                name="referral_withdrawn_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} → {self.institution_id} · {self.state}"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def has_consent_gate(self) -> bool:
        """Consent recorded, or a leader's emergency override."""
        return self.consent_at is not None or self.override_at is not None

    @property
    def is_cleared(self) -> bool:
        return self.return_cleared or self.certificate_at is not None


class ReferralEvent(models.Model):
    """The referral's history: every transition with who, when and (encrypted) why. Append-only."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    school = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    from_state = models.CharField(max_length=20, choices=ReferralState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=ReferralState.choices)
    action = models.CharField(max_length=20)
    note = EncryptedTextField(_("note"), blank=True)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Scope:
        school_field = "school"
        kind = RecordKind.REFERRAL

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        indexes = [models.Index(fields=["referral", "at"])]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_state} → {self.to_state}"
