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
