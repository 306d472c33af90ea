"""/api/v1/referrals/: the same referrals, scope, validation and audit as the pages.

- ``GET /`` the caller's referrals (school subtree, or those shared with the caller's institution),
  newest first, cursor-paginated, filterable by ``state``; ``POST /`` a draft referral;
- ``GET /<id>/`` one referral with its texts (audited);
- ``POST /<id>/transition/`` send / accept / decline / start_treatment / close / withdraw / return /
  plan / override; ``POST /<id>/consent/`` the guardian's consent; ``POST /<id>/feedback/`` the
  institution's feedback;
- ``GET /institutions/`` the institutions; ``POST /institutions/`` a profile (keepers only).

403 for roles that never see referrals; 404 outside the scope, like a missing referral."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.models import Case
from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.audit.apis import AuditedListMixin
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.pagination import KeysetPagination
from mhcare.orgs.models import OrgUnit, Student
from referrals import selectors, services
from referrals.models import Institution, Referral, ReferralState
from referrals.serializers import (
    ConsentSerializer,
    FeedbackSerializer,
    InstitutionSerializer,
    InstitutionWriteSerializer,
    ReferralCreateSerializer,
    ReferralDetailSerializer,
    ReferralSerializer,
    TransitionSerializer,
)

STATE_FILTERS = [selectors.ACTIVE, *ReferralState.values]


def _api_error(exc: ValidationError) -> ApiValidationError:
    return ApiValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


class ReferralPagination(CursorPagination):
    page_size = KeysetPagination.page_size
    max_page_size = KeysetPagination.max_page_size
    page_size_query_param = KeysetPagination.page_size_query_param
    ordering = ("-id",)


@policy.requires(policy.Action.VIEW_REFERRALS)
class ReferralListCreateApi(AuditedListMixin, generics.ListCreateAPIView[Referral]):
    pagination_class = ReferralPagination
    filter_backends: list[Any] = []

    def get_serializer_class(self) -> Any:
        return ReferralCreateSerializer if self.request.method == "POST" else ReferralSerializer

    def get_queryset(self) -> QuerySet[Referral]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return Referral.objects.none()  # scope-lint: allow schema generation reads nothing
        wanted = self.request.query_params.get("state", "")
        filters = selectors.ReferralFilters(state=wanted if wanted in STATE_FILTERS else "")
        return selectors.referral_queryset(actor=self.request.user, filters=filters)

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=STATE_FILTERS, required=False)],
        responses=ReferralSerializer(many=True),
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ReferralCreateSerializer, responses={201: ReferralDetailSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        policy.require(request.user, policy.Action.MAKE_REFERRAL)
        incoming = ReferralCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        student = scope.get_scoped_or_404(request.user, Student, pk=data["student"])
        case = None
        if data["case"] is not None:
            case = scope.get_scoped_or_404(
                request.user, Case, kind=RecordKind.CASE, pk=data["case"], student=student
            )
        institution = get_object_or_404(
            selectors.institutions_for_referral(actor=request.user, student=student),
            pk=data["institution"],
        )
        try:
            referral = services.referral_create(
                actor=request.user,
                student=student,
                case=case,
                institution=institution,
                urgency=data["urgency"],
                reason=data["reason"],
                observations=data["observations"],
            )
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(ReferralDetailSerializer(referral).data, status=status.HTTP_201_CREATED)


@policy.requires(policy.Action.VIEW_REFERRALS)
class ReferralDetailApi(APIView):
    @extend_schema(responses=ReferralDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        with transaction.atomic():
            referral = selectors.referral_get(actor=request.user, pk=pk)
            audit_record(
                actor=request.user,
                action=Action.VIEW,
                obj=referral,
                student=referral.student,
                detail={"via": "api"},
            )
        return Response(ReferralDetailSerializer(referral).data)


@policy.requires(policy.Action.MAKE_REFERRAL, policy.Action.ANSWER_REFERRAL)
class ReferralTransitionApi(APIView):
    @extend_schema(request=TransitionSerializer, responses=ReferralDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        referral = selectors.referral_get(actor=request.user, pk=pk)  # 404 before any validation
        incoming = TransitionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        action = data["action"]
        try:
            if action == "return":
                referral = services.referral_return(
                    actor=request.user, referral=referral, certificate_note=data["certificate_note"]
                )
            elif action == "plan":
                referral = services.referral_write_return_plan(
                    actor=request.user, referral=referral, plan=data["plan"]
                )
            elif action == "override":
                referral = services.referral_override_consent(
                    actor=request.user, referral=referral, reason=data["reason"]
                )
            else:
                referral = services.referral_transition(
                    actor=request.user, referral=referral, action=action, reason=data["reason"]
                )
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(ReferralDetailSerializer(referral).data)


@policy.requires(policy.Action.MAKE_REFERRAL)
class ReferralConsentApi(APIView):
    @extend_schema(request=ConsentSerializer, responses=ReferralDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        referral = selectors.referral_get(actor=request.user, pk=pk)  # 404 before any validation
        incoming = ConsentSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            referral = services.referral_record_consent(
                actor=request.user, referral=referral, **incoming.validated_data
            )
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(ReferralDetailSerializer(referral).data)


@policy.requires(policy.Action.ANSWER_REFERRAL)
class ReferralFeedbackApi(APIView):
    @extend_schema(request=FeedbackSerializer, responses=ReferralDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        referral = selectors.referral_get(actor=request.user, pk=pk)  # 404 before any validation
        incoming = FeedbackSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            referral = services.referral_feedback(
                actor=request.user, referral=referral, **incoming.validated_data
            )
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(ReferralDetailSerializer(referral).data)


@policy.requires(policy.Action.VIEW_INSTITUTIONS)
class InstitutionListCreateApi(generics.ListCreateAPIView[Institution]):
    pagination_class = None
    filter_backends: list[Any] = []
    serializer_class = InstitutionSerializer

    def get_queryset(self) -> QuerySet[Institution]:
        if getattr(self, "swagger_fake_view", False):
            return Institution.objects.none()
        return selectors.institution_queryset(actor=self.request.user)

    @extend_schema(request=InstitutionWriteSerializer, responses={201: InstitutionSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        selectors.require_keeper(request.user)
        incoming = InstitutionWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        unit = get_object_or_404(OrgUnit, code=data.pop("unit_code"))
        if not services.may_keep(request.user, unit):
            from django.http import Http404

            raise Http404
        try:
            institution = services.institution_save(actor=request.user, unit=unit, **data)
        except ValidationError as exc:
            raise _api_error(exc) from exc
        return Response(InstitutionSerializer(institution).data, status=status.HTTP_201_CREATED)
