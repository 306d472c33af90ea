"""/api/v1/compliance/indicators/?unit=<org code>&period=<YYYY-MM | YYYY-S1 | YYYY-S2 | YYYY>:
one row per indicator of the unit for the period, from the snapshots (the dashboards' numbers).
A unit outside the caller's subtree is 404 like a missing one; a bad period is 400."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import selectors
from compliance.periods import parse_period
from compliance.serializers import IndicatorRowSerializer
from mhcare.accounts import policy

UNIT_REQUIRED = "unit is required (an org unit code)."


@policy.requires(policy.Action.VIEW_INDICATORS)
class IndicatorListApi(APIView):
    @extend_schema(
        operation_id="compliance_indicators",
        parameters=[
            OpenApiParameter("unit", str, required=True, description="Org unit code."),
            OpenApiParameter(
                "period",
                str,
                required=True,
                description="YYYY-MM (month), YYYY-S1 / YYYY-S2 (semester of the school year "
                "starting in YYYY) or YYYY (that school year).",
            ),
        ],
        responses=IndicatorRowSerializer(many=True),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        code = request.query_params.get("unit", "")
        if not code:
            return Response({"unit": [UNIT_REQUIRED]}, status=status.HTTP_400_BAD_REQUEST)
        unit = selectors.indicator_unit_get(actor=request.user, code=code)
        try:
            period = parse_period(request.query_params.get("period", ""))
        except ValueError as exc:
            return Response({"period": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        rows = selectors.unit_indicators(actor=request.user, unit=unit, period=period)
        return Response(IndicatorRowSerializer(rows, many=True).data)
