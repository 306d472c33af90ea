"""GET /api/v1/crisis/reports/: the actor's 上报 reports (the psychology teacher's and the leader's
school, the county center's county), newest first, with the JSON as sent to the platform. Roles
that never see cases get 403; the list names students, so each request writes one VIEW audit
event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions
from rest_framework.request import Request
from rest_framework.response import Response

from crisis.models import CaseReport, ReportStatus
from crisis.reporting import selectors
from crisis.reporting.serializers import PAYLOAD_OPENAPI_EXAMPLE, CaseReportSerializer
from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record


class SeesReports(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and selectors.may_view_reports(user))


@policy.requires(policy.Action.VIEW_CASE_REPORTS)
class CaseReportListApi(generics.ListAPIView[CaseReport]):
    permission_classes = [SeesReports]
    serializer_class = CaseReportSerializer

    def get_queryset(self) -> QuerySet[CaseReport]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return CaseReport.objects.none()  # scope-lint: allow schema generation reads nothing
        queryset = selectors.report_queryset(actor=self.request.user)
        wanted = self.request.query_params.get("status", "")
        if wanted in ReportStatus.values:
            queryset = queryset.filter(status=wanted)
        return queryset

    @extend_schema(
        summary="上报 reports to the provincial platform",
        description=(
            "The 一级 / 二级 case reports in your scope. ``payload`` is the JSON body "
            "POSTed to the provincial platform (with ``reported_at`` once sent), the student "
            "number masked (only the platform receives it in full); see the "
            "``CaseReportPayload`` schema for its format."
        ),
        parameters=[OpenApiParameter("status", str, enum=ReportStatus.values, required=False)],
        responses=CaseReportSerializer(many=True),
        examples=[PAYLOAD_OPENAPI_EXAMPLE],
    )
    @transaction.atomic
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        results = response.data.get("results", []) if isinstance(response.data, dict) else []
        audit_record(
            actor=request.user,
            action=Action.VIEW,
            object_type=CaseReport._meta.label_lower,
            detail={"list": "api", "report_ids": [row["id"] for row in results]},
        )
        return response
