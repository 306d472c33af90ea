from __future__ import annotations

from rest_framework import serializers

from screening.models import ConsentDecision, ConsentWay, ScreeningConsent


class ScreeningConsentCreateSerializer(serializers.Serializer):
    student = serializers.IntegerField(help_text="Student id (your school, or your own class)")
    decision = serializers.ChoiceField(choices=ConsentDecision.choices)
    way = serializers.ChoiceField(choices=ConsentWay.choices)
    decided_on = serializers.DateField()
    student_assent = serializers.BooleanField(default=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ScreeningConsentSerializer(serializers.ModelSerializer[ScreeningConsent]):
    """A consent in the list (the note is not listed in bulk)."""

    class Meta:
        model = ScreeningConsent
        fields = ["id", "student", "decision", "student_assent", "way", "decided_on", "updated_at"]
        read_only_fields = fields
