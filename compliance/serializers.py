from __future__ import annotations

from rest_framework import serializers

from compliance import indicators


class IndicatorRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One indicator of one unit for one period: the same numbers as the dashboards."""

    code = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()
    notice = serializers.CharField(source="indicator.notice", read_only=True)
    numerator = serializers.IntegerField(read_only=True, allow_null=True)
    denominator = serializers.IntegerField(read_only=True, allow_null=True)
    value = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Percent, one decimal; null without data."
    )
    target = serializers.FloatField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=list(indicators.STATUS_LABELS), read_only=True)
    as_of = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_name(self, row: object) -> str:
        return str(row.indicator.name)  # type: ignore[attr-defined]


class TrendPointSerializer(serializers.Serializer):  # type: ignore[type-arg]
    period = serializers.CharField(read_only=True, help_text="YYYY-MM")
    numerator = serializers.IntegerField(read_only=True, allow_null=True)
    denominator = serializers.IntegerField(read_only=True, allow_null=True)
    value = serializers.FloatField(read_only=True, allow_null=True)


class IndicatorTrendRowSerializer(IndicatorRowSerializer):
    """An indicator row with its month-by-month series (``trend=1``), oldest first; empty for an
    indicator without a source."""

    trend = TrendPointSerializer(many=True, read_only=True, required=False)


class ReportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    unit = serializers.CharField(source="org_unit.code", read_only=True)
    unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    period = serializers.CharField(read_only=True)
    scheduled = serializers.BooleanField(read_only=True)
    status = serializers.CharField(read_only=True)
    progress = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ReportRequestInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    unit = serializers.CharField(help_text="Org unit code (county, city or province).")
    period = serializers.CharField(help_text="YYYY-MM, YYYY-S1, YYYY-S2 or YYYY.")


class InspectionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    inspected_on = serializers.DateField()
    items_checked = serializers.CharField()
    findings = serializers.CharField(required=False, allow_blank=True)


class RectificationSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    inspection = serializers.IntegerField(source="inspection_id", read_only=True)
    school = serializers.CharField(source="school.code", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)
    finding = serializers.CharField(read_only=True)
    deadline = serializers.DateField(read_only=True)
    status = serializers.CharField(read_only=True)
    measures = serializers.CharField(read_only=True)
    decision_note = serializers.CharField(read_only=True)
