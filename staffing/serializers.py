"""API shapes of staffing: the per-school status rows and the writes."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from mhcare.orgs.models import SchoolStage
from staffing.models import (
    Budget,
    CertificateLevel,
    GroupKind,
    MHTeacher,
    PostKind,
    Researcher,
    Responsibility,
    TrainingEvent,
    TrainingKind,
    TrainingParticipant,
)
from staffing.teachers.rule import Status


class SchoolStaffingSerializer(serializers.Serializer):
    """One school's staffing on the day asked for."""

    code = serializers.CharField()
    students = serializers.IntegerField(help_text="Students on the school's roll that day.")
    campuses = serializers.IntegerField()
    stage = serializers.ChoiceField(choices=SchoolStage.choices)
    required = serializers.BooleanField(  # type: ignore[assignment]  # a field named like the option
        help_text="Whether the school must have a full-time MH teacher that day."
    )
    fulltime_teachers = serializers.IntegerField(help_text="Full-time MH teachers in post.")
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(help_text="Why, in words (in the request's language).")


class TeacherWriteSerializer(serializers.Serializer):
    school = serializers.CharField(help_text="The school's org code.")
    name = serializers.CharField(max_length=50)
    kind = serializers.ChoiceField(choices=PostKind.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    psychology_degree = serializers.BooleanField(required=False, default=False)
    certificate_level = serializers.ChoiceField(
        choices=CertificateLevel.choices, required=False, allow_blank=True, default=""
    )
    certificate_date = serializers.DateField(required=False, allow_null=True, default=None)
    homeroom_equal_treatment = serializers.BooleanField(required=False, default=False)


class TeacherSerializer(serializers.ModelSerializer):
    school = serializers.CharField(source="school.code")

    class Meta:
        model = MHTeacher
        fields = [
            "id",
            "school",
            "name",
            "kind",
            "start_date",
            "end_date",
            "psychology_degree",
            "certificate_level",
            "certificate_date",
            "homeroom_equal_treatment",
        ]


class TeacherUpdateSerializer(serializers.Serializer):
    """Qualifications only: a post's kind and dates change by ending it and adding a new one."""

    psychology_degree = serializers.BooleanField(required=False)
    certificate_level = serializers.ChoiceField(
        choices=CertificateLevel.choices, required=False, allow_blank=True
    )
    certificate_date = serializers.DateField(required=False, allow_null=True)
    homeroom_equal_treatment = serializers.BooleanField(required=False)


class EndPostSerializer(serializers.Serializer):
    end_date = serializers.DateField()


class MemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    role = serializers.CharField(max_length=50)


class GroupWriteSerializer(serializers.Serializer):
    school = serializers.CharField(help_text="The school's org code.")
    kind = serializers.ChoiceField(choices=GroupKind.choices)
    established_on = serializers.DateField()
    responsible_leader = serializers.CharField(max_length=50)
    members = MemberSerializer(many=True)


class GroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    school = serializers.CharField(source="school.code")
    kind = serializers.ChoiceField(choices=GroupKind.choices)
    established_on = serializers.DateField()
    responsible_leader = serializers.CharField()
    members = MemberSerializer(many=True, source="members.all")


class ParticipantWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    school = serializers.CharField(help_text="The participant's school (org code).")
    role = serializers.ChoiceField(
        choices=TrainingParticipant.Role.choices,
        required=False,
        default=TrainingParticipant.Role.PARTICIPANT,
    )
    is_homeroom_teacher = serializers.BooleanField(required=False, default=False)
    teacher = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The MH teacher post's id."
    )


class TrainingWriteSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="The school or bureau (org code) holding the training.")
    kind = serializers.ChoiceField(choices=TrainingKind.choices)
    title = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    hours = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, default=Decimal(0)
    )
    includes_mh_content = serializers.BooleanField(required=False, default=True)
    participants = ParticipantWriteSerializer(many=True)


class TrainingSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    participant_count = serializers.SerializerMethodField()

    class Meta:
        model = TrainingEvent
        fields = [
            "id",
            "unit",
            "kind",
            "title",
            "held_on",
            "hours",
            "includes_mh_content",
            "participant_count",
        ]

    def get_participant_count(self, obj: TrainingEvent) -> int:
        return obj.participants.count()


# ---------------------------------------------------------------- bureau writes (gap11)


class ResearcherWriteSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="The teaching-research unit's org code.")
    name = serializers.CharField(max_length=50)
    kind = serializers.ChoiceField(choices=PostKind.choices)
    start_date = serializers.DateField()
    psychology_degree = serializers.BooleanField(required=False, default=False)
    certificate_level = serializers.ChoiceField(
        choices=CertificateLevel.choices, required=False, allow_blank=True, default=""
    )
    certificate_date = serializers.DateField(required=False, allow_null=True, default=None)


class ResearcherSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")

    class Meta:
        model = Researcher
        fields = [
            "id",
            "unit",
            "name",
            "kind",
            "start_date",
            "end_date",
            "psychology_degree",
            "certificate_level",
            "certificate_date",
        ]


class ResponsibilityWriteSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="The county's, city's or province's org code.")
    responsible_leader = serializers.CharField(max_length=50)
    division = serializers.CharField(max_length=100)
    person_in_charge = serializers.CharField(max_length=50)
    center_role = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )


class ResponsibilitySerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")

    class Meta:
        model = Responsibility
        fields = ["unit", "responsible_leader", "division", "person_in_charge", "center_role"]


class BudgetWriteSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="A school's, county's, city's or province's org code.")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BudgetSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")

    class Meta:
        model = Budget
        fields = ["unit", "year", "amount", "note"]
