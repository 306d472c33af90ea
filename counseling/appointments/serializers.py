from __future__ import annotations

from rest_framework import serializers

from counseling.models import Appointment, AppointmentStatus


class AppointmentSerializer(serializers.ModelSerializer[Appointment]):
    student_name = serializers.CharField(source="student.name", read_only=True)
    room_name = serializers.CharField(source="room.name", read_only=True)
    counselor_name = serializers.CharField(source="counselor.display_name", read_only=True)
    topic = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = [
            "id",
            "student",
            "student_name",
            "school",
            "shift",
            "room",
            "room_name",
            "counselor",
            "counselor_name",
            "starts_at",
            "ends_at",
            "status",
            "topic",
            "booked_by",
            "created_at",
            "confirmed_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_topic(self, appointment: Appointment) -> str:
        """Only for the counselor and the person who booked it (``may_read_topic``)."""
        from counseling.appointments.services import may_read_topic

        request = self.context.get("request")
        actor = getattr(request, "user", None)
        return appointment.topic if may_read_topic(actor, appointment) else ""


class AppointmentBookSerializer(serializers.Serializer):  # type: ignore[type-arg]
    student = serializers.IntegerField()
    shift = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    topic = serializers.CharField(required=False, allow_blank=True, default="")


class AppointmentTransitionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
