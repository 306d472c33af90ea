"""/api/v1/counseling/supervision/: sessions (the caller's own: led or attended; POST for
supervisors) and stations (supervisors, county centers, officials; POST for centers and
county / city officials)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from counseling.guidance.apis import api_errors
from counseling.models import SupervisionSession, SupervisionStation
from counseling.supervision import selectors, services
from counseling.supervision.serializers import (
    StationSerializer,
    SupervisionSessionCreateSerializer,
    SupervisionSessionSerializer,
)
from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.pagination import KeysetPagination
from mhcare.orgs.models import OrgKind, OrgUnit


class NewestFirst(CursorPagination):
    """Cursor pages newest first (id breaks ties)."""

    page_size = KeysetPagination.page_size
    max_page_size = KeysetPagination.max_page_size
    page_size_query_param = KeysetPagination.page_size_query_param
    ordering = ("-held_on", "-id")


@policy.any_authenticated
class SessionListCreateApi(generics.ListAPIView[SupervisionSession]):
    serializer_class = SupervisionSessionSerializer
    pagination_class = NewestFirst
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[SupervisionSession]:
        if getattr(self, "swagger_fake_view", False):
            return SupervisionSession.objects.none()
        return selectors.session_queryset(actor=self.request.user).prefetch_related("supervisees")

    @extend_schema(responses=SupervisionSessionSerializer(many=True))
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            response = super().get(request, *args, **kwargs)
            ids = [row["id"] for row in response.data.get("results", [])]
            audit_record(
                actor=request.user,
                action=Action.VIEW,
                object_type="counseling.supervisionsession",
                detail={"via": "api", "ids": ids},
            )
        return response

    @extend_schema(
        request=SupervisionSessionCreateSerializer, responses={201: SupervisionSessionSerializer}
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not policy.anywhere(request.user, policy.Action.WRITE_SUPERVISION):
            raise PermissionDenied
        incoming = SupervisionSessionCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        county = OrgUnit.objects.filter(pk=data.pop("county"), kind=OrgKind.COUNTY).first()
        if county is None or not policy.allowed(
            request.user, policy.Action.WRITE_SUPERVISION, county
        ):
            raise NotFound
        station_id = data.pop("station", None)
        station = SupervisionStation.objects.filter(pk=station_id).first() if station_id else None
        if station_id and station is None:
            raise ApiValidationError({"station": [str(services.STATION_ELSEWHERE)]})
        wanted = set(data.pop("supervisees"))
        people = list(get_user_model().objects.filter(pk__in=wanted))
        if len(people) != len(wanted):
            raise ApiValidationError({"supervisees": [str(services.SUPERVISEE_ELSEWHERE)]})
        try:
            session = services.supervision_session_record(
                actor=request.user, county=county, station=station, supervisees=people, **data
            )
        except ValidationError as exc:
            raise api_errors(exc) from exc
        return Response(SupervisionSessionSerializer(session).data, status=status.HTTP_201_CREATED)


@policy.requires(policy.Action.VIEW_SUPERVISION_STATIONS)
class StationListCreateApi(generics.ListAPIView[SupervisionStation]):
    serializer_class = StationSerializer
    pagination_class = KeysetPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[SupervisionStation]:
        if getattr(self, "swagger_fake_view", False):
            return SupervisionStation.objects.none()
        return selectors.station_queryset(actor=self.request.user)

    @extend_schema(responses=StationSerializer(many=True))
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=StationSerializer, responses={201: StationSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not policy.anywhere(request.user, policy.Action.MANAGE_SUPERVISION_STATIONS):
            raise PermissionDenied
        incoming = StationSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        county = OrgUnit.objects.filter(pk=data["county_id"], kind=OrgKind.COUNTY).first()
        if county is None or not policy.allowed(
            request.user, policy.Action.MANAGE_SUPERVISION_STATIONS, county
        ):
            raise NotFound
        host_id = data.get("host_id")
        host = OrgUnit.objects.filter(pk=host_id).first() if host_id else None
        try:
            station = services.station_create(
                actor=request.user,
                county=county,
                name=data["name"],
                kind=data["kind"],
                host=host,
                address=data.get("address", ""),
            )
        except ValidationError as exc:
            raise api_errors(exc) from exc
        station.session_count = 0  # type: ignore[attr-defined]
        return Response(StationSerializer(station).data, status=status.HTTP_201_CREATED)
