from __future__ import annotations

from typing import Any

from rest_framework import serializers

from counseling.models import GuidanceKind
from mhcare.orgs.models import Disadvantage, Student


class WatchStudentSerializer(serializers.ModelSerializer[Student]):
    """A watch-list row: the student, the flags, who is responsible, the last guidance date. No
    guidance text."""

    school_name = serializers.CharField(source="school.name", read_only=True)
    class_name = serializers.CharField(source="klass.name", read_only=True)
    disadvantages = serializers.ListField(child=serializers.CharField(), read_only=True)
    responsible_id = serializers.IntegerField(read_only=True, allow_null=True)
    responsible_name = serializers.CharField(read_only=True, allow_null=True)
    last_guidance = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Student
        fields = [
            "id",
            "name",
            "school",
            "school_name",
            "class_name",
            "disadvantages",
            "responsible_id",
            "responsible_name",
            "last_guidance",
        ]
        read_only_fields = fields


class FlagsSerializer(serializers.Serializer[Any]):
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=Disadvantage.choices), allow_empty=True
    )
    reason = serializers.CharField(max_length=1000)


class FlagsResultSerializer(serializers.Serializer[Any]):
    old = serializers.ListField(child=serializers.CharField())
    new = serializers.ListField(child=serializers.CharField())


class ResponsibleSerializer(serializers.Serializer[Any]):
    teacher = serializers.IntegerField()


class GuidanceRecordSerializer(serializers.Serializer[Any]):
    """A guidance record as the caller may read it: the text fields are empty unless
    ``shows_text`` (the author, psychology teachers, the county center)."""

    id = serializers.IntegerField(source="pk", read_only=True)
    kind = serializers.ChoiceField(choices=GuidanceKind.choices)
    occurred_on = serializers.DateField()
    author = serializers.CharField(read_only=True)
    shows_text = serializers.BooleanField(read_only=True)
    summary = serializers.CharField(max_length=5000)
    peer_helper = serializers.CharField(max_length=200, required=False, allow_blank=True)
    next_step = serializers.CharField(max_length=2000, required=False, allow_blank=True)
