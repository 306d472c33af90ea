from __future__ import annotations

from rest_framework import serializers

from referrals.models import ConsentWay, Institution, InstitutionLevel, Referral, Urgency
from referrals.services import SIMPLE_ACTIONS


class InstitutionSerializer(serializers.ModelSerializer[Institution]):
    name = serializers.CharField(source="unit.name", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    county_code = serializers.CharField(source="county.code", read_only=True)

    class Meta:
        model = Institution
        fields = [
            "id",
            "name",
            "unit_code",
            "county_code",
            "level",
            "departments",
            "contact_name",
            "contact_phone",
            "address",
            "is_accepting",
            "agreement_since",
        ]
        read_only_fields = fields


class InstitutionWriteSerializer(serializers.Serializer):
    unit_code = serializers.CharField(max_length=32)
    level = serializers.ChoiceField(choices=InstitutionLevel.choices)
    departments = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    contact_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    contact_phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    is_accepting = serializers.BooleanField(required=False, default=True)
    agreement_since = serializers.DateField(required=False, allow_null=True, default=None)


class ReferralSerializer(serializers.ModelSerializer[Referral]):
    """A referral as its reader may see it. Institution staff get the same fields: the student's
    name and class (what the referral shares), never anything else of her."""

    student_name = serializers.CharField(source="student.name", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)
    institution_name = serializers.CharField(source="institution.unit.name", read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "student",
            "student_name",
            "school",
            "school_name",
            "institution",
            "institution_name",
            "state",
            "urgency",
            "created_at",
            "consent_at",
            "override_at",
            "sent_at",
            "accepted_at",
            "declined_at",
            "treatment_started_at",
            "feedback_at",
            "returned_at",
            "return_plan_at",
            "closed_at",
            "withdrawn_at",
        ]
        read_only_fields = fields


class ReferralDetailSerializer(ReferralSerializer):
    """One referral with its texts (read on the detail endpoint, audited)."""

    class Meta(ReferralSerializer.Meta):
        fields = [
            *ReferralSerializer.Meta.fields,
            "reason",
            "observations",
            "consent_guardian",
            "consent_way",
            "override_reason",
            "decline_reason",
            "assessment_summary",
            "diagnosis",
            "recommendations",
            "return_advice",
            "return_cleared",
            "certificate_note",
            "return_plan",
            "withdraw_reason",
        ]
        read_only_fields = fields


class ReferralCreateSerializer(serializers.Serializer):
    student = serializers.IntegerField()
    case = serializers.IntegerField(required=False, allow_null=True, default=None)
    institution = serializers.IntegerField()
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    reason = serializers.CharField()
    observations = serializers.CharField(required=False, allow_blank=True, default="")


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[*SIMPLE_ACTIONS, "return", "plan", "override"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    certificate_note = serializers.CharField(required=False, allow_blank=True, default="")
    plan = serializers.CharField(required=False, allow_blank=True, default="")


class ConsentSerializer(serializers.Serializer):
    guardian = serializers.CharField(max_length=100)
    way = serializers.ChoiceField(choices=ConsentWay.choices)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class FeedbackSerializer(serializers.Serializer):
    assessment_summary = serializers.CharField()
    diagnosis = serializers.CharField(required=False, allow_blank=True, default="")
    recommendations = serializers.CharField(required=False, allow_blank=True, default="")
    return_advice = serializers.CharField(required=False, allow_blank=True, default="")
    return_cleared = serializers.BooleanField(required=False, default=False)
