from __future__ import annotations

from typing import Any

from rest_framework import serializers

from counseling.models import StationKind, SupervisionFormat, SupervisionSession


class SupervisionSessionSerializer(serializers.ModelSerializer[SupervisionSession]):
    """A session as its supervisor and supervisees read it (nobody else receives it)."""

    supervisee_ids = serializers.SerializerMethodField()
    format = serializers.ChoiceField(choices=SupervisionFormat.choices)

    class Meta:
        model = SupervisionSession
        fields = [
            "id",
            "supervisor",
            "county",
            "station",
            "held_on",
            "format",
            "duration_minutes",
            "supervisee_ids",
            "topic",
            "cases_discussed",
            "created_at",
        ]
        read_only_fields = fields

    def get_supervisee_ids(self, session: SupervisionSession) -> list[int]:
        return sorted(u.pk for u in session.supervisees.all())


class SupervisionSessionCreateSerializer(serializers.Serializer[Any]):
    county = serializers.IntegerField()
    station = serializers.IntegerField(required=False, allow_null=True)
    held_on = serializers.DateField()
    format = serializers.ChoiceField(choices=SupervisionFormat.choices)
    duration_minutes = serializers.IntegerField(min_value=1, max_value=600)
    supervisees = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    topic = serializers.CharField(max_length=500)
    cases_discussed = serializers.CharField(
        max_length=10000,
        required=False,
        allow_blank=True,
        help_text="De-identified only: never a student's name, number or class.",
    )


class StationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    county = serializers.IntegerField(source="county_id")
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=StationKind.choices)
    host = serializers.IntegerField(source="host_id", required=False, allow_null=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    is_active = serializers.BooleanField(read_only=True)
    session_count = serializers.IntegerField(read_only=True)
