"""Reads of students, classes and guardians, always starting from the actor's scope."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.orgs import importers
from mhcare.orgs.models import (
    Gender,
    Guardian,
    OrgKind,
    OrgUnit,
    SchoolClass,
    Student,
    disadvantage_labels,
    mask_middle,
)

# Roles that may import a roster into the school they are assigned to.
ROSTER_IMPORT_ROLES = policy.ACTION_RULES[policy.Action.IMPORT_ROSTER].roles


@dataclass(frozen=True)
class StudentFilters:
    school: str = ""  # school code
    grade: int | None = None
    klass: int | None = None  # class id
    name: str = ""


# A list page's rows are plain slotted dataclasses, not frozen ones: a frozen dataclass sets each
# field through object.__setattr__, six times slower, and a page builds 150 of them.
@dataclass(slots=True)
class SchoolRef:
    id: int
    name: str
    code: str = ""  # not read by the case rows (crisis.selectors), which never show it


@dataclass(slots=True)
class ClassRef:
    id: int
    grade: int
    name: str


@dataclass(slots=True)
class StudentRow:
    """One row of the student list: what the page shows and nothing else, the national student
    number already masked (the full number never reaches the template)."""

    pk: int
    name: str
    masked_student_number: str
    gender: str
    disadvantages: tuple[str, ...]
    klass: ClassRef
    school: SchoolRef

    @property
    def id(self) -> int:
        return self.pk

    def get_gender_display(self) -> str:
        return str(GENDER_LABELS.get(self.gender, self.gender))

    def get_disadvantages_display(self) -> list[str]:
        return disadvantage_labels(self.disadvantages)


GENDER_LABELS = dict(Gender.choices)
# The columns of a StudentRow, in its order (a tuple per row: no model instances for a list page,
# issue 14 bench 2 — three model objects per row cost more than the SQL itself).
ROW_FIELDS = (
    "id",
    "name",
    "student_number",
    "gender",
    "disadvantages",
    "klass_id",
    "klass__grade",
    "klass__name",
    "school_id",
    "school__code",
    "school__name",
)


def _student_row(values: tuple[Any, ...]) -> StudentRow:
    (
        pk,
        name,
        number,
        gender,
        disadvantages,
        klass_id,
        grade,
        klass_name,
        school_id,
        code,
        school,
    ) = values
    return StudentRow(
        pk=pk,
        name=name,
        masked_student_number=mask_middle(number, 4, 4),
        gender=gender,
        disadvantages=tuple(disadvantages or ()),
        klass=ClassRef(id=klass_id, grade=grade, name=klass_name),
        school=SchoolRef(id=school_id, code=code, name=school),
    )


@dataclass(frozen=True)
class StudentPage:
    students: list[StudentRow]
    next_after: int | None  # the ``after`` cursor of the next page, None on the last page


def require_student_access(actor: Any) -> None:
    """Roles that never see student records (officials, admins, supervisors) are refused outright:
    403, before any lookup, so the answer says nothing about any particular student."""
    policy.require(actor, policy.Action.VIEW_STUDENTS)


# The columns the student list and /api/v1/students/ show (the template and StudentSerializer),
# nothing else: a list row never decrypts ``left_reason`` nor builds the school's and class's
# other columns (issue 14, bench 2: the selector within 2x the SQL of the same rows).
LIST_FIELDS = (
    "id",
    "school",
    "klass",
    "name",
    "gender",
    "birth_date",
    "student_number",
    "status",
    "disadvantages",
    "school__id",
    "school__code",
    "school__name",
    "klass__id",
    "klass__grade",
    "klass__name",
)


def _conditions(filters: StudentFilters) -> list[Q]:
    conditions = []
    if filters.school:
        conditions.append(Q(school__code=filters.school))
    if filters.grade is not None:
        conditions.append(Q(klass__grade=filters.grade))
    if filters.klass is not None:
        conditions.append(Q(klass_id=filters.klass))
    if filters.name:
        conditions.append(Q(name__icontains=filters.name) | Q(student_number=filters.name))
    return conditions


def student_queryset(*, actor: Any, filters: StudentFilters | None = None) -> QuerySet[Student]:
    """The students the actor may see, filtered; ordered by id for keyset pagination. Only the
    columns of ``LIST_FIELDS`` are loaded."""
    queryset = scope.scoped(actor, Student).select_related("school", "klass").only(*LIST_FIELDS)
    conditions = _conditions(filters or StudentFilters())
    if conditions:
        queryset = queryset.filter(*conditions)
    return queryset.order_by("id")


@functools.cache
def _row_base() -> QuerySet[Any]:
    """All students as ``ROW_FIELDS`` tuples, by id: never evaluated, only the start of
    ``student_list``, which narrows a copy of it to the actor's scope. Built once per process,
    as a generic view's ``queryset`` attribute: resolving the columns and joins cost as much as
    running the page's SQL."""
    students = Student.objects  # scope-lint: allow the start of a list, scoped on every call
    return students.order_by("id").values_list(*ROW_FIELDS)


def student_list(
    *,
    actor: Any,
    filters: StudentFilters | None = None,
    after: int | None = None,
    page_size: int = 50,
) -> StudentPage:
    """One keyset page (``id > after``): no OFFSET and no COUNT, whatever the size of the scope;
    one query (the actor's grants are loaded once per request), rows as plain ``StudentRow``
    (the same rows and order as ``student_queryset``)."""
    conditions = _conditions(filters or StudentFilters())
    if after is not None:
        conditions.append(Q(id__gt=after))
    queryset = scope.scoped(actor, _row_base())
    if conditions:
        queryset = queryset.filter(*conditions)
    rows = [_student_row(values) for values in queryset[: page_size + 1]]
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
