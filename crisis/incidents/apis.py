"""/api/v1/crisis/incidents/: the incidents of the caller's scope (school / county / city /
province), newest first, cursor-paginated, filterable by kind, severity and open checklist step.
403 for roles that never see incidents."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from crisis.incidents import selectors
from crisis.incidents.serializers import IncidentSerializer
from crisis.incidents.services import STEP_FIELDS
from crisis.models import Incident, IncidentKind, IncidentSeverity
from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.audit.apis import AuditedListMixin
from mhcare.core.pagination import KeysetPagination


class SeesIncidents(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and scope.can(user, RecordKind.INCIDENT))


class IncidentPagination(CursorPagination):
    """Cursor pages newest first, by when the incident occurred (id breaks ties)."""

    page_size = KeysetPagination.page_size
    max_page_size = KeysetPagination.max_page_size
    page_size_query_param = KeysetPagination.page_size_query_param
    ordering = ("-occurred_at", "-id")


@policy.requires(policy.Action.VIEW_INCIDENTS)
class IncidentListApi(AuditedListMixin, generics.ListAPIView[Incident]):
    permission_classes = [SeesIncidents]
    serializer_class = IncidentSerializer
    pagination_class = IncidentPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Incident]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return Incident.objects.none()  # scope-lint: allow schema generation reads nothing
        params = self.request.query_params
        kind = params.get("kind", "")
        severity = params.get("severity", "")
        open_step = params.get("open_step", "")
        filters = selectors.IncidentFilters(
            kind=kind if kind in IncidentKind.values else "",
            severity=severity if severity in IncidentSeverity.values else "",
            open_step=open_step if open_step in {selectors.OPEN_ANY, *STEP_FIELDS} else "",
        )
        return selectors.incident_queryset(actor=self.request.user, filters=filters)

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=IncidentKind.values, required=False),
            OpenApiParameter("severity", str, enum=IncidentSeverity.values, required=False),
            OpenApiParameter(
                "open_step",
                str,
                enum=[selectors.OPEN_ANY, *STEP_FIELDS],
                required=False,
                description="Only incidents whose checklist has this step (or any step) open.",
            ),
        ],
        responses=IncidentSerializer(many=True),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
