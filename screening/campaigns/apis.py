"""/api/v1/screening/campaigns/ and /api/v1/screening/results/ (one, or a bulk of up to 1 000 with
the same validation, all-or-nothing). Scoped like the pages: roles that never see campaigns or
never enter results get 403 before any lookup; a campaign, unit or student outside the actor's
scope is 404 — or, inside a bulk, an error row that reads the same as an unknown student."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.audit.apis import AuditedListMixin
from mhcare.orgs.models import OrgKind, SchoolYear, Semester, Student
from screening.apis_scoring import _errors
from screening.campaigns import selectors, services
from screening.campaigns.serializers import (
    CampaignCoverageSerializer,
    CampaignCreateSerializer,
    CampaignSerializer,
    ResultBulkSerializer,
    ResultSerializer,
    ResultWriteSerializer,
)
from screening.models import Campaign, Instrument, ResultSource, ScreeningResult
from screening.services import may_enter_results

UNKNOWN_STUDENT = _("Unknown student, or a student outside your schools.")
INSTRUMENT_NOT_IN_CAMPAIGN = _("This campaign does not use this instrument.")
UNKNOWN_INSTRUMENT = _("Unknown instrument for this campaign.")
DUPLICATE_STUDENT = _("This student appears more than once in the request.")
UNKNOWN_UNIT = _("Unknown unit.")
UNKNOWN_YEAR = _("Unknown school year or semester.")


def _api_error(exc: ValidationError) -> ApiValidationError:
    return ApiValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


class ViewsCampaigns(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method == "POST":
            return selectors.may_create_campaigns(user)
        return selectors.may_view_campaigns(user)


class EntersResults(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and may_enter_results(user))


@policy.requires(policy.Action.VIEW_CAMPAIGNS)
class CampaignListCreateApi(generics.ListCreateAPIView[Campaign]):
    permission_classes = [ViewsCampaigns]
    serializer_class = CampaignSerializer
    pagination_class = None  # a unit's campaigns are a handful a year

    def get_queryset(self) -> QuerySet[Campaign]:
        if getattr(self, "swagger_fake_view", False):
            return Campaign.objects.none()  # scope-lint: allow schema generation reads nothing
        return selectors.campaign_list(actor=self.request.user)[:200]  # type: ignore[return-value]

    @extend_schema(request=CampaignCreateSerializer, responses={201: CampaignSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = CampaignCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        unit = selectors.creator_units(actor=request.user).filter(pk=data["org_unit"]).first()
        if unit is None:
            raise ApiValidationError({"org_unit": [str(UNKNOWN_UNIT)]})
        year = SchoolYear.objects.filter(pk=data["school_year"]).first()
        semester = None
        if data.get("semester") is not None:
            semester = Semester.objects.filter(pk=data["semester"]).first()
        if year is None or (data.get("semester") is not None and semester is None):
            raise ApiValidationError({"school_year": [str(UNKNOWN_YEAR)]})
        plans = []
        for plan in data["instruments"]:
            instrument = Instrument.objects.latest_of(plan["code"])
            if instrument is None:
                raise ApiValidationError({"instruments": [str(UNKNOWN_INSTRUMENT)]})
            plans.append(
                services.InstrumentPlan(
                    instrument=instrument, grade_min=plan["grade_min"], grade_max=plan["grade_max"]
                )
            )
        try:
            campaign = services.campaign_create(
                actor=request.user,
                name=data["name"],
                org_unit=unit,
                school_year=year,
                semester=semester,
                window_start=data["window_start"],
                window_end=data["window_end"],
                target_grades=data["target_grades"],
                allow_self_screening=data["allow_self_screening"],
                plans=plans,
            )
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


@policy.requires(policy.Action.VIEW_CAMPAIGNS)
class CampaignCoverageApi(APIView):
    permission_classes = [ViewsCampaigns]

    @extend_schema(
        parameters=[OpenApiParameter("unit", int, required=False, description="Unit id")],
        responses=CampaignCoverageSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        """The campaign and its live coverage at ``unit`` (default: the highest unit you see):
        per child unit, or per grade for a school. Counts only."""
        campaign = selectors.campaign_get(actor=request.user, pk=pk)
        unit = selectors.coverage_unit_get(
            actor=request.user, campaign=campaign, pk=request.query_params.get("unit")
        )
        rows: list[Any] = []
        if unit is not None and unit.kind == OrgKind.SCHOOL:
            rows, _classes = selectors.coverage_of_school(
                actor=request.user, campaign=campaign, school=unit
            )
        elif unit is not None:
            rows = selectors.coverage_by_child(actor=request.user, campaign=campaign, unit=unit)
        total = selectors.total_of(rows, unit.name) if unit is not None else None
        if total is not None and unit is not None:
            total.key = unit.pk
        payload = {
            "campaign": campaign,
            "unit": unit.pk if unit is not None else None,
            "total": total,
            "rows": rows,
        }
        return Response(CampaignCoverageSerializer(payload).data)


def _campaign_and_instrument(
    actor: Any, campaign_id: Any, code: str
) -> tuple[Campaign, Instrument]:
    try:
        campaign = selectors.campaign_get(actor=actor, pk=campaign_id)
    except Http404 as exc:
        raise ApiValidationError({"campaign": [str(_("Unknown campaign."))]}) from exc
    instrument = (
        Instrument.objects.filter(code=code, pk__in=campaign.instruments.values("instrument_id"))
        .order_by("-version")
        .first()
    )
    if instrument is None:
        raise ApiValidationError({"instrument": [str(INSTRUMENT_NOT_IN_CAMPAIGN)]})
    return campaign, instrument


def _entry_students(actor: Any) -> QuerySet[Student]:
    return scope.scoped(actor, Student, kind=RecordKind.SCORE).select_related("klass")


@policy.requires(policy.Action.ENTER_RESULTS)
class ResultListCreateApi(AuditedListMixin, generics.ListCreateAPIView[ScreeningResult]):
    """GET: results of your scope (filter by ``campaign`` and / or ``student``), keyset pages.
    POST: enter one result in a campaign. Entering the same values again is a harmless repeat;
    different values for a student with a saved result are refused with 409 unless the request
    says it is an explicit edit (``replace: true``), which re-scores and is audited."""

    permission_classes = [EntersResults]
    serializer_class = ResultSerializer

    def get_queryset(self) -> QuerySet[ScreeningResult]:
        if getattr(self, "swagger_fake_view", False):
            return ScreeningResult.objects.none()  # scope-lint: allow schema generation
        queryset = (
            scope.scoped(self.request.user, ScreeningResult, kind=RecordKind.SCORE)
            .select_related("instrument")
            .prefetch_related("proposals")
        )
        for name in ("campaign", "student"):
            value = self.request.query_params.get(name)
            if value is not None:
                if not value.isdigit():
                    raise ApiValidationError({name: ["must be an id"]})
                queryset = queryset.filter(**{f"{name}_id": int(value)})
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("campaign", int, required=False),
            OpenApiParameter("student", int, required=False),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ResultWriteSerializer, responses={200: ResultSerializer, 201: ResultSerializer}
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = ResultWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        campaign, instrument = _campaign_and_instrument(
            request.user, data["campaign"], data["instrument"]
        )
        student = _entry_students(request.user).filter(pk=data["student"]).first()
        if student is None:
            raise Http404
        source = ResultSource.GRID if request.headers.get("X-Entry-Grid") else ResultSource.API
        try:
            result, created = services.campaign_result_save(
                actor=request.user,
                campaign=campaign,
                student=student,
                instrument=instrument,
                administered_on=data["administered_on"],
                answers=data.get("answers"),
                scores=data.get("scores"),
                source=source,
                replace=data["replace"],
            )
        except services.ResultExistsError as exc:
            return Response(
                {"detail": str(services.RESULT_EXISTS), "code": "exists", "id": exc.result.pk},
                status=status.HTTP_409_CONFLICT,
            )
        except ValidationError as exc:
            return Response(
                {"detail": " ".join(r["message"] for r in _errors(exc)), "errors": _errors(exc)},
                status=400,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        result = (
            scope.scoped(request.user, ScreeningResult, kind=RecordKind.SCORE)
            .select_related("instrument")
            .get(pk=result.pk)
        )
        return Response(
            ResultSerializer(result).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@policy.requires(policy.Action.ENTER_RESULTS)
class ResultBulkApi(APIView):
    """Enter up to 1 000 results of one campaign and instrument at once. Every row is validated
    first; any error stores nothing and answers 400 with each bad row's index and reasons."""

    permission_classes = [EntersResults]

    @extend_schema(request=ResultBulkSerializer, responses={201: ResultSerializer(many=True)})
    def post(self, request: Request) -> Response:
        incoming = ResultBulkSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        campaign, instrument = _campaign_and_instrument(
            request.user, data["campaign"], data["instrument"]
        )
        rows = data["results"]
        ids = [row["student"] for row in rows]
        students = {s.pk: s for s in _entry_students(request.user).filter(pk__in=ids)}
        errors: list[dict[str, Any]] = []
        seen: set[int] = set()
        for index, row in enumerate(rows):
            problems: list[dict[str, str]] = []
            student = students.get(row["student"])
            if student is None:
                problems.append(
                    {"field": "student", "code": "unknown", "message": str(UNKNOWN_STUDENT)}
                )
            elif student.pk in seen:
                problems.append(
                    {"field": "student", "code": "duplicate", "message": str(DUPLICATE_STUDENT)}
                )
            seen.add(row["student"])
            try:
                services.score_only(instrument, row)
            except ValidationError as exc:
                problems.extend(_errors(exc))
            if problems:
                errors.append({"index": index, "student": row["student"], "errors": problems})
        if errors:
            return Response({"detail": str(_("Nothing was stored.")), "rows": errors}, status=400)
        stored: list[ScreeningResult] = []
        conflict = False
        try:
            with transaction.atomic():
                for index, row in enumerate(rows):
                    try:
                        result, _created = services.campaign_result_save(
                            actor=request.user,
                            campaign=campaign,
                            student=students[row["student"]],
                            instrument=instrument,
                            administered_on=data["administered_on"],
                            answers=row.get("answers"),
                            scores=row.get("scores"),
                            source=ResultSource.API,
                            replace=data["replace"],
                        )
                    except services.ResultExistsError:
                        conflict = True
                        problem = {"field": "student", "code": "exists"}
                        problem["message"] = str(services.RESULT_EXISTS)
                        errors.append(
                            {"index": index, "student": row["student"], "errors": [problem]}
                        )
                        continue
                    except ValidationError as exc:
                        errors.append(
                            {"index": index, "student": row["student"], "errors": _errors(exc)}
                        )
                        continue
                    stored.append(result)
                if errors:
                    raise _RollbackError
        except _RollbackError:
            return Response(
                {"detail": str(_("Nothing was stored.")), "rows": errors},
                status=status.HTTP_409_CONFLICT if conflict else 400,
            )
        results = (
            scope.scoped(request.user, ScreeningResult, kind=RecordKind.SCORE)
            .filter(pk__in=[r.pk for r in stored])
            .select_related("instrument")
            .prefetch_related("proposals")
            .order_by("id")
        )
        return Response(ResultSerializer(results, many=True).data, status=201)


class _RollbackError(Exception):
    """Raised inside the bulk's transaction to undo every row when one fails late."""
