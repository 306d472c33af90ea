"""Reads of family contacts and key-period home visits, always from the actor's scope.

Access: a role that never sees family records (subject teacher, official, administrator, ...)
gets 403 before any lookup; a class, school, student, key period or checklist line outside the
actor's scope is 404 like a missing one. The homeroom teacher sees her own class only.

Coverage (notice §10, §14) is ``families contacted directly this semester ÷ enrolled students``:
a student counts once a contact of a direct way (visit, phone, video, meeting at school) with
the family lies in the semester; an online message alone does not count.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from crisis.families.services import (
    family_class_ids,
    has_school_level_family_scope,
    may_define_key_periods,
    may_see_families,
)
from crisis.models import DIRECT_CONTACT_WAYS, FamilyContact, HomeVisit, KeyPeriod
from mhcare.accounts import scope
from mhcare.accounts.models import CLASS_ROLES
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import (
    EnrolmentStatus,
    Guardian,
    OrgUnit,
    SchoolClass,
    Semester,
    Student,
    ancestor_paths,
)

DIRECT_WAYS = [str(way) for way in DIRECT_CONTACT_WAYS]


def require_family_access(actor: Any) -> None:
    if not may_see_families(actor):
        raise PermissionDenied


def require_key_period_creator(actor: Any) -> None:
    if not may_define_key_periods(actor):
        raise PermissionDenied


def current_semester(today: datetime.date | None = None) -> Semester | None:
    return Semester.current(today or timezone.localdate())


# --- coverage numbers --------------------------------------------------------------------------


@dataclass
class Coverage:
    key: Any = None
    label: str = ""
    enrolled: int = 0
    covered: int = 0
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        return self.enrolled - self.covered

    @property
    def percent(self) -> float | None:
        if not self.enrolled:
            return None
        return round(100 * self.covered / self.enrolled, 1)


def total_of(rows: list[Coverage]) -> Coverage:
    return Coverage(enrolled=sum(r.enrolled for r in rows), covered=sum(r.covered for r in rows))


# --- schools and classes -----------------------------------------------------------------------


def family_schools(*, actor: Any) -> QuerySet[OrgUnit]:
    """Schools whose family records the actor sees school-wide (not the homeroom teacher's)."""
    return scope.schools(actor, RecordKind.FAMILY).filter(is_active=True).order_by("path")


def family_school_get(*, actor: Any, pk: Any) -> OrgUnit:
    require_family_access(actor)
    try:
        return family_schools(actor=actor).get(pk=pk)
    except (OrgUnit.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def family_classes(*, actor: Any) -> QuerySet[SchoolClass]:
    """Classes whose family records the actor sees: every class of her schools, or her own."""
    condition = Q(pk__in=sorted(family_class_ids(actor)))
    if has_school_level_family_scope(actor):
        condition |= Q(school__in=family_schools(actor=actor))
    return SchoolClass.objects.filter(condition).select_related("school", "homeroom_teacher")


def family_class_get(*, actor: Any, pk: Any) -> SchoolClass:
    """403 for roles without family records before any lookup; 404 out of scope or missing."""
    require_family_access(actor)
    try:
        return family_classes(actor=actor).get(pk=pk)
    except (SchoolClass.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _direct_in(actor: Any, semester: Semester) -> Exists:
    return Exists(
        scope.scoped(actor, FamilyContact).filter(
            student_id=OuterRef("pk"), semester=semester, way__in=DIRECT_WAYS
        )
    )


def _enrolled(actor: Any) -> QuerySet[Student]:
    return scope.scoped(actor, Student, kind=RecordKind.FAMILY).filter(
        status=EnrolmentStatus.ENROLLED
    )


@dataclass
class ClassRow:
    """One student of the fast list with the semester's contacts so far."""

    student: Student
    count: int = 0
    direct_count: int = 0
    last_on: datetime.date | None = None
    guardian: Guardian | None = None

    @property
    def is_covered(self) -> bool:
        return self.direct_count > 0


def class_rows(*, actor: Any, klass: SchoolClass, semester: Semester | None) -> list[ClassRow]:
    """Every enrolled student of the class (by student number), with the semester's contact
    count, last date and whether one was direct: three queries whatever the class size. The
    guardian is read for the row's "with whom" (relation and name): without its phone, which
    nobody reads here and is decrypted for each row loaded."""
    guardians = scope.scoped(actor, Guardian).defer("phone").order_by("-is_primary", "id")
    students = list(
        _enrolled(actor)
        .filter(klass=klass)
        .prefetch_related(Prefetch("guardians", queryset=guardians, to_attr="family"))
        .order_by("student_number", "id")
    )
    stats: dict[int, dict[str, Any]] = {}
    if semester is not None and students:
        stats = {
            row["student_id"]: dict(row)
            for row in scope.scoped(actor, FamilyContact)
            .filter(semester=semester, student_id__in=[s.pk for s in students])
            .values("student_id")
            .annotate(
                n=Count("id"),
                direct=Count("id", filter=Q(way__in=DIRECT_WAYS)),
                last=Max("contacted_on"),
            )
            .order_by()
        }
    rows = []
    for student in students:
        found = stats.get(student.pk, {})
        family = getattr(student, "family", [])
        rows.append(
            ClassRow(
                student=student,
                count=found.get("n", 0),
                direct_count=found.get("direct", 0),
                last_on=found.get("last"),
                guardian=family[0] if family else None,
            )
        )
    return rows


def class_row(
    *, actor: Any, klass: SchoolClass, student: Student, semester: Semester | None
) -> ClassRow:
    """The fast-list row of one student (after logging a contact)."""
    guardian = (
        scope.scoped(actor, Guardian)
        .filter(student=student)
        .defer("phone")
        .order_by("-is_primary", "id")
    )
    found: dict[str, Any] = {}
    if semester is not None:
        found = (
            scope.scoped(actor, FamilyContact)
            .filter(semester=semester, student=student)
            .aggregate(
                n=Count("id"),
                direct=Count("id", filter=Q(way__in=DIRECT_WAYS)),
                last=Max("contacted_on"),
            )
        )
    return ClassRow(
        student=student,
        count=found.get("n") or 0,
        direct_count=found.get("direct") or 0,
        last_on=found.get("last"),
        guardian=guardian.first(),
    )


def class_coverage(rows: list[ClassRow]) -> Coverage:
    return Coverage(enrolled=len(rows), covered=sum(1 for r in rows if r.is_covered))


def class_student_get(*, actor: Any, klass: SchoolClass, pk: Any) -> Student:
    """An enrolled student of the class, in the actor's family scope; 404 otherwise."""
    try:
        return _enrolled(actor).filter(klass=klass).select_related("klass").get(pk=pk)
    except (Student.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def school_class_coverage(
    *, actor: Any, school: OrgUnit, semester: Semester | None
) -> list[Coverage]:
    """Coverage of each class of the school that has enrolled students (one grouped query)."""
    students = _enrolled(actor).filter(school=school)
    if semester is None:
        counts = {
            row["klass_id"]: (row["enrolled"], 0)
            for row in students.values("klass_id").annotate(enrolled=Count("id")).order_by()
        }
    else:
        counts = {
            row["klass_id"]: (row["enrolled"], row["covered"])
            for row in students.annotate(direct=_direct_in(actor, semester))
            .values("klass_id")
            .annotate(enrolled=Count("id"), covered=Count("id", filter=Q(direct=True)))
            .order_by()
        }
    classes = SchoolClass.objects.filter(school=school, pk__in=list(counts)).order_by(
        "grade", "name", "id"
    )
    return [
        Coverage(
            key=klass.pk,
            label=klass.name,
            enrolled=counts[klass.pk][0],
            covered=counts[klass.pk][1],
            extra={"klass": klass, "grade": klass.grade},
        )
        for klass in classes
    ]


def school_coverage(*, actor: Any, semester: Semester | None) -> list[Coverage]:
    """Coverage of each school the actor sees school-wide (one grouped query)."""
    schools = list(family_schools(actor=actor))
    students = _enrolled(actor).filter(school__in=[s.pk for s in schools])
    if semester is None:
        counts = {
            row["school_id"]: (row["enrolled"], 0)
            for row in students.values("school_id").annotate(enrolled=Count("id")).order_by()
        }
    else:
        counts = {
            row["school_id"]: (row["enrolled"], row["covered"])
            for row in students.annotate(direct=_direct_in(actor, semester))
            .values("school_id")
            .annotate(enrolled=Count("id"), covered=Count("id", filter=Q(direct=True)))
            .order_by()
        }
    return [
        Coverage(
            key=school.pk,
            label=school.name,
            enrolled=counts.get(school.pk, (0, 0))[0],
            covered=counts.get(school.pk, (0, 0))[1],
        )
        for school in schools
    ]


# --- one student's contacts --------------------------------------------------------------------


def family_student_get(*, actor: Any, pk: Any) -> Student:
    require_family_access(actor)
    try:
        return (
            scope.scoped(actor, Student, kind=RecordKind.FAMILY)
            .select_related("klass", "school")
            .get(pk=pk)
        )
    except (Student.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def student_contacts(*, actor: Any, student: Student) -> QuerySet[FamilyContact]:
    """The student's family contacts the actor sees, newest first."""
    return (
        scope.scoped(actor, FamilyContact)
        .filter(student=student)
        .select_related("by", "semester", "semester__school_year")
        .order_by("-contacted_on", "-id")
    )


# --- key periods -------------------------------------------------------------------------------


def key_period_list(*, actor: Any) -> QuerySet[KeyPeriod]:
    """Key periods that reach the actor's family scope: defined for one of her units, an
    ancestor of it (a county's period reaches its schools) or a unit below it."""
    require_family_access(actor)
    conditions = []
    for grant in scope.grants(actor):
        if RecordKind.FAMILY not in scope.ROLE_KINDS.get(grant.role, frozenset()):
            continue
        conditions.append(Q(org_unit__path__in=ancestor_paths(grant.unit_path)))
        if grant.role not in CLASS_ROLES:
            conditions.append(Q(org_unit__path__startswith=grant.unit_path))
    if not conditions:
        return KeyPeriod.objects.none()
    return (
        KeyPeriod.objects.filter(reduce(or_, conditions))
        .select_related("org_unit", "semester", "semester__school_year")
        .order_by("-starts_on", "-id")
    )


def key_period_get(*, actor: Any, pk: Any) -> KeyPeriod:
    try:
        return key_period_list(actor=actor).get(pk=pk)
    except (KeyPeriod.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _period_visits(actor: Any, period: KeyPeriod) -> QuerySet[HomeVisit]:
    return scope.scoped(actor, HomeVisit).filter(key_period=period)


def key_period_school_coverage(*, actor: Any, period: KeyPeriod) -> list[Coverage]:
    """Visited ÷ listed for each school of the period's unit that the actor sees lines of."""
    counts = {
        row["school_id"]: (row["listed"], row["visited"])
        for row in _period_visits(actor, period)
        .values("school_id")
        .annotate(listed=Count("id"), visited=Count("id", filter=Q(contact__isnull=False)))
        .order_by()
    }
    schools = family_schools(actor=actor).filter(path__startswith=period.org_unit.path)
    rows = [
        Coverage(
            key=school.pk,
            label=school.name,
            enrolled=counts.get(school.pk, (0, 0))[0],
            covered=counts.get(school.pk, (0, 0))[1],
        )
        for school in schools
    ]
    if not rows and counts:
        # A homeroom teacher sees the lines of her class only: one row for her school.
        for school in OrgUnit.objects.filter(pk__in=list(counts)).order_by("path"):
            listed, visited = counts[school.pk]
            rows.append(
                Coverage(key=school.pk, label=school.name, enrolled=listed, covered=visited)
            )
    return rows


def key_period_school_get(*, actor: Any, period: KeyPeriod, pk: Any) -> OrgUnit:
    """A school of the period's unit whose checklist lines the actor sees; 404 otherwise."""
    class_schools = SchoolClass.objects.filter(pk__in=sorted(family_class_ids(actor))).values(
        "school_id"
    )
    candidates = OrgUnit.objects.filter(path__startswith=period.org_unit.path).filter(
        Q(pk__in=family_schools(actor=actor).values("pk")) | Q(pk__in=class_schools)
    )
    try:
        return candidates.get(pk=pk)
    except (OrgUnit.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def checklist(*, actor: Any, period: KeyPeriod, school: OrgUnit) -> list[HomeVisit]:
    """The school's lines of the period's checklist (the homeroom teacher's class only)."""
    return list(
        _period_visits(actor, period)
        .filter(school=school)
        .select_related("student", "student__klass", "contact", "contact__by")
        .order_by("student__klass__grade", "student__klass__name", "student__name", "id")
    )


def checklist_coverage(lines: list[HomeVisit]) -> Coverage:
    return Coverage(enrolled=len(lines), covered=sum(1 for line in lines if line.contact_id))


def home_visit_get(*, actor: Any, pk: Any) -> HomeVisit:
    require_family_access(actor)
    try:
        return (
            scope.scoped(actor, HomeVisit)
            .select_related("key_period", "key_period__org_unit", "student", "student__klass")
            .get(pk=pk)
        )
    except (HomeVisit.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def pending_visits(*, actor: Any, today: datetime.date | None = None) -> QuerySet[HomeVisit]:
    """Checklist lines not yet visited of key periods that have started and not long ended
    (the period's end is at most 30 days ago), soonest-ending first."""
    today = today or timezone.localdate()
    return (
        scope.scoped(actor, HomeVisit)
        .filter(
            contact__isnull=True,
            key_period__starts_on__lte=today,
            key_period__ends_on__gte=today - datetime.timedelta(days=30),
        )
        .select_related("key_period", "student", "student__klass")
        .order_by("key_period__ends_on", "key_period_id", "student__name", "id")
    )
