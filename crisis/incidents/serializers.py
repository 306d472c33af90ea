from __future__ import annotations

from rest_framework import serializers

from crisis.incidents.services import STEP_FIELDS, open_steps
from crisis.models import Incident


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    """An incident in a list: where, when, what kind, how many students and the checklist times.
    No student identities (the bureau reads this list too) and no narrative: the summary is read
    on the incident's page, where the view is audited."""

    school_name = serializers.CharField(source="school.name", read_only=True)
    student_count = serializers.IntegerField(read_only=True)
    open_steps = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "school",
            "school_name",
            "county",
            "occurred_at",
            "kind",
            "severity",
            "student_count",
            *STEP_FIELDS,
            "not_needed",
            "open_steps",
            "created_at",
        ]
        read_only_fields = fields

    def get_open_steps(self, incident: Incident) -> list[str]:
        return [step.field for step in open_steps(incident)]
