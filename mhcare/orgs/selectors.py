"""Reads of students, classes and guardians, always starting from the actor's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.orgs import importers
from mhcare.orgs.models import Guardian, OrgKind, OrgUnit, SchoolClass, Student

# Roles that may import a roster into the school they are assigned to.
ROSTER_IMPORT_ROLES = policy.ACTION_RULES[policy.Action.IMPORT_ROSTER].roles


@dataclass(frozen=True)
class StudentFilters:
    school: str = ""  # school code
    grade: int | None = None
    klass: int | None = None  # class id
    name: str = ""


@dataclass(frozen=True)
class StudentPage:
    students: list[Student]
    next_after: int | None  # the ``after`` cursor of the next page, None on the last page


def require_student_access(actor: Any) -> None:
    """Roles that never see student records (officials, admins, supervisors) are refused outright:
    403, before any lookup, so the answer says nothing about any particular student."""
    policy.require(actor, policy.Action.VIEW_STUDENTS)


def student_queryset(*, actor: Any, filters: StudentFilters | None = None) -> QuerySet[Student]:
    """The students the actor may see, filtered; ordered by id for keyset pagination."""
    filters = filters or StudentFilters()
    queryset = scope.scoped(actor, Student).select_related("school", "klass")
    if filters.school:
        queryset = queryset.filter(school__code=filters.school)
    if filters.grade is not None:
        queryset = queryset.filter(klass__grade=filters.grade)
    if filters.klass is not None:
        queryset = queryset.filter(klass_id=filters.klass)
    if filters.name:
        queryset = queryset.filter(Q(name__icontains=filters.name) | Q(student_number=filters.name))
    return queryset.order_by("id")


def student_list(
    *,
    actor: Any,
    filters: StudentFilters | None = None,
    after: int | None = None,
    page_size: int = 50,
) -> StudentPage:
    """One keyset page (``id > after``): no OFFSET and no COUNT, whatever the size of the scope."""
    queryset = student_queryset(actor=actor, filters=filters)
    if after is not None:
        queryset = queryset.filter(id__gt=after)
    rows = list(queryset[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return StudentPage(students=rows, next_after=rows[-1].pk if has_more and rows else None)


def student_get(*, actor: Any, pk: Any) -> Student:
    """One student in the actor's scope, or 404 (the same 404 as a missing one)."""
    queryset = scope.scoped(actor, Student).select_related("school", "county", "klass")
    try:
        return queryset.get(pk=pk)
    except (Student.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def guardian_list(*, actor: Any, student: Student) -> QuerySet[Guardian]:
    return scope.scoped(actor, Guardian).filter(student=student).order_by("-is_primary", "id")


def school_choices(*, actor: Any) -> QuerySet[OrgUnit]:
    """Schools where the actor sees at least some students (class roles: the class's school)."""
    ids = {g.unit_id for g in scope.grants(actor) if RecordKind.STUDENT in _kinds(g.role)}
    by_tree = scope.schools(actor, RecordKind.STUDENT)
    return OrgUnit.objects.filter(
        Q(pk__in=by_tree.values("pk")) | Q(pk__in=ids, kind=OrgKind.SCHOOL)
    ).order_by("path")


def class_choices(*, actor: Any, school: OrgUnit | None) -> QuerySet[SchoolClass]:
    """Classes of one school the actor may see students of (none until a school is chosen)."""
    if school is None:
        return SchoolClass.objects.none()
    visible = scope.scoped(actor, Student).filter(school=school).values("klass_id")
    return SchoolClass.objects.filter(school=school, pk__in=visible).order_by("grade", "name")


def import_schools(*, actor: Any) -> QuerySet[OrgUnit]:
    """Schools the actor may import a roster into: their own school as psych teacher or leader;
    any school for a superuser."""
    if getattr(actor, "is_superuser", False) and actor.is_active:
        return OrgUnit.objects.schools().order_by("path")
    ids = [g.unit_id for g in policy.granting(actor, policy.Action.IMPORT_ROSTER)]
    return OrgUnit.objects.schools().filter(pk__in=ids).order_by("path")


def school_import_allowed(*, actor: Any) -> bool:
    """Schools (the org tree's leaves) are imported by a platform admin or a superuser."""
    if not getattr(actor, "is_active", False):
        return False
    return policy.anywhere(actor, policy.Action.IMPORT_SCHOOLS)


def staff_import_schools(*, actor: Any) -> QuerySet[OrgUnit]:
    """Schools the actor may import staff into: where they may import a roster, and any school for
    a platform admin (who manages accounts but sees no student data)."""
    if school_import_allowed(actor=actor):
        return OrgUnit.objects.schools().order_by("path")
    return import_schools(actor=actor)


def import_sheets(*, actor: Any) -> tuple[str, ...]:
    """The roster sections the actor may import somewhere, in the template's order; empty means
    the import page is not for them."""
    allowed = set()
    if school_import_allowed(actor=actor):
        allowed.add(importers.SHEET_SCHOOLS)
    if import_schools(actor=actor).exists():
        allowed |= {importers.SHEET_STUDENTS, importers.SHEET_CLASSES}
    if staff_import_schools(actor=actor).exists():
        allowed.add(importers.SHEET_STAFF)
    order = (importers.SHEET_SCHOOLS, *importers.SCHOOL_SHEETS)
    return tuple(kind for kind in order if kind in allowed)


def _kinds(role: str) -> frozenset[str]:
    return scope.ROLE_KINDS.get(role, frozenset())
