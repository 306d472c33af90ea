from __future__ import annotations

from typing import Any

from rest_framework import serializers


class CountyChecklistSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    met_count = serializers.IntegerField(allow_null=True)
    is_standardized = serializers.BooleanField(source="standard", allow_null=True)


class ItemSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField(source="item.pk")
    code = serializers.CharField(source="item.code")
    title = serializers.CharField(source="item.label")
    is_required = serializers.BooleanField(source="item.is_required")
    is_met = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()
    has_file = serializers.SerializerMethodField()

    def get_is_met(self, row: Any) -> bool:
        return bool(row.entry and row.entry.is_met)

    def get_evidence(self, row: Any) -> str:
        return row.entry.evidence if row.entry else ""

    def get_has_file(self, row: Any) -> bool:
        return bool(row.entry and row.entry.evidence_file)


class EntrySerializer(serializers.Serializer[Any]):
    is_met = serializers.BooleanField()
    evidence = serializers.CharField(max_length=5000, allow_blank=True)


class JudgementSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    is_standardized = serializers.BooleanField()
    effective_on = serializers.DateField()
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
