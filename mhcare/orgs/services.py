"""Writes to the org tree's people: the roster import."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.models import Role, RoleAssignment, User
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs import selectors
from mhcare.orgs.importers import (
    CLASS_COLUMNS,
    SHEET_CLASSES,
    SHEET_STUDENTS,
    STUDENT_COLUMNS,
    RosterRows,
    RowError,
)
from mhcare.orgs.models import (
    Guardian,
    OrgKind,
    OrgUnit,
    SchoolClass,
    SchoolYear,
    Student,
)

ERROR_NOT_A_SCHOOL = _("Choose a school to import into.")
ERROR_NO_SCHOOL_YEAR = _("There is no current school year; ask your administrator to create it.")
ERROR_OTHER_SCHOOL = _("This student belongs to another school.")
ERROR_GRADE_NOT_IN_SCHOOL = _("This school has no grade %(grade)s.")
ERROR_UNKNOWN_TEACHER = _("No user with this user name works at this school.")


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@transaction.atomic
def roster_import(
    *,
    actor: Any,
    school: OrgUnit,
    rows: RosterRows,
    today: datetime.date | None = None,
    source: str = "",
) -> ImportResult:
    """Upsert classes, students and guardians of one school from parsed rows: all or nothing.

    Classes are matched by (school, school year, name), students by national student number,
    guardians by (student, name, relation), so running the same file twice changes nothing.
    ``actor`` None means a trusted operator (the ``import_roster`` command)."""
    if (
        actor is not None
        and not selectors.import_schools(actor=actor).filter(pk=school.pk).exists()
    ):
        raise PermissionDenied
    if school.kind != OrgKind.SCHOOL:
        return ImportResult(errors=[RowError("", 0, "", str(ERROR_NOT_A_SCHOOL))])
    year = SchoolYear.current(today)
    if year is None:
        return ImportResult(errors=[RowError("", 0, "", str(ERROR_NO_SCHOOL_YEAR))])

    teachers, errors = _check(school=school, rows=rows)
    if errors:
        return ImportResult(errors=errors)

    result = ImportResult()
    classes = _upsert_classes(school=school, year=year, rows=rows, teachers=teachers, result=result)
    students = _upsert_students(school=school, classes=classes, rows=rows, result=result)
    _upsert_guardians(school=school, students=students, rows=rows, result=result)
    action = Action.CREATE if any(result.created.values()) else Action.UPDATE
    audit_record(
        actor=actor,
        action=action,
        obj=school,
        detail={
            "operation": "roster_import",
            "source": source,
            "created": result.created,
            "updated": result.updated,
        },
    )
    return result


def _header(columns: tuple[Any, ...], key: str) -> str:
    return next(c.header for c in columns if c.key == key)


def _check(*, school: OrgUnit, rows: RosterRows) -> tuple[dict[str, User], list[RowError]]:
    errors: list[RowError] = []
    grades = school.grades
    if school.stage:
        for sheet, items in ((SHEET_CLASSES, rows.classes), (SHEET_STUDENTS, rows.students)):
            errors += [
                RowError(
                    sheet,
                    item.row,
                    _header(STUDENT_COLUMNS, "grade"),
                    str(ERROR_GRADE_NOT_IN_SCHOOL % {"grade": item.grade}),
                )
                for item in items
                if item.grade not in grades
            ]
    numbers = {s.student_number: s for s in rows.students}
    elsewhere = (
        Student.objects.filter(student_number__in=list(numbers))
        .exclude(school=school)
        .values_list("student_number", flat=True)
    )
    errors += [
        RowError(
            SHEET_STUDENTS,
            numbers[n].row,
            _header(STUDENT_COLUMNS, "student_number"),
            str(ERROR_OTHER_SCHOOL),
        )
        for n in elsewhere
    ]
    usernames = {c.homeroom_teacher for c in rows.classes if c.homeroom_teacher}
    teachers = {
        u.username: u
        for u in User.objects.filter(
            username__in=usernames,
            is_active=True,
            assignments__org_unit=school,
            assignments__is_active=True,
        ).distinct()
    }
    errors += [
        RowError(
            SHEET_CLASSES,
            c.row,
            _header(CLASS_COLUMNS, "homeroom_teacher"),
            str(ERROR_UNKNOWN_TEACHER),
        )
        for c in rows.classes
        if c.homeroom_teacher and c.homeroom_teacher not in teachers
    ]
    return teachers, sorted(errors, key=lambda e: (e.sheet, e.row))


def _upsert_classes(
    *,
    school: OrgUnit,
    year: SchoolYear,
    rows: RosterRows,
    teachers: dict[str, User],
    result: ImportResult,
) -> dict[str, SchoolClass]:
    wanted: dict[str, tuple[int, User | None]] = {}
    for s in rows.students:
        wanted.setdefault(s.class_name, (s.grade, None))
    for c in rows.classes:
        wanted[c.name] = (c.grade, teachers.get(c.homeroom_teacher))
    existing = {
        k.name: k
        for k in SchoolClass.objects.filter(school=school, school_year=year, name__in=wanted)
    }
    new = [
        SchoolClass(
            school=school, school_year=year, name=name, grade=grade, homeroom_teacher=teacher
        )
        for name, (grade, teacher) in wanted.items()
        if name not in existing
    ]
    SchoolClass.objects.bulk_create(new)
    changed = []
    for name, klass in existing.items():
        grade, teacher = wanted[name]
        teacher_id = teacher.pk if teacher else klass.homeroom_teacher_id
        if (klass.grade, klass.homeroom_teacher_id) != (grade, teacher_id):
            klass.grade, klass.homeroom_teacher_id = grade, teacher_id
            changed.append(klass)
    SchoolClass.objects.bulk_update(changed, ["grade", "homeroom_teacher"])
    classes = {**existing, **{k.name: k for k in new}}
    for klass in classes.values():
        if klass.homeroom_teacher_id:
            RoleAssignment.objects.get_or_create(
                user_id=klass.homeroom_teacher_id,
                role=Role.HOMEROOM_TEACHER,
                org_unit=school,
                klass=klass,
            )
    result.created["classes"] = len(new)
    result.updated["classes"] = len(changed)
    return classes


def _upsert_students(
    *, school: OrgUnit, classes: dict[str, SchoolClass], rows: RosterRows, result: ImportResult
) -> dict[str, Student]:
    county = school.ancestor_of_kind(OrgKind.COUNTY) or school.parent
    existing = {
        s.student_number: s
        for s in Student.objects.filter(
            school=school, student_number__in=[r.student_number for r in rows.students]
        )
    }
    new, changed = [], []
    for row in rows.students:
        values = {
            "name": row.name,
            "gender": row.gender,
            "birth_date": row.birth_date,
            "klass_id": classes[row.class_name].pk,
            "disadvantages": sorted(row.disadvantages),
        }
        student = existing.get(row.student_number)
        if student is None:
            new.append(
                Student(school=school, county=county, student_number=row.student_number, **values)
            )
            continue
        current = {key: getattr(student, key) for key in values}
        current["disadvantages"] = sorted(current["disadvantages"])
        if current != values:
            for key, value in values.items():
                setattr(student, key, value)
            student.updated_at = timezone.now()
            changed.append(student)
    Student.objects.bulk_create(new, batch_size=1000)
    Student.objects.bulk_update(
        changed,
        ["name", "gender", "birth_date", "klass", "disadvantages", "updated_at"],
        batch_size=1000,
    )
    result.created["students"] = len(new)
    result.updated["students"] = len(changed)
    return {**existing, **{s.student_number: s for s in new}}


def _upsert_guardians(
    *, school: OrgUnit, students: dict[str, Student], rows: RosterRows, result: ImportResult
) -> None:
    ids = [students[r.student_number].pk for r in rows.students if r.guardians]
    existing = {
        (g.student_id, g.name, g.relation): g for g in Guardian.objects.filter(student_id__in=ids)
    }
    new, changed = [], []
    for row in rows.students:
        student = students[row.student_number]
        for position, guardian in enumerate(row.guardians):
            is_primary = position == 0
            found = existing.get((student.pk, guardian.name, guardian.relation))
            if found is None:
                new.append(
                    Guardian(
                        student=student,
                        school=school,
                        name=guardian.name,
                        relation=guardian.relation,
                        phone=guardian.phone,
                        is_primary=is_primary,
                    )
                )
            elif (found.phone, found.is_primary) != (guardian.phone, is_primary):
                found.phone, found.is_primary = guardian.phone, is_primary
                changed.append(found)
    Guardian.objects.bulk_create(new, batch_size=1000)
    Guardian.objects.bulk_update(changed, ["phone", "is_primary"], batch_size=1000)
    result.created["guardians"] = len(new)
    result.updated["guardians"] = len(changed)
