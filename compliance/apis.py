"""/api/v1/compliance/indicators/?unit=<org code>&period=<YYYY-MM | YYYY-S1 | YYYY-S2 | YYYY>:
one row per indicator of the unit for the period, from the snapshots (the dashboards' numbers).
A unit outside the caller's subtree is 404 like a missing one; a bad period is 400."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import inspections, selectors, services
from compliance.models import Inspection, Rectification, ReportRequest
from compliance.periods import parse_period, trend_months
from compliance.serializers import (
    IndicatorRowSerializer,
    IndicatorTrendRowSerializer,
    InspectionSerializer,
    RectificationSerializer,
    ReportRequestInputSerializer,
    ReportSerializer,
    TrendPointSerializer,
)
from mhcare.accounts import policy
from mhcare.core.pagination import KeysetPagination
from mhcare.core.spreadsheets import XLSX_CONTENT_TYPE

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
            OpenApiParameter(
                "trend",
                int,
                required=False,
                description="1: each row also gives `trend`, the value of the last "
                "COMPLIANCE_TREND_MONTHS months (oldest first) from the snapshots.",
            ),
        ],
        responses=IndicatorTrendRowSerializer(many=True),
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
        if request.query_params.get("trend") not in ("1", "true"):
            return Response(IndicatorRowSerializer(rows, many=True).data)
        trend = selectors.unit_trend(
            actor=request.user, unit=unit, months=trend_months(settings.COMPLIANCE_TREND_MONTHS)
        )
        data = IndicatorTrendRowSerializer(rows, many=True).data
        for item in data:
            item["trend"] = TrendPointSerializer(trend.get(item["code"], []), many=True).data
        return Response(data)


# --- reports, inspections, rectifications (issue 12, part 2) -------------------------------------


class NewestFirst(CursorPagination):
    page_size = KeysetPagination.page_size
    max_page_size = KeysetPagination.max_page_size
    page_size_query_param = KeysetPagination.page_size_query_param
    ordering = ("-id",)


@policy.requires(policy.Action.REQUEST_COMPLIANCE_REPORT)
class ReportListApi(generics.ListAPIView):  # type: ignore[type-arg]
    """The reports the caller may see (newest first); POST requests one."""

    serializer_class = ReportSerializer
    pagination_class = NewestFirst
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ReportRequest]:
        if getattr(self, "swagger_fake_view", False):
            return ReportRequest.objects.none()  # scope-lint: allow schema generation reads nothing
        selectors.require_report_access(self.request.user)
        return selectors.report_list(actor=self.request.user)

    @extend_schema(
        operation_id="compliance_report_request",
        request=ReportRequestInputSerializer,
        responses={202: ReportSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        selectors.require_report_access(request.user)
        data = ReportRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = selectors.report_units(actor=request.user).filter(code=data.validated_data["unit"])
        if not unit.exists():
            raise Http404
        try:
            period = parse_period(data.validated_data["period"])
        except ValueError as exc:
            return Response({"period": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        report = services.report_request(actor=request.user, org_unit=unit.get(), period=period)
        return Response(ReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


@policy.requires(policy.Action.REQUEST_COMPLIANCE_REPORT)
class ReportDetailApi(APIView):
    @extend_schema(operation_id="compliance_report_status", responses=ReportSerializer)
    def get(self, request: Request, pk: int) -> Response:
        selectors.require_report_access(request.user)
        return Response(ReportSerializer(selectors.report_get(actor=request.user, pk=pk)).data)


@policy.requires(policy.Action.REQUEST_COMPLIANCE_REPORT)
class ReportDownloadApi(APIView):
    @extend_schema(
        operation_id="compliance_report_download",
        parameters=[
            OpenApiParameter(
                "filetype",
                str,
                enum=["pdf", "xlsx"],
                required=False,
                description="pdf (default; watermarked with the caller's name) or xlsx.",
            )
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        selectors.require_report_access(request.user)
        fmt = request.query_params.get("filetype", "pdf")  # "format" is DRF's renderer switch
        try:
            report, content = services.report_download(actor=request.user, pk=pk, fmt=fmt)
        except ValidationError as exc:
            raise Http404 from exc
        response = HttpResponse(
            content, content_type="application/pdf" if fmt == "pdf" else XLSX_CONTENT_TYPE
        )
        name = report.filename if fmt == "pdf" else report.xlsx_filename
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@policy.requires(policy.Action.MANAGE_INSPECTIONS)
class InspectionListApi(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = InspectionSerializer
    pagination_class = NewestFirst
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Inspection]:
        if getattr(self, "swagger_fake_view", False):
            return Inspection.objects.none()
        return inspections.inspection_list(actor=self.request.user)

    @extend_schema(
        operation_id="compliance_inspection_create",
        request=InspectionSerializer,
        responses={201: InspectionSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = InspectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        unit = inspections.inspectable_units(actor=request.user).filter(code=values["unit"]["code"])
        if not unit.exists():
            raise Http404
        inspection = inspections.inspection_create(
            actor=request.user,
            unit=unit.get(),
            inspected_on=values["inspected_on"],
            items_checked=values["items_checked"],
            findings=values.get("findings", ""),
        )
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)


@policy.requires(policy.Action.MANAGE_INSPECTIONS, policy.Action.REPLY_RECTIFICATION)
class RectificationListApi(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = RectificationSerializer
    pagination_class = NewestFirst
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Rectification]:
        if getattr(self, "swagger_fake_view", False):
            return Rectification.objects.none()
        return inspections.rectification_list(actor=self.request.user)


@policy.requires(policy.Action.MANAGE_INSPECTIONS, policy.Action.REPLY_RECTIFICATION)
class RectificationDetailApi(APIView):
    @extend_schema(operation_id="compliance_rectification", responses=RectificationSerializer)
    def get(self, request: Request, pk: int) -> Response:
        item = inspections.rectification_get(actor=request.user, pk=pk)
        return Response(RectificationSerializer(item).data)
