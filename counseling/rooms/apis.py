"""/api/v1/counseling/rooms/ and /shifts/: the rooms and the duty roster of the units where the
caller may see rooms; POST keeps them (same services, checks and audit as the pages)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from counseling.api_common import as_drf, pagination
from counseling.models import CounselingRoom, DutyShift
from counseling.rooms import selectors, services
from counseling.rooms.serializers import (
    RoomCreateSerializer,
    RoomSerializer,
    ShiftCreateSerializer,
    ShiftSerializer,
)
from mhcare.accounts import policy
from mhcare.accounts.models import User
from mhcare.accounts.policy import Action


@policy.requires(Action.VIEW_ROOMS)
class RoomListApi(generics.ListCreateAPIView[CounselingRoom]):
    serializer_class = RoomSerializer
    pagination_class = pagination("id")
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[CounselingRoom]:
        if getattr(self, "swagger_fake_view", False):
            return CounselingRoom.objects.none()
        return selectors.room_list(actor=self.request.user)

    @extend_schema(request=RoomCreateSerializer, responses={201: RoomSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = RoomCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        unit = selectors.room_units(actor=request.user).filter(pk=data["unit"]).first()
        if unit is None:
            raise NotFound
        try:
            room = services.room_create(
                actor=request.user,
                unit=unit,
                name=data["name"],
                place=data["place"],
                standards=data["standards"],
                capacity=data["capacity"],
            )
        except ValidationError as exc:
            raise as_drf(exc) from exc
        return Response(RoomSerializer(room).data, status=status.HTTP_201_CREATED)


def _week_bounds(raw: str | None) -> tuple[datetime.datetime, datetime.datetime]:
    try:
        day = datetime.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    start = selectors.week_start(day)
    begin = datetime.datetime.combine(
        start, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    return begin, begin + datetime.timedelta(days=7)


@policy.requires(Action.VIEW_ROOMS)
class ShiftListApi(generics.ListCreateAPIView[DutyShift]):
    serializer_class = ShiftSerializer
    pagination_class = pagination("starts_at", "id")
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[DutyShift]:
        if getattr(self, "swagger_fake_view", False):
            return DutyShift.objects.none()
        begin, end = _week_bounds(self.request.query_params.get("week"))
        return selectors.shift_list(actor=self.request.user, start=begin, end=end, room=None)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "week", datetime.date, required=False, description="A day of the week wanted."
            )
        ],
        responses=ShiftSerializer(many=True),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ShiftCreateSerializer, responses={201: ShiftSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not policy.anywhere(request.user, Action.MANAGE_ROOMS):
            raise PermissionDenied
        payload = ShiftCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        room = (
            selectors.room_list(actor=request.user, action=Action.MANAGE_ROOMS)
            .filter(pk=data["room"])
            .first()
        )
        counselor = User.objects.filter(pk=data["counselor"], is_active=True).first()
        if room is None or counselor is None:
            raise NotFound
        try:
            shift = services.shift_create(
                actor=request.user,
                room=room,
                counselor=counselor,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
            )
        except ValidationError as exc:
            raise as_drf(exc) from exc
        return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)
