"""/api/v1/staffing/activities/: the MH education and family-education activities of the
caller's scope (GET, keyset pages by id, newest first; ``unit``, ``category``, ``from``, ``to``)
and one activity recorded (POST)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from mhcare.accounts import policy
from mhcare.core.pagination import KeysetPagination
from mhcare.orgs.models import OrgKind
from staffing.activities import selectors, services
from staffing.activities.serializers import ActivityCreateSerializer, ActivitySerializer
from staffing.models import ActivityCategory, EducationActivity


class ActivityPagination(CursorPagination):
    page_size = KeysetPagination.page_size
    max_page_size = KeysetPagination.max_page_size
    page_size_query_param = KeysetPagination.page_size_query_param
    ordering = ("-id",)


def _date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text or "")
    except ValueError:
        return None


@policy.requires(policy.Action.VIEW_ACTIVITIES, policy.Action.RECORD_ACTIVITY)
class ActivityApi(generics.ListAPIView[EducationActivity]):
    serializer_class = ActivitySerializer
    pagination_class = ActivityPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[EducationActivity]:
        if getattr(self, "swagger_fake_view", False):
            nothing = EducationActivity.objects.none()  # scope-lint: allow schema generation
            return nothing
        params = self.request.query_params
        category = params.get("category", "")
        queryset = selectors.activity_queryset(
            actor=self.request.user,
            filters=selectors.ActivityFilters(
                category=category if category in ActivityCategory.values else "",
                start=_date(params.get("from")),
                end=_date(params.get("to")),
            ),
        )
        code = params.get("unit", "")
        if code:
            unit = selectors.activity_unit_get(actor=self.request.user, code=code)
            queryset = queryset.filter(school__path__startswith=unit.path)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", str, required=False, description="An org unit's code."),
            OpenApiParameter("category", str, enum=ActivityCategory.values, required=False),
            OpenApiParameter("from", datetime.date, required=False),
            OpenApiParameter("to", datetime.date, required=False),
        ],
        responses=ActivitySerializer(many=True),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        selectors.require_viewer(request.user)
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ActivityCreateSerializer, responses={201: ActivitySerializer})
    def post(self, request: Request) -> Response:
        actor = request.user
        policy.require(actor, policy.Action.RECORD_ACTIVITY)
        serializer = ActivityCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        school = services.recordable_schools(actor=actor).filter(code=data["school"]).first()
        if school is None or school.kind != OrgKind.SCHOOL:
            raise NotFound from None
        try:
            activity = services.activity_record(
                actor=actor,
                school=school,
                kind=data["kind"],
                held_on=data["held_on"],
                title=data["title"],
                participants=data["participants"],
            )
        except ValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        except PermissionDenied:
            raise NotFound from None
        return Response(ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)
