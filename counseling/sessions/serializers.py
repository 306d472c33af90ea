from __future__ import annotations

from rest_framework import serializers

from counseling.models import CounselingSession
from mhcare.core.risk import RiskLevel


class SessionSerializer(serializers.ModelSerializer[CounselingSession]):
    """A whole record: only ever serialized for its writer or someone it is shared with."""

    student_name = serializers.CharField(source="student.name", read_only=True)
    counselor_name = serializers.CharField(source="counselor.display_name", read_only=True)

    class Meta:
        model = CounselingSession
        fields = [
            "id",
            "student",
            "student_name",
            "school",
            "appointment",
            "counselor",
            "counselor_name",
            "held_on",
            "duration_minutes",
            "theme",
            "summary",
            "plan",
            "risk_observed",
            "risk_proposed_at",
            "is_archived",
            "created_at",
        ]
        read_only_fields = fields


class SessionLogSerializer(serializers.ModelSerializer[CounselingSession]):
    """That a session happened: no content, no student."""

    counselor_name = serializers.CharField(source="counselor.display_name", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)

    class Meta:
        model = CounselingSession
        fields = ["id", "held_on", "duration_minutes", "counselor_name", "school_name"]
        read_only_fields = fields


class SessionCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    student = serializers.IntegerField()
    appointment = serializers.IntegerField(required=False, allow_null=True, default=None)
    held_on = serializers.DateField()
    duration_minutes = serializers.IntegerField(min_value=1, max_value=600)
    theme = serializers.CharField(max_length=500)
    summary = serializers.CharField()
    plan = serializers.CharField(required=False, allow_blank=True, default="")
    risk_observed = serializers.ChoiceField(
        choices=[("", "—"), *RiskLevel.choices], required=False, default=""
    )
    propose_risk = serializers.BooleanField(required=False, default=False)
