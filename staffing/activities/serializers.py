from __future__ import annotations

from rest_framework import serializers

from staffing.models import ActivityKind, EducationActivity


class ActivitySerializer(serializers.ModelSerializer[EducationActivity]):
    school = serializers.CharField(source="school.code", read_only=True)

    class Meta:
        model = EducationActivity
        fields = ["id", "school", "kind", "category", "held_on", "title", "participants"]
        read_only_fields = fields


class ActivityCreateSerializer(serializers.Serializer):
    school = serializers.CharField(help_text="The school's org code.")
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    held_on = serializers.DateField()
    title = serializers.CharField(max_length=200)
    participants = serializers.IntegerField(min_value=1, max_value=100_000)
