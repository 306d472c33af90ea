from __future__ import annotations

from rest_framework import serializers

from counseling.models import CounselingRoom, DutyShift, OpeningHours, RoomStandard


class OpeningHoursSerializer(serializers.ModelSerializer[OpeningHours]):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes", "is_extended"]
        read_only_fields = fields


class RoomSerializer(serializers.ModelSerializer[CounselingRoom]):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    hours = OpeningHoursSerializer(many=True, read_only=True)

    class Meta:
        model = CounselingRoom
        fields = [
            "id",
            "unit",
            "unit_name",
            "county",
            "name",
            "place",
            "standards",
            "capacity",
            "is_active",
            "hours",
        ]
        read_only_fields = fields


class RoomCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    unit = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    place = serializers.CharField(max_length=200)
    standards = serializers.ListField(
        child=serializers.ChoiceField(choices=RoomStandard.choices), required=False, default=list
    )
    capacity = serializers.IntegerField(min_value=1, max_value=100, default=1)


class ShiftSerializer(serializers.ModelSerializer[DutyShift]):
    room_name = serializers.CharField(source="room.name", read_only=True)
    counselor_name = serializers.CharField(source="counselor.display_name", read_only=True)

    class Meta:
        model = DutyShift
        fields = ["id", "room", "room_name", "counselor", "counselor_name", "starts_at", "ends_at"]
        read_only_fields = fields


class ShiftCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    room = serializers.IntegerField()
    counselor = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
