"""The 上报 JSON format, documented for the OpenAPI schema: the body POSTed to the provincial
platform (``CaseReportPayloadSerializer``) and the read-only list of the actor's reports."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_field
from rest_framework import serializers

from crisis.models import CaseReport


class _PartySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Org-unit code (学校代码 / 行政区划代码)")
    name = serializers.CharField()


class _StudentSerializer(serializers.Serializer):
    student_number = serializers.CharField(help_text="National student number (全国学籍号)")
    name = serializers.CharField()
    gender = serializers.ChoiceField(choices=["F", "M"])
    birth_date = serializers.DateField()


class CaseReportPayloadSerializer(serializers.Serializer):
    """The body of ``POST <PROVINCIAL_REPORT_URL>`` (``Content-Type: application/json``), sent
    with ``Authorization: Bearer <PROVINCIAL_REPORT_TOKEN>`` and ``Idempotency-Key:
    case-<case_id>-v<version>``. A retry carries the same key; the platform answers 2xx for a key it
    already stored. Any 2xx means received; the JSON answer is kept with the report."""

    schema = serializers.CharField(help_text='Always "mhcare.case-report/1"')
    case_id = serializers.IntegerField()
    version = serializers.IntegerField(help_text="Grows with every level or status change")
    level = serializers.ChoiceField(
        choices=["1", "2", "3"],
        help_text="1 = 一级 (red), 2 = 二级; 3 = lowered to 三级 (the case leaves the register)",
    )
    status = serializers.ChoiceField(
        choices=["open", "monitoring", "referred", "closed"],
        help_text="closed = the case was closed (reported once when it had been reported)",
    )
    # DRF pops declared fields from the class, so this does not shadow ``Field.source``.
    source = serializers.CharField(  # type: ignore[assignment]
        help_text="How the case was opened (screening, observation …)"
    )
    confirmed_at = serializers.DateTimeField(help_text="When the level was confirmed (UTC)")
    student = _StudentSerializer()
    school = _PartySerializer()
    county = _PartySerializer()
    responsible = serializers.CharField(
        allow_null=True, help_text="The responsible psychology teacher"
    )
    reported_at = serializers.DateTimeField(help_text="When this attempt was sent (UTC)")


PAYLOAD_EXAMPLE = {
    "schema": "mhcare.case-report/1",
    "case_id": 4711,
    "version": 2,
    "level": "1",
    "status": "open",
    "source": "screening",
    "confirmed_at": "2026-10-12T02:15:00Z",
    "student": {
        "student_number": "G330106201205010001",
        "name": "张小明",
        "gender": "M",
        "birth_date": "2012-05-01",
    },
    "school": {"code": "3301060001", "name": "西湖一中"},
    "county": {"code": "330106", "name": "西湖区"},
    "responsible": "王老师",
    "reported_at": "2026-10-12T02:16:03Z",
}

REPORT_EXAMPLE = {
    "id": 93,
    "case": 4711,
    "version": 2,
    "level": "1",
    "status": "sent",
    "due_by": "2026-10-13T02:15:00Z",
    "attempts": 2,
    "last_error": "",
    "next_attempt_at": None,
    "sent_at": "2026-10-12T02:16:03Z",
    "payload": PAYLOAD_EXAMPLE,
    "response": {"receipt": "ZJ-2026-000123"},
}

PAYLOAD_OPENAPI_EXAMPLE = OpenApiExample(
    "A 一级 report, sent on the second attempt",
    value=REPORT_EXAMPLE,
    response_only=True,
)


@extend_schema_field(CaseReportPayloadSerializer)
class PayloadField(serializers.JSONField):
    """The JSON body of the report (see ``CaseReportPayloadSerializer``), with the student number
    masked: only the body sent to the platform carries it in full."""

    def to_representation(self, value: Any) -> Any:
        from crisis.services.reports import masked_payload

        return super().to_representation(
            masked_payload(value) if isinstance(value, dict) else value
        )


class CaseReportSerializer(serializers.ModelSerializer[CaseReport]):
    """One 上报 outbox row: what is (or was) sent, when, and what the platform answered."""

    payload = PayloadField(read_only=True)
    response = serializers.JSONField(read_only=True, help_text="The platform's JSON answer")
    status = serializers.CharField(read_only=True, help_text="pending | sent | failed")
    level = serializers.CharField(
        read_only=True, help_text="1 = 一级, 2 = 二级, 3 = lowered to 三级"
    )

    class Meta:
        model = CaseReport
        fields = [
            "id",
            "case",
            "version",
            "level",
            "status",
            "due_by",
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "payload",
            "response",
        ]
        read_only_fields = fields
