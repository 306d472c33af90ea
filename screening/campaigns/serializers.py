from __future__ import annotations

from typing import Any

from rest_framework import serializers

from screening.models import Campaign, CampaignInstrument, ScreeningResult

MAX_BULK_RESULTS = 1000


class CampaignInstrumentSerializer(serializers.ModelSerializer[CampaignInstrument]):
    code = serializers.CharField(source="instrument.code")
    version = serializers.IntegerField(source="instrument.version", read_only=True)

    class Meta:
        model = CampaignInstrument
        fields = ["code", "version", "grade_min", "grade_max"]


class CampaignSerializer(serializers.ModelSerializer[Campaign]):
    instruments = CampaignInstrumentSerializer(many=True, read_only=True)
    school_year = serializers.CharField(source="school_year.name", read_only=True)
    org_unit_code = serializers.CharField(source="org_unit.code", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "school_year",
            "semester",
            "org_unit",
            "org_unit_code",
            "target_grades",
            "window_start",
            "window_end",
            "allow_self_screening",
            "instruments",
        ]
        read_only_fields = fields


class InstrumentPlanSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Instrument code, e.g. PHQ-9 (its newest version)")
    grade_min = serializers.IntegerField(min_value=1, max_value=12)
    grade_max = serializers.IntegerField(min_value=1, max_value=12)


class CampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    org_unit = serializers.IntegerField(help_text="Id of the unit that runs the campaign")
    school_year = serializers.IntegerField(help_text="Id of the school year")
    semester = serializers.IntegerField(required=False, allow_null=True)
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    target_grades = serializers.ListField(
        child=serializers.IntegerField(), default=lambda: list(range(4, 13))
    )
    allow_self_screening = serializers.BooleanField(default=False)
    instruments = InstrumentPlanSerializer(many=True)


class CoverageRowSerializer(serializers.Serializer):
    unit = serializers.IntegerField(allow_null=True, source="key")
    name = serializers.CharField(source="label")
    enrolled = serializers.IntegerField()
    completed = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class CampaignCoverageSerializer(serializers.Serializer):
    campaign = CampaignSerializer()
    unit = serializers.IntegerField(allow_null=True)
    total = CoverageRowSerializer(allow_null=True)
    rows = CoverageRowSerializer(many=True, help_text="Child units, or a school's grades")


class ResultWriteSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    student = serializers.IntegerField()
    instrument = serializers.CharField(help_text="Instrument code; the campaign's version is used")
    administered_on = serializers.DateField()
    answers = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        required=False,
        help_text="Item-level instruments: answers in item order (ASQ: null = refused)",
    )
    scores = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=2),
        required=False,
        help_text="Score-level instruments: subscale (and entered total) scores",
    )
    replace = serializers.BooleanField(
        default=False,
        help_text=(
            "An explicit, confirmed edit: replace the student's saved result. Without it, an "
            "entry that differs from a saved result is refused (409) and changes nothing."
        ),
    )


class BulkRowSerializer(serializers.Serializer):
    student = serializers.IntegerField()
    answers = serializers.ListField(child=serializers.IntegerField(allow_null=True), required=False)
    scores = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=2), required=False
    )


class ResultBulkSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    instrument = serializers.CharField()
    administered_on = serializers.DateField()
    results = BulkRowSerializer(many=True)
    replace = serializers.BooleanField(
        default=False, help_text="Replace saved results that differ (otherwise 409, nothing stored)"
    )

    def validate_results(self, value: list[Any]) -> list[Any]:
        if not value:
            raise serializers.ValidationError("empty")
        if len(value) > MAX_BULK_RESULTS:
            raise serializers.ValidationError(f"at most {MAX_BULK_RESULTS}")
        return value


class ResultSerializer(serializers.ModelSerializer[ScreeningResult]):
    instrument = serializers.CharField(source="instrument.code")
    instrument_version = serializers.IntegerField(source="instrument.version")
    band_label = serializers.CharField(read_only=True)
    critical = serializers.BooleanField(source="is_critical")
    proposed_level = serializers.SerializerMethodField()

    class Meta:
        model = ScreeningResult
        fields = [
            "id",
            "campaign",
            "student",
            "instrument",
            "instrument_version",
            "source",
            "answers",
            "scores",
            "total",
            "band",
            "band_label",
            "critical",
            "proposed_level",
            "administered_on",
        ]
        read_only_fields = fields

    def get_proposed_level(self, obj: ScreeningResult) -> str | None:
        levels = [p.level for p in obj.proposals.all() if p.status != "dismissed"]
        return min(levels) if levels else None
