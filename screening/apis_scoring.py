"""``POST /api/v1/screening/instruments/<code>/score/``: score answers without storing anything.

Used by the entry grid (totals and bands as the teacher types) and by integrators. Any signed-in
user may call it: it takes no student and returns nothing but the arithmetic of a public
instrument."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mhcare.accounts import policy
from mhcare.accounts.tokens import ExpiringTokenAuthentication
from screening import risk, scoring
from screening.models import Instrument, InstrumentKind

BODY_NOT_AN_OBJECT = _("The request body must be a JSON object.")
ANSWERS_REQUIRED = _('Give the answers as a list: {"answers": [...]}.')
SCORES_REQUIRED = _('Give the scores per subscale: {"scores": {...}}.')


class ScoreRequestSerializer(serializers.Serializer):
    answers = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        required=False,
        help_text="Item answers in item order (item-level instruments). ASQ: 1 = yes, 0 = no, "
        "null = refused.",
    )
    scores = serializers.DictField(
        child=serializers.DecimalField(max_digits=6, decimal_places=2),
        required=False,
        help_text="Subscale (and, when configured, total) scores (score-level instruments).",
    )


class ScoreResponseSerializer(serializers.Serializer):
    instrument = serializers.CharField(help_text="Instrument code")
    version = serializers.IntegerField()
    total = serializers.IntegerField()
    band = serializers.CharField(help_text="Band code, e.g. minimal, mild, moderate, severe")
    band_label = serializers.CharField()
    critical = serializers.BooleanField()
    critical_codes = serializers.ListField(child=serializers.CharField())
    critical_labels = serializers.ListField(child=serializers.CharField())
    proposed_level = serializers.CharField(allow_null=True, help_text="1, 2, 3 or null")
    reasons = serializers.ListField(child=serializers.CharField())
    notes = serializers.ListField(child=serializers.CharField())


class ScoreErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Item number, subscale code or 'answers'")
    code = serializers.CharField()
    message = serializers.CharField()


class ScoreErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = ScoreErrorItemSerializer(many=True)  # type: ignore[assignment]  # a field, for the schema


def _errors(exc: ValidationError) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                rows.append(
                    {
                        "field": str(name),
                        "code": error.code or "invalid",
                        "message": _message(error),
                    }
                )
        return rows
    for error in exc.error_list:
        item = (error.params or {}).get("item")
        rows.append(
            {
                "field": str(item) if item is not None else "answers",
                "code": error.code or "invalid",
                "message": _message(error),
            }
        )
    return rows


def _message(error: ValidationError) -> str:
    return str(error.message % error.params) if error.params else str(error.message)


def _bad_request(rows: list[dict[str, str]]) -> Response:
    return Response({"detail": " ".join(r["message"] for r in rows), "errors": rows}, status=400)


@policy.any_authenticated
class InstrumentScoreApi(APIView):
    """Score one administration of an instrument (the newest active version of ``code``)."""

    # Token first: an anonymous call answers 401 with ``WWW-Authenticate``, not 403.
    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="screening_instrument_score",
        summary="Score answers (stores nothing)",
        request=ScoreRequestSerializer,
        responses={200: ScoreResponseSerializer, 400: ScoreErrorSerializer},
        examples=[
            OpenApiExample("PHQ-9", value={"answers": [1, 1, 2, 0, 0, 1, 0, 0, 1]}),
            OpenApiExample("ASQ", value={"answers": [0, None, 0, 0, 0]}),
        ],
        tags=["screening"],
    )
    def post(self, request: Request, code: str) -> Response:
        instrument = Instrument.objects.latest_of(code)
        if instrument is None:
            raise Http404
        data: Any = request.data
        if not isinstance(data, dict):
            return _bad_request(
                [{"field": "answers", "code": "invalid", "message": str(BODY_NOT_AN_OBJECT)}]
            )
        if instrument.kind == InstrumentKind.ITEM:
            answers = data.get("answers")
            if not isinstance(answers, list):
                return _bad_request(
                    [{"field": "answers", "code": "required", "message": str(ANSWERS_REQUIRED)}]
                )
            values: dict[str, Any] = {"answers": answers}
        else:
            scores = data.get("scores")
            if not isinstance(scores, dict):
                return _bad_request(
                    [{"field": "scores", "code": "required", "message": str(SCORES_REQUIRED)}]
                )
            values = {"scores": scores}
        try:
            outcome = scoring.outcome_for(instrument, **values)
        except ValidationError as exc:
            return _bad_request(_errors(exc))
        proposal = risk.propose(instrument.code, outcome)
        definition = instrument.definition
        return Response(
            {
                "instrument": instrument.code,
                "version": instrument.version,
                "total": outcome.total,
                "band": outcome.band,
                "band_label": scoring.band_label(definition, outcome.band),
                "critical": outcome.is_critical,
                "critical_codes": outcome.critical_codes,
                "critical_labels": [
                    scoring.critical_label(definition, c) for c in outcome.critical_codes
                ],
                "proposed_level": proposal.level if proposal else None,
                "reasons": [risk.reason_label(r) for r in proposal.reasons] if proposal else [],
                "notes": outcome.notes,
            }
        )
