"""Reads of the screening app, always starting from the actor's scope."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from mhcare.accounts import scope
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import Student
from screening.models import Instrument, RiskProposal, ScreeningResult
from screening.services import may_enter_results


def entry_student_get(*, actor: Any, pk: Any) -> Student:
    """The student whose results the actor is about to enter: 403 for roles that never enter results
    (before any lookup), 404 for a student outside the actor's score scope or missing."""
    if not may_enter_results(actor):
        raise PermissionDenied
    students = scope.scoped(actor, Student, kind=RecordKind.SCORE).select_related("school", "klass")
    try:
        return students.get(pk=pk)
    except (Student.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def instrument_get(*, code: str) -> Instrument:
    instrument = Instrument.objects.latest_of(code)
    if instrument is None:
        raise Http404
    return instrument


def entry_instrument_list(*, actor: Any, student: Student) -> list[Instrument]:
    """Item-level instruments the actor may enter for this student (latest version of each)."""
    latest: dict[str, Instrument] = {}
    for instrument in Instrument.objects.active().filter(kind="item").order_by("code", "-version"):
        latest.setdefault(instrument.code, instrument)
    return [i for i in latest.values() if i.applies_to_grade(student.klass.grade)]


def result_list(
    *, actor: Any, student: Student, kind: str = RecordKind.SCORE
) -> list[ScreeningResult]:
    """A student's results the actor may see as ``kind`` (SCORE or SCORE_SUMMARY), newest first.

    Read once per student instance and actor: the student page's timeline and its score trends
    both show them (one query instead of two on every growth-file page). The memo lives on the
    instance the page loaded, as the actor's grants live on the user (``scope.grants``), so it
    ends with the request."""
    memo: dict[tuple[Any, str], list[ScreeningResult]] = student.__dict__.setdefault(
        "_mhcare_results", {}
    )
    key = (getattr(actor, "pk", None), kind)
    if key not in memo:
        memo[key] = list(
            scope.scoped(actor, ScreeningResult, kind=kind)
            .filter(student=student)
            .select_related("instrument")
            .order_by("-administered_on", "-id")
        )
    return memo[key]


def proposal_list(
    *, actor: Any, student: Student, kind: str = RecordKind.CASE
) -> QuerySet[RiskProposal]:
    """A student's risk proposals the actor may see as ``kind`` (CASE, or FLAG for class roles)."""
    return scope.scoped(actor, RiskProposal, kind=kind).filter(student=student).order_by("-id")
