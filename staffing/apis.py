"""/api/v1/staffing/: the staffing status of every school under a unit on a day (the same numbers
as the county page), and the writes of teachers, groups and training. Same scope as the pages:
roles that never read staffing get 403; a unit, school or post outside the actor's scope is 404
(or, inside a write, the same error as an unknown code); read-only readers get 403 on writes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mhcare.accounts import policy
from mhcare.orgs.models import OrgUnit
from staffing import selectors
from staffing.budget import services as budget_services
from staffing.forms import parse_day
from staffing.groups import services as group_services
from staffing.models import MHTeacher
from staffing.serializers import (
    BudgetSerializer,
    BudgetWriteSerializer,
    EndPostSerializer,
    GroupSerializer,
    GroupWriteSerializer,
    ResearcherSerializer,
    ResearcherWriteSerializer,
    ResponsibilitySerializer,
    ResponsibilityWriteSerializer,
    SchoolStaffingSerializer,
    TeacherSerializer,
    TeacherUpdateSerializer,
    TeacherWriteSerializer,
    TrainingSerializer,
    TrainingWriteSerializer,
)
from staffing.teachers import services as teacher_services
from staffing.teachers.rule import Status
from staffing.training import services as training_services

UNKNOWN_UNIT = _("Unknown unit.")
UNKNOWN_SCHOOL = _("Unknown school.")
UNKNOWN_TEACHER = _("Unknown MH teacher post.")
UNKNOWN_RESEARCH_UNIT = _("Unknown teaching-research unit.")
BAD_DAY = _("Enter a date as YYYY-MM-DD.")


def _api_error(exc: ValidationError) -> ApiValidationError:
    return ApiValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


def _readable_unit(actor: Any, code: str, field: str, message: Any) -> OrgUnit:
    try:
        return selectors.unit_get(actor=actor, code=code)
    except Http404 as exc:
        raise ApiValidationError({field: [str(message)]}) from exc


@policy.requires(policy.Action.VIEW_STAFFING)
class SchoolStaffingListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "unit", str, required=False, description="Org code (default: your highest unit)."
            ),
            OpenApiParameter("on", str, required=False, description="Day, YYYY-MM-DD (today)."),
            OpenApiParameter("status", str, enum=list(Status.values), required=False),
        ],
        responses=SchoolStaffingSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """One row per active school under the unit: its students on the roll that day, campuses,
        stage, whether a full-time MH teacher is required, how many are in post, the status and
        the reason in words."""
        actor = request.user
        code = request.query_params.get("unit", "")
        unit = selectors.unit_get(actor=actor, code=code) if code else selectors.top_unit(actor)
        if unit is None:
            raise Http404
        on = parse_day(request.query_params.get("on"), selectors.today())
        if on is None:
            raise ApiValidationError({"on": [str(BAD_DAY)]})
        wanted = request.query_params.get("status", "")
        rows = selectors.school_staffing_list(
            actor=actor, unit=unit, on=on, status=wanted if wanted in Status.values else ""
        )
        return Response(SchoolStaffingSerializer(rows, many=True).data)


@policy.requires(policy.Action.MANAGE_STAFFING)
class TeacherCreateApi(APIView):
    @extend_schema(request=TeacherWriteSerializer, responses={201: TeacherSerializer})
    def post(self, request: Request) -> Response:
        """Add an MH teacher's post at a school."""
        incoming = TeacherWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        school = _readable_unit(request.user, data.pop("school"), "school", UNKNOWN_SCHOOL)
        try:
            teacher = teacher_services.teacher_add(actor=request.user, school=school, **data)
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(TeacherSerializer(teacher).data, status=status.HTTP_201_CREATED)


@policy.requires(policy.Action.MANAGE_STAFFING)
class TeacherUpdateApi(APIView):
    @extend_schema(request=TeacherUpdateSerializer, responses={200: TeacherSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        """Change a post's qualifications (degree, certificate, homeroom-equal treatment)."""
        teacher: MHTeacher = selectors.teacher_get_for_write(actor=request.user, pk=pk)
        incoming = TeacherUpdateSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        try:
            teacher = teacher_services.teacher_update(
                actor=request.user, teacher=teacher, **incoming.validated_data
            )
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(TeacherSerializer(teacher).data)


@policy.requires(policy.Action.MANAGE_STAFFING)
class TeacherEndPostApi(APIView):
    @extend_schema(request=EndPostSerializer, responses={200: TeacherSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """End a post: its last day (from the next day the teacher no longer counts)."""
        teacher: MHTeacher = selectors.teacher_get_for_write(actor=request.user, pk=pk)
        incoming = EndPostSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            teacher = teacher_services.teacher_end_post(
                actor=request.user, teacher=teacher, end_date=incoming.validated_data["end_date"]
            )
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(TeacherSerializer(teacher).data)


@policy.requires(policy.Action.MANAGE_STAFFING)
class GroupCreateApi(APIView):
    @extend_schema(request=GroupWriteSerializer, responses={201: GroupSerializer})
    def post(self, request: Request) -> Response:
        """Establish a school's MH leading group or crisis group (replacing the current one)."""
        incoming = GroupWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        school = _readable_unit(request.user, data["school"], "school", UNKNOWN_SCHOOL)
        try:
            group = group_services.group_establish(
                actor=request.user,
                school=school,
                kind=data["kind"],
                established_on=data["established_on"],
                responsible_leader=data["responsible_leader"],
                members=[group_services.MemberInput(m["name"], m["role"]) for m in data["members"]],
            )
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(GroupSerializer(group).data, status=status.HTTP_201_CREATED)


@policy.requires(policy.Action.MANAGE_STAFFING, policy.Action.MANAGE_BUREAU_STAFFING)
class TrainingCreateApi(APIView):
    @extend_schema(request=TrainingWriteSerializer, responses={201: TrainingSerializer})
    def post(self, request: Request) -> Response:
        """Record a training event (a school's, or a bureau's for the schools under it) with its
        participants."""
        actor = request.user
        incoming = TrainingWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        unit = _readable_unit(actor, data["unit"], "unit", UNKNOWN_UNIT)
        codes = {p["school"] for p in data["participants"]}
        schools = {
            s.code: s
            for s in selectors.viewer_units(actor).filter(
                code__in=codes, path__startswith=unit.path
            )
        }
        missing = sorted(codes - set(schools))
        if missing:
            raise ApiValidationError({"participants": [f"{UNKNOWN_SCHOOL} {', '.join(missing)}"]})
        teacher_ids = {p["teacher"] for p in data["participants"] if p.get("teacher")}
        teachers = {
            t.pk: t
            for t in MHTeacher.objects.filter(pk__in=teacher_ids, school__in=schools.values())
        }
        if teacher_ids - set(teachers):
            raise ApiValidationError({"participants": [str(UNKNOWN_TEACHER)]})
        participants = [
            training_services.ParticipantInput(
                name=p["name"],
                school=schools[p["school"]],
                role=p["role"],
                is_homeroom_teacher=p["is_homeroom_teacher"],
                teacher=teachers.get(p.get("teacher") or 0),
            )
            for p in data["participants"]
        ]
        try:
            event = training_services.training_record(
                actor=actor,
                unit=unit,
                kind=data["kind"],
                title=data["title"],
                held_on=data["held_on"],
                hours=data["hours"],
                includes_mh_content=data["includes_mh_content"],
                participants=participants,
            )
        except ValidationError as exc:
            raise _api_error(exc) from exc
        except PermissionDenied:
            raise
        return Response(TrainingSerializer(event).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- bureau writes (gap11)


@policy.requires(policy.Action.MANAGE_BUREAU_STAFFING)
class ResearcherCreateApi(APIView):
    @extend_schema(request=ResearcherWriteSerializer, responses={201: ResearcherSerializer})
    def post(self, request: Request) -> Response:
        """Add a 教研员 post at a teaching-research unit (county center, officials above it)."""
        incoming = ResearcherWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        unit = _readable_unit(request.user, data.pop("unit"), "unit", UNKNOWN_RESEARCH_UNIT)
        try:
            researcher = teacher_services.researcher_add(actor=request.user, unit=unit, **data)
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(ResearcherSerializer(researcher).data, status=status.HTTP_201_CREATED)


@policy.requires(policy.Action.MANAGE_BUREAU_STAFFING)
class ResearcherEndPostApi(APIView):
    @extend_schema(request=EndPostSerializer, responses={200: ResearcherSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """End a 教研员 post: its last day."""
        researcher = selectors.researcher_get_for_write(actor=request.user, pk=pk)
        incoming = EndPostSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            researcher = teacher_services.researcher_end_post(
                actor=request.user,
                researcher=researcher,
                end_date=incoming.validated_data["end_date"],
            )
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(ResearcherSerializer(researcher).data)


@policy.requires(policy.Action.MANAGE_BUREAU_STAFFING)
class ResponsibilitySetApi(APIView):
    @extend_schema(request=ResponsibilityWriteSerializer, responses={200: ResponsibilitySerializer})
    def post(self, request: Request) -> Response:
        """Record (or replace) the bureau's responsible leader, division, person in charge and
        the county center's coordinating role."""
        incoming = ResponsibilityWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        unit = _readable_unit(request.user, data.pop("unit"), "unit", UNKNOWN_UNIT)
        try:
            row = group_services.responsibility_set(actor=request.user, unit=unit, **data)
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(ResponsibilitySerializer(row).data)


@policy.requires(policy.Action.MANAGE_STAFFING, policy.Action.MANAGE_BUREAU_STAFFING)
class BudgetSetApi(APIView):
    @extend_schema(request=BudgetWriteSerializer, responses={200: BudgetSerializer})
    def post(self, request: Request) -> Response:
        """Record (or correct) a school's or a bureau's MH budget for a year."""
        incoming = BudgetWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        unit = _readable_unit(request.user, data.pop("unit"), "unit", UNKNOWN_UNIT)
        try:
            row = budget_services.budget_set(actor=request.user, unit=unit, **data)
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(BudgetSerializer(row).data)
