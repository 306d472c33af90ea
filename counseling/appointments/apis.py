"""/api/v1/counseling/appointments/: the appointments the caller may see (counseling scope, or
booked by them for their class), booking (POST) and status changes — the same services, checks
and audit as the pages. Out of scope is 404 like missing."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from counseling.api_common import as_drf, pagination
from counseling.appointments import selectors, services
from counseling.appointments.serializers import (
    AppointmentBookSerializer,
    AppointmentSerializer,
    AppointmentTransitionSerializer,
)
from counseling.models import Appointment, DutyShift
from mhcare.accounts import policy, scope
from mhcare.accounts.policy import Action
from mhcare.audit.apis import AuditedListMixin
from mhcare.orgs.models import Student


@policy.requires(Action.BOOK_APPOINTMENT, Action.COUNSEL)
class AppointmentListApi(AuditedListMixin, generics.ListCreateAPIView[Appointment]):
    serializer_class = AppointmentSerializer
    pagination_class = pagination("starts_at", "id")
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Appointment]:
        if getattr(self, "swagger_fake_view", False):
            return Appointment.objects.none()  # scope-lint: allow schema generation reads nothing
        params = self.request.query_params
        try:
            day = datetime.date.fromisoformat(params["day"]) if params.get("day") else None
        except ValueError:
            day = None
        filters = selectors.AppointmentFilters(
            day=day, mine=params.get("mine") == "1", status=params.get("status", "")
        )
        return selectors.appointment_list(actor=self.request.user, filters=filters)

    @extend_schema(
        parameters=[
            OpenApiParameter("day", datetime.date, required=False),
            OpenApiParameter("mine", str, enum=["1"], required=False),
            OpenApiParameter("status", str, required=False),
        ],
        responses=AppointmentSerializer(many=True),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=AppointmentBookSerializer, responses={201: AppointmentSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not policy.anywhere(request.user, Action.BOOK_APPOINTMENT):
            raise PermissionDenied
        payload = AppointmentBookSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        student = scope.scoped(request.user, Student).filter(pk=data["student"]).first()
        shift = DutyShift.objects.filter(pk=data["shift"]).select_related("room__unit").first()
        if student is None or shift is None:
            raise NotFound
        try:
            appointment = services.appointment_book(
                actor=request.user,
                student=student,
                shift=shift,
                starts_at=data["starts_at"],
                topic=data["topic"],
            )
        except ValidationError as exc:
            raise as_drf(exc) from exc
        return Response(
            AppointmentSerializer(appointment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@policy.requires(Action.BOOK_APPOINTMENT, Action.COUNSEL)
class AppointmentTransitionApi(APIView):
    @extend_schema(request=AppointmentTransitionSerializer, responses={200: AppointmentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        try:
            appointment = selectors.appointment_get(actor=request.user, pk=pk)
        except Http404 as exc:
            raise NotFound from exc
        payload = AppointmentTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            changed = services.appointment_transition(
                actor=request.user,
                appointment=appointment,
                status=payload.validated_data["status"],
                reason=payload.validated_data["reason"],
            )
        except ValidationError as exc:
            raise as_drf(exc) from exc
        refreshed = selectors.appointment_get(actor=request.user, pk=changed.pk)
        return Response(AppointmentSerializer(refreshed, context={"request": request}).data)
