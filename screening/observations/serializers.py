from __future__ import annotations

from rest_framework import serializers

from screening.models import Observation, ObservationCategory


class ObservationCreateSerializer(serializers.Serializer):
    student = serializers.IntegerField(help_text="Student id (a student of your class)")
    category = serializers.ChoiceField(choices=ObservationCategory.choices)
    description = serializers.CharField(max_length=5000)
    observed_on = serializers.DateField()
    on_behalf_of_peer = serializers.BooleanField(default=False)


class ObservationReceiptSerializer(serializers.ModelSerializer[Observation]):
    """What the reporter gets back: that it was received, never the review."""

    class Meta:
        model = Observation
        fields = ["id", "student", "category", "observed_on", "on_behalf_of_peer", "status"]
        read_only_fields = fields


class ObservationSerializer(serializers.ModelSerializer[Observation]):
    """An observation in the reviewer's list. The description and review note are read on the
    review page (audited), not in bulk."""

    student_name = serializers.CharField(source="student.name", read_only=True)
    class_name = serializers.CharField(source="student.klass.name", read_only=True)

    class Meta:
        model = Observation
        fields = [
            "id",
            "student",
            "student_name",
            "class_name",
            "category",
            "observed_on",
            "on_behalf_of_peer",
            "status",
            "created_at",
            "reviewed_at",
        ]
        read_only_fields = fields
