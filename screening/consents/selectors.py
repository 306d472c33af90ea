"""Reads of guardian consent: a class's students with their consent, the classes the actor
records consent for, and the consent state of a campaign's class."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from mhcare.accounts import policy, scope
from mhcare.accounts.models import CLASS_ROLES
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import EnrolmentStatus, SchoolClass, Student
from screening.models import ScreeningConsent

__all__ = ["class_get", "class_rows", "consent_list", "consents_of"]


def class_get(*, actor: Any, pk: Any) -> SchoolClass:
    """A class whose consent the actor records (the psychology teacher's school, the homeroom
    teacher's own class); 404 otherwise, the same as a missing one."""
    try:
        klass = SchoolClass.objects.select_related("school").get(pk=pk)
    except (SchoolClass.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not policy.allowed(actor, policy.Action.RECORD_CONSENT, klass):
        raise Http404
    return klass


def consents_of(student_ids: Any) -> dict[int, ScreeningConsent]:
    """The consents of students the caller has already read through scope."""
    consents = ScreeningConsent.objects  # scope-lint: allow ids read through scope
    rows = consents.filter(student_id__in=student_ids)
    return {c.student_id: c for c in rows}


def class_rows(*, actor: Any, klass: SchoolClass) -> list[dict[str, Any]]:
    """The enrolled students of the class in the actor's scope, each with their consent (or
    None): two queries."""
    students = list(
        scope.scoped(actor, Student, kind=RecordKind.STUDENT)
        .filter(klass=klass, status=EnrolmentStatus.ENROLLED)
        .order_by("student_number", "id")
    )
    consents = consents_of([s.pk for s in students])
    return [{"student": s, "consent": consents.get(s.pk)} for s in students]


def consent_list(*, actor: Any) -> QuerySet[ScreeningConsent]:
    """The consents of the students the actor records consent for."""
    found = policy.granting(actor, policy.Action.RECORD_CONSENT)
    if not found:
        return ScreeningConsent.objects.none()  # scope-lint: allow empty
    # Only the assignments that record consent (not another role's wider roster scope).
    where = Q(pk__in=[])
    for grant in found:
        if grant.role in CLASS_ROLES:
            where |= Q(student__klass_id=grant.class_id) if grant.class_id else Q(pk__in=[])
        else:
            where |= Q(school__path__startswith=grant.unit_path)
    return (
        scope.scoped(actor, ScreeningConsent, kind=RecordKind.STUDENT)
        .filter(where, student__status=EnrolmentStatus.ENROLLED)
        .select_related("student")
        .order_by("id")
    )
