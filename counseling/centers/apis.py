"""/api/v1/counseling/centers/: county-center checklists (county centers, officials), one
checklist's items, an item's answer (the county center), a judgement (city / province officials).
A county outside the caller's scope is 404."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from counseling.centers import selectors, services
from counseling.centers.serializers import (
    CountyChecklistSerializer,
    EntrySerializer,
    ItemSerializer,
    JudgementSerializer,
)
from counseling.guidance.apis import api_errors
from counseling.models import ChecklistItem
from mhcare.accounts import policy


@policy.requires(policy.Action.VIEW_CENTER_CHECKLISTS)
class ChecklistListApi(APIView):
    @extend_schema(responses=CountyChecklistSerializer(many=True))
    def get(self, request: Request) -> Response:
        counties = selectors.checklist_counties(actor=request.user, on_date=timezone.localdate())
        return Response(CountyChecklistSerializer(counties, many=True).data)


@policy.requires(policy.Action.VIEW_CENTER_CHECKLISTS)
class ChecklistDetailApi(APIView):
    @extend_schema(
        operation_id="counseling_centers_checklist_items", responses=ItemSerializer(many=True)
    )
    def get(self, request: Request, pk: int) -> Response:
        county = selectors.county_get(actor=request.user, pk=pk)
        return Response(ItemSerializer(selectors.county_items(county=county), many=True).data)


@policy.requires(policy.Action.FILL_CENTER_CHECKLIST)
class ChecklistEntryApi(APIView):
    @extend_schema(request=EntrySerializer, responses=EntrySerializer)
    def post(self, request: Request, pk: int, code: str) -> Response:
        county = selectors.county_get(actor=request.user, pk=pk)
        if not policy.allowed(request.user, policy.Action.FILL_CENTER_CHECKLIST, county):
            raise Http404
        checklist_item = ChecklistItem.objects.filter(code=code, is_active=True).first()
        if checklist_item is None:
            raise Http404
        incoming = EntrySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                entry = services.center_entry_save(
                    actor=request.user,
                    county=county,
                    item=checklist_item,
                    **incoming.validated_data,
                )
        except ValidationError as exc:
            raise api_errors(exc) from exc
        return Response({"is_met": entry.is_met, "evidence": entry.evidence})


@policy.requires(policy.Action.JUDGE_CENTER_STANDARD)
class JudgementApi(APIView):
    @extend_schema(request=JudgementSerializer, responses={201: JudgementSerializer})
    def post(self, request: Request, pk: int) -> Response:
        county = selectors.county_get(actor=request.user, pk=pk)
        if not policy.allowed(request.user, policy.Action.JUDGE_CENTER_STANDARD, county):
            raise Http404
        incoming = JudgementSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            judgement = services.center_judge(
                actor=request.user, county=county, **incoming.validated_data
            )
        except ValidationError as exc:
            raise api_errors(exc) from exc
        return Response(JudgementSerializer(judgement).data, status=status.HTTP_201_CREATED)
