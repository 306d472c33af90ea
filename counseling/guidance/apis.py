"""/api/v1/counseling/guidance/: the watch list, a student's flags, responsible teacher and
guidance records, with the pages' scope, validation and audit. A student outside the caller's
guidance scope is 404."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from counseling.guidance import selectors, services
from counseling.guidance.serializers import (
    FlagsResultSerializer,
    FlagsSerializer,
    GuidanceRecordSerializer,
    ResponsibleSerializer,
    WatchStudentSerializer,
)
from mhcare.accounts import policy
from mhcare.audit.apis import AuditedListMixin
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.pagination import KeysetPagination
from mhcare.orgs.models import Disadvantage, Student


def api_errors(exc: ValidationError) -> ApiValidationError:
    return ApiValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


# A filter value outside these bounds is ignored like one that is not a number (a bigger id is
# no row's, a longer quiet spell than ten years is "never": the form's own bound).
_MAX_ID = 2**63 - 1
_MAX_QUIET_DAYS = 3650


def _int(value: str | None, *, low: int = -_MAX_ID - 1, high: int = _MAX_ID) -> int | None:
    try:
        number = int(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and low <= number <= high else None


@policy.requires(policy.Action.VIEW_GUIDANCE)
class WatchListApi(AuditedListMixin, generics.ListAPIView[Student]):
    serializer_class = WatchStudentSerializer
    pagination_class = KeysetPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Student]:
        if getattr(self, "swagger_fake_view", False):
            return Student.objects.none()  # scope-lint: allow schema generation reads nothing
        params = self.request.query_params
        flag = params.get("flag", "")
        quiet = _int(params.get("quiet_days"), low=1, high=_MAX_QUIET_DAYS)
        filters = selectors.WatchFilters(
            flag=flag if flag in Disadvantage.values else "",
            responsible=_int(params.get("responsible")),
            quiet_days=quiet,
        )
        return selectors.watch_queryset(actor=self.request.user, filters=filters)

    @extend_schema(
        parameters=[
            OpenApiParameter("flag", str, enum=Disadvantage.values, required=False),
            OpenApiParameter(
                "responsible", int, required=False, description="A teacher's id; 0 = nobody."
            ),
            OpenApiParameter(
                "quiet_days",
                int,
                required=False,
                description="No guidance in this many days (1 to 3650; other values are ignored).",
            ),
        ],
        responses=WatchStudentSerializer(many=True),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@policy.requires(policy.Action.WRITE_GUIDANCE)
class StudentFlagsApi(APIView):
    @extend_schema(request=FlagsSerializer, responses=FlagsResultSerializer)
    def post(self, request: Request, pk: int) -> Response:
        student = selectors.guidance_student_get(actor=request.user, pk=pk)
        policy.require(request.user, policy.Action.WRITE_GUIDANCE, student)
        incoming = FlagsSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        old = sorted(student.disadvantages)
        try:
            services.guidance_flags_set(
                actor=request.user, student=student, **incoming.validated_data
            )
        except ValidationError as exc:
            raise api_errors(exc) from exc
        return Response({"old": old, "new": sorted(student.disadvantages)})


@policy.requires(policy.Action.WRITE_GUIDANCE)
class StudentResponsibleApi(APIView):
    @extend_schema(request=ResponsibleSerializer, responses=ResponsibleSerializer)
    def post(self, request: Request, pk: int) -> Response:
        student = selectors.guidance_student_get(actor=request.user, pk=pk)
        policy.require(request.user, policy.Action.WRITE_GUIDANCE, student)
        incoming = ResponsibleSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        teacher = get_user_model().objects.filter(pk=incoming.validated_data["teacher"]).first()
        if teacher is None:
            raise ApiValidationError({"teacher": [str(services.NOT_A_TEACHER_HERE)]})
        try:
            services.guidance_assign(actor=request.user, student=student, teacher=teacher)
        except ValidationError as exc:
            raise api_errors(exc) from exc
        return Response({"teacher": teacher.pk})


@policy.any_authenticated
class StudentRecordsApi(APIView):
    """GET: the student's guidance records (text only where the caller may read it); POST: add
    one (psychology teacher, county center, or the student's responsible teacher)."""

    @extend_schema(responses=GuidanceRecordSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        with transaction.atomic():
            student = selectors.guidance_student_get(actor=request.user, pk=pk)
            rows = selectors.student_records(actor=request.user, student=student)
            audit_record(
                actor=request.user,
                action=Action.VIEW,
                obj=student,
                student=student,
                detail={"via": "api", "guidance_records": [r.pk for r in rows]},
            )
        return Response(GuidanceRecordSerializer(rows, many=True).data)

    @extend_schema(request=GuidanceRecordSerializer, responses={201: GuidanceRecordSerializer})
    def post(self, request: Request, pk: int) -> Response:
        student = selectors.guidance_student_get(actor=request.user, pk=pk)
        if not services.may_add_record(request.user, student):
            raise PermissionDenied
        incoming = GuidanceRecordSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            record = services.guidance_record_add(
                actor=request.user, student=student, **incoming.validated_data
            )
        except ValidationError as exc:
            raise api_errors(exc) from exc
        row = selectors.RecordRow(
            pk=record.pk,
            kind=record.kind,
            kind_label=str(record.get_kind_display()),
            occurred_on=record.occurred_on,
            author=record.author,
            shows_text=True,
            summary=record.summary,
            peer_helper=record.peer_helper,
            next_step=record.next_step,
        )
        return Response(GuidanceRecordSerializer(row).data, status=status.HTTP_201_CREATED)
