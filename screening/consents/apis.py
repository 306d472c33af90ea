"""/api/v1/screening/consents/: the guardian consents of the students the caller records
consent for (GET), and record one (POST). 403 for other roles, 404 for a student outside."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from mhcare.accounts import policy, scope
from mhcare.audit.apis import AuditedListMixin
from mhcare.orgs.models import Student
from screening.consents import selectors, services
from screening.consents.serializers import (
    ScreeningConsentCreateSerializer,
    ScreeningConsentSerializer,
)
from screening.models import ConsentDecision, ScreeningConsent


class RecordsConsent(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and policy.anywhere(user, policy.Action.RECORD_CONSENT)
        )


@policy.requires(policy.Action.RECORD_CONSENT)
class ConsentListCreateApi(AuditedListMixin, generics.ListCreateAPIView[ScreeningConsent]):
    permission_classes = [RecordsConsent]
    serializer_class = ScreeningConsentSerializer

    def get_queryset(self) -> QuerySet[ScreeningConsent]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return ScreeningConsent.objects.none()  # scope-lint: allow schema, no rows
        queryset = selectors.consent_list(actor=self.request.user)
        wanted = self.request.query_params.get("decision", "")
        if wanted in ConsentDecision.values:
            queryset = queryset.filter(decision=wanted)
        return queryset

    @extend_schema(
        parameters=[OpenApiParameter("decision", str, enum=ConsentDecision.values, required=False)],
        responses=ScreeningConsentSerializer(many=True),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ScreeningConsentCreateSerializer, responses=ScreeningConsentSerializer)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = ScreeningConsentCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        student = scope.get_scoped_or_404(
            request.user, Student.objects.select_related("klass"), pk=data["student"]
        )
        if not policy.allowed(request.user, policy.Action.RECORD_CONSENT, student):
            raise Http404
        try:
            consent = services.consent_record(
                actor=request.user,
                student=student,
                **{k: data[k] for k in ("decision", "way", "decided_on", "student_assent", "note")},
            )
        except ValidationError as exc:
            raise ApiValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from exc
        return Response(ScreeningConsentSerializer(consent).data, status=status.HTTP_201_CREATED)
