"""/api/v1/counseling/sessions/: the caller's own session records and those shared with them
(list, one, POST to record one) and /sessions/log/: that sessions happened, for the leader and
the county center. Same services, checks and audit as the pages; a record the caller may not
read is 404 like a missing one."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from counseling.api_common import as_drf, pagination
from counseling.appointments import selectors as appointment_selectors
from counseling.models import CounselingSession
from counseling.sessions import selectors, services
from counseling.sessions.serializers import (
    SessionCreateSerializer,
    SessionLogSerializer,
    SessionSerializer,
)
from mhcare.accounts import policy, scope
from mhcare.accounts.policy import Action
from mhcare.audit.apis import AuditedListMixin
from mhcare.audit.models import Action as AuditAction
from mhcare.audit.services import audit_record
from mhcare.orgs.models import Student


@policy.requires(Action.COUNSEL, Action.VIEW_SESSION_LOG)
class SessionListApi(AuditedListMixin, generics.ListCreateAPIView[CounselingSession]):
    serializer_class = SessionSerializer
    pagination_class = pagination("-held_on", "-id")
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[CounselingSession]:
        if getattr(self, "swagger_fake_view", False):
            return scope.scoped(None, CounselingSession)
        return selectors.session_list(actor=self.request.user)

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not services.may_record(request.user):
            raise PermissionDenied
        payload = SessionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        student = scope.scoped(request.user, Student).filter(pk=data.pop("student")).first()
        if student is None:
            raise NotFound
        appointment = None
        appointment_id = data.pop("appointment")
        if appointment_id:
            try:
                appointment = appointment_selectors.appointment_get(
                    actor=request.user, pk=appointment_id
                )
            except Http404 as exc:
                raise NotFound from exc
        try:
            session = services.session_record(
                actor=request.user, student=student, appointment=appointment, **data
            )
        except ValidationError as exc:
            raise as_drf(exc) from exc
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


@policy.requires(Action.COUNSEL, Action.VIEW_SESSION_LOG)
class SessionDetailApi(generics.RetrieveAPIView[CounselingSession]):
    serializer_class = SessionSerializer

    def get_object(self) -> CounselingSession:
        try:
            session = selectors.session_get(actor=self.request.user, pk=int(self.kwargs["pk"]))
        except Http404 as exc:
            raise NotFound from exc
        with transaction.atomic():
            audit_record(
                actor=self.request.user,
                action=AuditAction.VIEW,
                obj=session,
                student=session.student_id,
                detail={"via": "api"},
            )
        return session


@policy.requires(Action.VIEW_SESSION_LOG)
class SessionLogApi(AuditedListMixin, generics.ListAPIView[CounselingSession]):
    serializer_class = SessionLogSerializer
    pagination_class = pagination("-held_on", "-id")
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[CounselingSession]:
        if getattr(self, "swagger_fake_view", False):
            return scope.scoped(None, CounselingSession)
        return selectors.session_log(actor=self.request.user)
