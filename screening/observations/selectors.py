"""Reads of observations, always starting from the actor's scope.

- reporters (homeroom / subject teachers) see students of their own classes and, of their own
  reports, only the status (received / reviewed) — never the review note or a level;
- the psychology teacher sees her school's observations (the review queue);
- 403 before any lookup for a role that neither reports nor reviews; 404 out of scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import Student
from screening.models import Observation, ObservationStatus
from screening.observations.services import may_report, may_review, reporter_class_ids


@dataclass(frozen=True)
class ObservationPage:
    rows: list[Observation]
    next_after: int | None  # the ``after`` cursor of the next page; None on the last page


def require_reporter(actor: Any) -> None:
    if not may_report(actor):
        raise PermissionDenied


def require_reviewer(actor: Any) -> None:
    if not may_review(actor):
        raise PermissionDenied


def reportable_students(*, actor: Any) -> QuerySet[Student]:
    """Students of the classes the actor teaches (as homeroom or subject teacher)."""
    return (
        scope.scoped(actor, Student)
        .filter(klass_id__in=reporter_class_ids(actor))
        .select_related("klass")
        .order_by("klass__grade", "klass__name", "name", "id")
    )


def reportable_student_get(*, actor: Any, pk: Any) -> Student:
    """A student the actor may report on: 403 for roles that never report, 404 for a student of
    another class (or missing)."""
    require_reporter(actor)
    try:
        return reportable_students(actor=actor).select_related("school").get(pk=pk)
    except (Student.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _page(queryset: QuerySet[Observation], page_size: int) -> ObservationPage:
    rows = list(queryset[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return ObservationPage(rows=rows, next_after=rows[-1].pk if has_more and rows else None)


def reported_queryset(*, actor: Any) -> QuerySet[Observation]:
    """The actor's own reports on students of her classes, newest first."""
    require_reporter(actor)
    return (
        scope.scoped(actor, Observation, kind=RecordKind.FLAG)
        .filter(reporter=actor)
        .select_related("student", "student__klass")
        .order_by("-id")
    )


def reported_list(*, actor: Any, after: int | None = None, page_size: int = 50) -> ObservationPage:
    queryset = reported_queryset(actor=actor)
    if after is not None:
        queryset = queryset.filter(id__lt=after)
    return _page(queryset, page_size)


def school_observations(*, actor: Any) -> QuerySet[Observation]:
    """Every observation of the reviewer's school(s)."""
    require_reviewer(actor)
    # Read as the reviewing assignment: a psych teacher of A who leads B reviews A's only.
    return policy.narrow(
        actor, policy.Action.REVIEW_OBSERVATION, scope.scoped(actor, Observation), class_field=None
    ).select_related("student", "student__klass", "reporter")


def queue_queryset(*, actor: Any) -> QuerySet[Observation]:
    """RECEIVED observations waiting for review, oldest first."""
    return school_observations(actor=actor).filter(status=ObservationStatus.RECEIVED).order_by("id")


def observation_queue(
    *, actor: Any, after: int | None = None, page_size: int = 50
) -> ObservationPage:
    """One keyset page of the review queue (``id > after``): no OFFSET, no COUNT."""
    queryset = queue_queryset(actor=actor)
    if after is not None:
        queryset = queryset.filter(id__gt=after)
    return _page(queryset, page_size)


def observation_get(*, actor: Any, pk: Any) -> Observation:
    """One observation for review: 403 for non-reviewers before lookup, 404 out of scope."""
    queryset = school_observations(actor=actor).select_related("reviewed_by", "school")
    try:
        return queryset.get(pk=pk)
    except (Observation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def student_observations(*, actor: Any, student: Student) -> QuerySet[Observation]:
    """A student's observations for the growth file (users who may see observations)."""
    return (
        scope.scoped(actor, Observation)
        .filter(student=student)
        .select_related("reporter")
        .order_by("-observed_on", "-id")
    )
