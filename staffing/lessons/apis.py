"""/api/v1/staffing/lessons/: lesson compliance of every class under a unit in a month (GET),
and a lesson logged for one or several classes (POST). Same scope and numbers as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mhcare.accounts import policy
from staffing.lessons import calendar, selectors, services
from staffing.lessons.serializers import (
    ClassMonthPageSerializer,
    ClassMonthSerializer,
    LessonCreateSerializer,
    LessonSerializer,
)
from staffing.models import LessonSource

PAGE_SIZE = 500
MONTH_INVALID = "Give month as YYYY-MM."
UNIT_REQUIRED = "Give unit as an org code."


def _errors(exc: ValidationError) -> Any:
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


@policy.requires(policy.Action.VIEW_LESSONS, policy.Action.LOG_LESSON)
class LessonApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("unit", str, required=True, description="An org unit's code."),
            OpenApiParameter("month", str, required=True, description="YYYY-MM"),
            OpenApiParameter("after", int, required=False, description="Cursor: last class id."),
        ],
        responses=ClassMonthPageSerializer,
        description="One row per class under the unit (in the month's school year): the school's "
        "code, the class, the MH class hours given that month, the hours required (0 in a "
        "holiday month) and whether they were met. Pages of 500 classes by class id.",
    )
    def get(self, request: Request) -> Response:
        actor = request.user
        selectors.require_viewer(actor)
        month = calendar.parse_month(request.query_params.get("month"))
        if month is None:
            raise ApiValidationError({"month": [MONTH_INVALID]})
        code = request.query_params.get("unit", "")
        if not code:
            raise ApiValidationError({"unit": [UNIT_REQUIRED]})
        unit = selectors.unit_get(actor=actor, code=code)
        after_text = request.query_params.get("after", "")
        after = int(after_text) if after_text.isdigit() else None
        rows = selectors.class_month_rows(
            actor=actor, unit=unit, month=month, after=after, limit=PAGE_SIZE + 1
        )
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        next_url = None
        if more:
            query = request.query_params.copy()
            query["after"] = str(rows[-1].class_id)
            next_url = request.build_absolute_uri(
                reverse("api-staffing-lessons") + "?" + query.urlencode()
            )
        return Response({"next": next_url, "results": ClassMonthSerializer(rows, many=True).data})

    @extend_schema(request=LessonCreateSerializer, responses={201: LessonSerializer(many=True)})
    def post(self, request: Request) -> Response:
        actor = request.user
        policy.require(actor, policy.Action.LOG_LESSON)
        serializer = LessonCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        classes = list(services.loggable_classes(actor=actor).filter(pk__in=data["classes"]))
        if len(classes) != len(set(data["classes"])):
            # Out of scope and missing alike: 404, no hint which.
            raise NotFound from None
        try:
            lessons = services.lesson_log(
                actor=actor,
                classes=classes,
                given_on=data["given_on"],
                hours=data["hours"],
                topic=data["topic"],
                teacher_name=data.get("teacher_name", ""),
                source=LessonSource.API,
            )
        except ValidationError as exc:
            return Response(_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        except PermissionDenied:
            raise NotFound from None
        return Response(LessonSerializer(lessons, many=True).data, status=status.HTTP_201_CREATED)
