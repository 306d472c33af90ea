"""/api/v1/students/: scoped like the pages.

403 for roles that never see students, 404 out of scope."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions
from rest_framework.request import Request
from rest_framework.response import Response

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.audit.apis import AuditedListMixin
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.apifilters import SkipUnfilteredBackend
from mhcare.orgs import selectors
from mhcare.orgs.models import Student
from mhcare.orgs.serializers import STUDENT_ROW_COLUMNS, StudentSerializer, student_rows


class CanSeeStudents(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated) and scope.can(
            request.user, RecordKind.STUDENT
        )


class StudentFilter(filters.FilterSet):
    school = filters.CharFilter(field_name="school__code", help_text="School code")
    grade = filters.NumberFilter(field_name="klass__grade")
    klass = filters.NumberFilter(field_name="klass_id", help_text="Class id")

    class Meta:
        model = Student
        fields = ["school", "grade", "klass"]


class _StudentRowsList:
    """The list body: the page read as ``values()`` (the columns the JSON shows, the school and
    class joined) and turned into ``StudentSerializer``'s JSON by ``student_rows`` — no model
    instance, no decryption of columns it does not show, no serializer field per value."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        queryset = view.filter_queryset(view.get_queryset()).values(*STUDENT_ROW_COLUMNS)
        page = view.paginate_queryset(queryset)
        if page is not None:
            return view.get_paginated_response(student_rows(page))  # type: ignore[no-any-return]
        return Response(student_rows(queryset))


@policy.requires(policy.Action.VIEW_STUDENTS)
class StudentListApi(AuditedListMixin, _StudentRowsList, generics.ListAPIView[Student]):
    """The students the caller may see, by keyset (cursor) pagination ordered by id. Each
    request is audited (the ids of the page)."""

    serializer_class = StudentSerializer  # the schema, and the JSON ``student_rows`` matches
    permission_classes = [CanSeeStudents]
    filterset_class = StudentFilter
    filter_backends = [SkipUnfilteredBackend]
    # The caller's grants and shares: with a token, read in the token's query; signed in by a
    # session, in one query (``initial``) — before the permissions and the scope filter ask.
    token_loads_scope = True

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        scope.prime(request.user)
        super().initial(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Student]:
        return selectors.student_queryset(actor=self.request.user)


@policy.requires(policy.Action.VIEW_STUDENTS)
class StudentDetailApi(generics.RetrieveAPIView[Student]):
    """One student; out of scope answers 404. Each read is audited."""

    serializer_class = StudentSerializer
    permission_classes = [CanSeeStudents]

    def get_queryset(self) -> QuerySet[Student]:
        return selectors.student_queryset(actor=self.request.user)

    def get_object(self) -> Student:
        return selectors.student_get(actor=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(responses=StudentSerializer)
    @transaction.atomic
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        student = self.get_object()
        audit_record(
            actor=request.user,
            action=Action.VIEW,
            obj=student,
            student=student,
            detail={"via": "api"},
        )
        return Response(self.get_serializer(student).data)
