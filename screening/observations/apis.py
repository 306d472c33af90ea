"""/api/v1/screening/observations/: class roles report (POST); the psychology teacher lists her
school's observations (GET). 403 for other roles before any lookup, 404 for a student outside the
reporter's classes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from mhcare.accounts import policy
from mhcare.audit.apis import AuditedListMixin
from screening.models import Observation, ObservationStatus
from screening.observations import selectors, services
from screening.observations.serializers import (
    ObservationCreateSerializer,
    ObservationReceiptSerializer,
    ObservationSerializer,
)


class ReportsOrReviews(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method == "POST":
            return services.may_report(user)
        return services.may_review(user)


@policy.requires(policy.Action.REPORT_OBSERVATION, policy.Action.REVIEW_OBSERVATION)
class ObservationListCreateApi(AuditedListMixin, generics.ListCreateAPIView[Observation]):
    permission_classes = [ReportsOrReviews]

    def get_serializer_class(self) -> Any:
        if self.request.method == "POST":
            return ObservationCreateSerializer
        return ObservationSerializer

    def get_queryset(self) -> QuerySet[Observation]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return Observation.objects.none()  # scope-lint: allow schema generation reads nothing
        queryset = selectors.school_observations(actor=self.request.user)
        wanted = self.request.query_params.get("status", "")
        if wanted in ObservationStatus.values:
            queryset = queryset.filter(status=wanted)
        return queryset

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=ObservationStatus.values, required=False)],
        responses=ObservationSerializer(many=True),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ObservationCreateSerializer, responses=ObservationReceiptSerializer)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = ObservationCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        student = selectors.reportable_student_get(actor=request.user, pk=data["student"])
        try:
            observation = services.observation_report(
                actor=request.user,
                student=student,
                category=data["category"],
                description=data["description"],
                observed_on=data["observed_on"],
                on_behalf_of_peer=data["on_behalf_of_peer"],
            )
        except ValidationError as exc:
            raise ApiValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from exc
        return Response(
            ObservationReceiptSerializer(observation).data, status=status.HTTP_201_CREATED
        )
