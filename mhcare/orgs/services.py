"""Writes to the org tree and its people: the roster import (schools, classes, students with their
guardians, staff)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import approvals
from mhcare.accounts.models import Role, RoleAssignment, User
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core import registry
from mhcare.core.imports.copy import copy_insert
from mhcare.orgs import selectors
from mhcare.orgs.importers import (
    CLASS_COLUMNS,
    SCHOOL_COLUMNS,
    SHEET_CLASSES,
    SHEET_SCHOOLS,
    SHEET_STAFF,
    SHEET_STUDENTS,
    STAFF_COLUMNS,
    STUDENT_COLUMNS,
    RosterRows,
    RowError,
    StaffRow,
)
from mhcare.orgs.models import (
    PATH_SEPARATOR,
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
ERROR_SHEET_NOT_ALLOWED = _("You may not import this sheet.")
ERROR_NOT_A_COUNTY = _("No county has this code.")
ERROR_CODE_NOT_A_SCHOOL = _("This code belongs to a unit that is not a school.")
ERROR_SCHOOL_MOVED = _(
    "This school is registered under another county; moving a school is not done by import."
)
ERROR_USER_ELSEWHERE = _("This user name belongs to someone who works at another unit.")
ERROR_USER_PROTECTED = _("This user name belongs to an administrator account.")
ERROR_UNKNOWN_CLASS = _("This school has no class of this name in the current school year.")


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
    school: OrgUnit | None,
    rows: RosterRows,
    today: datetime.date | None = None,
    source: str = "",
) -> ImportResult:
    """Upsert schools, and classes, students, guardians and staff of one school, from parsed rows:
    all or nothing across every sheet.

    Schools are matched by code, classes by (school, school year, name), students by national
    student number, guardians by (student, name, relation), staff by user name and their role
    assignments by (user, role, school, class), so running the same file twice changes nothing.
    Every check runs before the first write. ``actor`` None means a trusted operator (the
    ``import_roster`` command). A school outside the actor's reach is PermissionDenied; a sheet
    their role may not import is a row error on that sheet."""
    errors: list[RowError] = []
    year: SchoolYear | None = None
    if rows.needs_school:
        if (
            actor is not None
            and school is not None
            and not selectors.staff_import_schools(actor=actor).filter(pk=school.pk).exists()
        ):
            raise PermissionDenied
        if school is None or school.kind != OrgKind.SCHOOL:
            return ImportResult(errors=[RowError("", 0, "", str(ERROR_NOT_A_SCHOOL))])
        year = SchoolYear.current(today)
        if year is None:
            return ImportResult(errors=[RowError("", 0, "", str(ERROR_NO_SCHOOL_YEAR))])
    if actor is not None:
        allowed = set(selectors.import_sheets(actor=actor))
        if (rows.classes or rows.students) and (
            school is None
            or not selectors.import_schools(actor=actor).filter(pk=school.pk).exists()
        ):
            allowed -= {SHEET_CLASSES, SHEET_STUDENTS}
        errors += [
            RowError(kind, 0, "", str(ERROR_SHEET_NOT_ALLOWED))
            for kind in rows.sheets
            if kind not in allowed
        ]
        if errors:
            return ImportResult(errors=errors)

    counties, schools_existing, school_errors = _check_schools(rows=rows)
    errors += school_errors
    teachers: dict[str, User] = {}
    staff_users: dict[str, User] = {}
    if school is not None and year is not None:
        teachers, roster_errors = _check(school=school, rows=rows)
        staff_users, staff_errors = _check_staff(school=school, year=year, rows=rows)
        errors += roster_errors + staff_errors
    if errors:
        return ImportResult(errors=sorted(errors, key=lambda e: (e.sheet, e.row)))

    result = ImportResult()
    if rows.schools:
        _upsert_schools(rows=rows, counties=counties, existing=schools_existing, result=result)
        audit_record(
            actor=actor,
            action=_summary_action(result, SHEET_SCHOOLS),
            object_type=OrgUnit._meta.label_lower,
            detail={
                "operation": "school_import",
                "source": source,
                "created": {SHEET_SCHOOLS: result.created[SHEET_SCHOOLS]},
                "updated": {SHEET_SCHOOLS: result.updated[SHEET_SCHOOLS]},
            },
        )
        registry.data_changed([c.pk for c in counties.values()], "roster")
    if school is None or year is None:
        return result

    users_created: list[str] = []
    if rows.staff:
        staff_users, users_created = _upsert_staff_users(
            rows=rows, existing=staff_users, result=result
        )
    classes = _upsert_classes(
        actor=actor,
        school=school,
        year=year,
        rows=rows,
        teachers={**teachers, **staff_users},
        result=result,
        today=today,
    )
    students = _upsert_students(
        school=school, classes=classes, rows=rows, result=result, today=today
    )
    _upsert_guardians(school=school, students=students, rows=rows, result=result)
    if rows.staff:
        _assign_staff(
            actor=actor,
            school=school,
            year=year,
            rows=rows,
            users=staff_users,
            classes=classes,
            result=result,
        )
    audit_record(
        actor=actor,
        action=_summary_action(result, *SCHOOL_SECTIONS),
        obj=school,
        detail={
            "operation": "roster_import",
            "source": source,
            "created": {k: v for k, v in result.created.items() if k != SHEET_SCHOOLS},
            "updated": {k: v for k, v in result.updated.items() if k != SHEET_SCHOOLS},
            **({"users_created": users_created} if users_created else {}),
        },
    )
    registry.data_changed([school.pk], "roster")
    return result


# Counters of one school's import, as ``ImportResult.created`` / ``updated`` name them.
SCHOOL_SECTIONS = ("classes", "students", "guardians", "users", "assignments")


def _summary_action(result: ImportResult, *sections: str) -> Action:
    return Action.CREATE if any(result.created.get(k) for k in sections) else Action.UPDATE


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
    with connection.cursor() as cursor:
        # One array parameter, not one placeholder per number (100 000 of them).
        cursor.execute(
            "SELECT student_number FROM orgs_student "
            "WHERE student_number = ANY(%s) AND school_id <> %s",
            [list(numbers), school.pk],
        )
        elsewhere = [row[0] for row in cursor.fetchall()]
    errors += [
        RowError(
            SHEET_STUDENTS,
            numbers[n].row,
            _header(STUDENT_COLUMNS, "student_number"),
            str(ERROR_OTHER_SCHOOL),
        )
        for n in elsewhere
    ]
    # A homeroom teacher may be someone the staff sheet of the same file brings in.
    incoming = {s.username for s in rows.staff}
    usernames = {c.homeroom_teacher for c in rows.classes if c.homeroom_teacher} - incoming
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
        if c.homeroom_teacher and c.homeroom_teacher not in teachers.keys() | incoming
    ]
    return teachers, sorted(errors, key=lambda e: (e.sheet, e.row))


def _homeroom_holders(*, actor: Any, school: OrgUnit) -> set[tuple[int, int]] | None:
    """(user, class) pairs whose homeroom grant is active: a class's homeroom teacher on record
    (who gets its family-contact reminders and case tasks) is only ever such a person. None for
    the trusted command (its grants are active at once)."""
    if actor is None:
        return None
    return set(
        RoleAssignment.objects.active()
        .filter(role=Role.HOMEROOM_TEACHER, org_unit=school)
        .values_list("user_id", "klass_id")
    )


def _grant_staff(
    *, actor: Any, school: OrgUnit, wanted: set[tuple[int, str, int | None]]
) -> tuple[int, int]:
    """The import's role grants: asked for (pending until the school's leader approves, sod) when
    a person imports; active at once from the trusted ``import_roster`` command."""
    if actor is not None:
        return approvals.assignment_request_many(
            actor=actor, org_unit=school, wanted=wanted, via="roster_import"
        )
    existing = {
        (a.user_id, a.role, a.klass_id): a.is_active
        for a in RoleAssignment.objects.filter(
            org_unit=school, user_id__in={user_id for user_id, _r, _k in wanted}
        )
    }
    users = User.objects.in_bulk({user_id for user_id, _r, _k in wanted})
    classes = SchoolClass.objects.in_bulk({k for _u, _r, k in wanted if k})
    created = reopened = 0
    for user_id, role, klass_id in sorted(wanted, key=str):
        if existing.get((user_id, role, klass_id)):
            continue
        approvals.assignment_grant_setup(
            user=users[user_id],
            role=role,
            org_unit=school,
            klass=classes[klass_id] if klass_id else None,
            source="import_roster",
        )
        created += (user_id, role, klass_id) not in existing
        reopened += (user_id, role, klass_id) in existing
    return created, reopened


def _upsert_classes(
    *,
    actor: Any,
    school: OrgUnit,
    year: SchoolYear,
    rows: RosterRows,
    teachers: dict[str, User],
    result: ImportResult,
    today: datetime.date | None = None,
) -> dict[str, SchoolClass]:
    wanted: dict[str, tuple[int, User | None]] = {}
    for s in rows.students:
        wanted.setdefault(s.class_name, (s.grade, None))
    for c in rows.classes:
        wanted[c.name] = (c.grade, teachers.get(c.homeroom_teacher))
    named = {name: teacher for name, (_grade, teacher) in wanted.items() if teacher}
    holders = _homeroom_holders(actor=actor, school=school)
    existing = {
        k.name: k
        for k in SchoolClass.objects.filter(school=school, school_year=year, name__in=wanted)
    }
    # A class new to a school year that already has classes opened now (mid-year); the year's
    # first roster creates the classes it began with.
    opened = (
        (today or timezone.localdate())
        if SchoolClass.objects.filter(school=school, school_year=year).exists()
        else None
    )
    new = [
        SchoolClass(
            school=school,
            school_year=year,
            name=name,
            grade=grade,
            # a new class has no approved homeroom grant yet when a person imports
            homeroom_teacher=teacher if holders is None else None,
            created_on=opened,
        )
        for name, (grade, teacher) in wanted.items()
        if name not in existing
    ]
    SchoolClass.objects.bulk_create(new)
    changed = []
    for name, klass in existing.items():
        grade, teacher = wanted[name]
        if teacher and holders is not None and (teacher.pk, klass.pk) not in holders:
            teacher = None  # set when the leader approves the grant
        teacher_id = teacher.pk if teacher else klass.homeroom_teacher_id
        if (klass.grade, klass.homeroom_teacher_id) != (grade, teacher_id):
            klass.grade, klass.homeroom_teacher_id = grade, teacher_id
            changed.append(klass)
    SchoolClass.objects.bulk_update(changed, ["grade", "homeroom_teacher"])
    classes = {**existing, **{k.name: k for k in new}}
    # The class sheet's teacher is asked for (again, if ended); a class's teacher on record only
    # when they have no homeroom assignment for it at all (as before: get_or_create).
    known = set(
        RoleAssignment.objects.filter(
            role=Role.HOMEROOM_TEACHER, org_unit=school, klass__in=list(classes.values())
        ).values_list("user_id", "klass_id")
    )
    wanted_grants: set[tuple[int, str, int | None]] = {
        (teacher.pk, Role.HOMEROOM_TEACHER, classes[name].pk) for name, teacher in named.items()
    } | {
        (klass.homeroom_teacher_id, Role.HOMEROOM_TEACHER, klass.pk)
        for klass in classes.values()
        if klass.homeroom_teacher_id and (klass.homeroom_teacher_id, klass.pk) not in known
    }
    _grant_staff(actor=actor, school=school, wanted=wanted_grants)
    result.created["classes"] = len(new)
    result.updated["classes"] = len(changed)
    return classes


def _upsert_students(
    *,
    school: OrgUnit,
    classes: dict[str, SchoolClass],
    rows: RosterRows,
    result: ImportResult,
    today: datetime.date | None = None,
) -> dict[str, Student]:
    county = school.ancestor_of_kind(OrgKind.COUNTY) or school.parent
    # The roll by date (the staffing rule counts a school's students on any day): a school's first
    # roster holds students enrolled before the records began (no date); a student new in a later
    # roster joined the school now.
    enrolled_on = (
        (today or timezone.localdate()) if Student.objects.filter(school=school).exists() else None
    )
    # (The school's students, matched here: a list of 100 000 numbers in an IN clause costs
    # more than reading the school.)
    wanted = {r.student_number for r in rows.students}
    existing = {
        s.student_number: s
        for s in Student.objects.filter(school=school)
        if s.student_number in wanted
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
                Student(
                    school=school,
                    county=county,
                    student_number=row.student_number,
                    enrolled_on=enrolled_on,
                    **values,
                )
            )
            continue
        current = {key: getattr(student, key) for key in values}
        current["disadvantages"] = sorted(current["disadvantages"])
        if current != values:
            for key, value in values.items():
                setattr(student, key, value)
            student.updated_at = timezone.now()
            changed.append(student)
    copy_insert(Student, new)
    ids = dict(Student.objects.filter(school=school).values_list("student_number", "id"))
    for student in new:
        student.pk = ids[student.student_number]
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
    copy_insert(Guardian, new)
    Guardian.objects.bulk_update(changed, ["phone", "is_primary"], batch_size=1000)
    result.created["guardians"] = len(new)
    result.updated["guardians"] = len(changed)


def _check_schools(
    *, rows: RosterRows
) -> tuple[dict[str, OrgUnit], dict[str, OrgUnit], list[RowError]]:
    """The counties the rows name and the schools they update; a county code that is no county,
    a code taken by a unit that is no school, or a school under another county is an error."""
    if not rows.schools:
        return {}, {}, []
    counties = {
        c.code: c
        for c in OrgUnit.objects.counties().filter(code__in={r.county_code for r in rows.schools})
    }
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=[r.code for r in rows.schools])}
    errors: list[RowError] = []
    for row in rows.schools:
        county, unit = counties.get(row.county_code), units.get(row.code)
        if county is None:
            errors.append(
                RowError(
                    SHEET_SCHOOLS,
                    row.row,
                    _header(SCHOOL_COLUMNS, "county_code"),
                    str(ERROR_NOT_A_COUNTY),
                )
            )
        if unit is not None and unit.kind != OrgKind.SCHOOL:
            errors.append(
                RowError(
                    SHEET_SCHOOLS,
                    row.row,
                    _header(SCHOOL_COLUMNS, "school_code"),
                    str(ERROR_CODE_NOT_A_SCHOOL),
                )
            )
        elif unit is not None and county is not None and unit.parent_id != county.pk:
            # Students carry their county; moving a school would leave them behind.
            errors.append(
                RowError(
                    SHEET_SCHOOLS,
                    row.row,
                    _header(SCHOOL_COLUMNS, "county_code"),
                    str(ERROR_SCHOOL_MOVED),
                )
            )
    return counties, units, errors


def _upsert_schools(
    *,
    rows: RosterRows,
    counties: dict[str, OrgUnit],
    existing: dict[str, OrgUnit],
    result: ImportResult,
) -> None:
    new, changed = [], []
    for row in rows.schools:
        given = {
            "campus_count": row.campuses,
            "enrolled_count": row.enrolled,
            "is_boarding": row.is_boarding,
        }
        values = {
            "name": row.name,
            "stage": row.stage,
            **{k: v for k, v in given.items() if v is not None},
        }
        unit = existing.get(row.code)
        if unit is None:
            unit = OrgUnit(
                code=row.code, kind=OrgKind.SCHOOL, parent=counties[row.county_code], **values
            )
            # bulk_create skips save(): the same path and depth it would compute
            unit.path = unit.compute_path()
            unit.depth = unit.path.count(PATH_SEPARATOR) - 2
            unit.full_clean(exclude=["parent"], validate_unique=False, validate_constraints=False)
            new.append(unit)
        elif any(getattr(unit, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(unit, key, value)
            changed.append(unit)
    OrgUnit.objects.bulk_create(new, batch_size=1000)
    OrgUnit.objects.bulk_update(
        changed,
        ["name", "stage", "campus_count", "enrolled_count", "is_boarding"],
        batch_size=1000,
    )
    result.created[SHEET_SCHOOLS] = len(new)
    result.updated[SHEET_SCHOOLS] = len(changed)


def _check_staff(
    *, school: OrgUnit, year: SchoolYear, rows: RosterRows
) -> tuple[dict[str, User], list[RowError]]:
    """The existing users the staff sheet names. A user name of someone with an assignment at
    another unit, or of an administrator, is an error: an import never takes an account over.
    A class role's class must exist this school year or come with the same file."""
    if not rows.staff:
        return {}, []
    users = {
        u.username: u for u in User.objects.filter(username__in={r.username for r in rows.staff})
    }
    elsewhere = set(
        RoleAssignment.objects.filter(user__in=users.values())
        .exclude(org_unit=school)
        .values_list("user_id", flat=True)
    )
    incoming = {c.name for c in rows.classes} | {s.class_name for s in rows.students}
    named = {r.class_name for r in rows.staff if r.class_name} - incoming
    known = incoming | set(
        SchoolClass.objects.filter(school=school, school_year=year, name__in=named).values_list(
            "name", flat=True
        )
    )
    errors: list[RowError] = []
    username_column = _header(STAFF_COLUMNS, "username")
    for row in rows.staff:
        user = users.get(row.username)
        if user is not None and (user.is_superuser or user.is_staff):
            errors.append(
                RowError(SHEET_STAFF, row.row, username_column, str(ERROR_USER_PROTECTED))
            )
        elif user is not None and user.pk in elsewhere:
            errors.append(
                RowError(SHEET_STAFF, row.row, username_column, str(ERROR_USER_ELSEWHERE))
            )
        if row.class_name and row.class_name not in known:
            errors.append(
                RowError(
                    SHEET_STAFF,
                    row.row,
                    _header(STAFF_COLUMNS, "class_name"),
                    str(ERROR_UNKNOWN_CLASS),
                )
            )
    return users, errors


def _upsert_staff_users(
    *, rows: RosterRows, existing: dict[str, User], result: ImportResult
) -> tuple[dict[str, User], list[str]]:
    """New users get no usable password: an administrator sends them a password reset. An
    existing user's display name, and e-mail and phone where the file gives them, are updated."""
    first: dict[str, StaffRow] = {}
    for row in rows.staff:
        first.setdefault(row.username, row)
    new, changed = [], []
    for username, row in first.items():
        user = existing.get(username)
        if user is None:
            user = User(
                username=username, display_name=row.display_name, email=row.email, phone=row.phone
            )
            user.set_unusable_password()
            new.append(user)
            continue
        values = {"display_name": row.display_name, "email": row.email, "phone": row.phone}
        values = {k: v for k, v in values.items() if v or k == "display_name"}
        if any(getattr(user, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(user, key, value)
            changed.append(user)
    User.objects.bulk_create(new, batch_size=1000)
    User.objects.bulk_update(changed, ["display_name", "email", "phone"], batch_size=1000)
    result.created["users"] = len(new)
    result.updated["users"] = len(changed)
    return {**existing, **{u.username: u for u in new}}, sorted(u.username for u in new)


def _assign_staff(
    *,
    actor: Any,
    school: OrgUnit,
    year: SchoolYear,
    rows: RosterRows,
    users: dict[str, User],
    classes: dict[str, SchoolClass],
    result: ImportResult,
) -> None:
    """One assignment per (user, role, class) at the school; a homeroom teacher row also makes the
    user the class's homeroom teacher once that grant is active. An inactive assignment the file
    names is asked for again (``_grant_staff``)."""
    named = {r.class_name for r in rows.staff if r.class_name} - set(classes)
    classes = {
        **classes,
        **{
            k.name: k
            for k in SchoolClass.objects.filter(school=school, school_year=year, name__in=named)
        },
    }
    wanted = {
        (users[r.username].pk, r.role, classes[r.class_name].pk if r.class_name else None)
        for r in rows.staff
    }
    created, reopened = _grant_staff(actor=actor, school=school, wanted=wanted)
    holders = _homeroom_holders(actor=actor, school=school)
    homerooms = []
    for row in rows.staff:
        klass = classes.get(row.class_name)
        user = users[row.username]
        if (
            row.role == Role.HOMEROOM_TEACHER
            and klass
            and klass.homeroom_teacher_id != user.pk
            and (holders is None or (user.pk, klass.pk) in holders)
        ):
            klass.homeroom_teacher = user
            homerooms.append(klass)
    SchoolClass.objects.bulk_update(homerooms, ["homeroom_teacher"])
    result.created["assignments"] = created
    result.updated["assignments"] = reopened
    result.updated["classes"] = result.updated.get("classes", 0) + len(homerooms)


ERROR_UNKNOWN_FLAG = _("Unknown disadvantage flag: %(value)s.")


@transaction.atomic
def student_set_disadvantages(
    *, actor: Any, student: Student, flags: list[str]
) -> tuple[list[str], list[str]]:
    """Replace a student's 处境不利 flags (notice §3); returns (old, new), both sorted. Allowed to
    whoever writes guidance for the student (policy ``WRITE_GUIDANCE``); audited old → new (codes
    only: the reason, free text, is kept encrypted by the caller). No change, no write."""
    from mhcare.accounts import policy
    from mhcare.orgs.models import Disadvantage

    policy.require(actor, policy.Action.WRITE_GUIDANCE, student)
    unknown = sorted(set(flags) - set(Disadvantage.values))
    if unknown:
        raise ValidationError({"flags": ERROR_UNKNOWN_FLAG % {"value": ", ".join(unknown)}})
    locked = Student.objects.select_for_update().get(pk=student.pk)
    old, new = sorted(locked.disadvantages), sorted(set(flags))
    if old != new:
        locked.disadvantages = new
        locked.save(update_fields=["disadvantages", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            student=locked,
            detail={"field": "disadvantages", "old": old, "new": new},
        )
    student.disadvantages = new
    return old, new


# ---------------------------------------------------------------- the roll (issue 11)

ERROR_LEAVE_STATUS = _("Choose transferred, graduated or suspended (休学).")
ERROR_LEAVE_DATE_REQUIRED = _("Enter the first day the student is no longer on the roll.")
ERROR_ALREADY_LEFT = _("This student has already left the roll.")
ERROR_ALREADY_SUSPENDED = _("This student is already suspended (休学).")
ERROR_LEFT_BEFORE_ENROLLED = _("The student cannot leave on or before the day of enrolment.")
ERROR_LEAVE_TOO_LATE = _("The date cannot be more than a year ahead.")


@transaction.atomic
def student_leave(
    *,
    actor: Any,
    student: Student,
    status: str,
    left_on: datetime.date | None,
    reason: str = "",
) -> Student:
    """A student leaves the roll (transferred out or graduated; ``left_on`` is the first day off
    the roll, so every count ``Student.objects.on_roll`` makes includes the day before and not
    ``left_on``), or is suspended (休学: still on the roll, the date is kept in the audit only).
    Allowed to the psychology teacher or leader of the student's school (policy ``CHANGE_ROLL``);
    the reason is free text about a child and is stored encrypted, never in the audit detail."""
    from mhcare.accounts import policy
    from mhcare.orgs.models import LEFT_STATUSES, EnrolmentStatus

    policy.require(actor, policy.Action.CHANGE_ROLL, student)
    if status not in (*LEFT_STATUSES, EnrolmentStatus.SUSPENDED):
        raise ValidationError({"status": ERROR_LEAVE_STATUS})
    locked = Student.objects.select_for_update().get(pk=student.pk)
    if locked.status in LEFT_STATUSES:
        raise ValidationError(ERROR_ALREADY_LEFT)
    if left_on is None:
        raise ValidationError({"left_on": ERROR_LEAVE_DATE_REQUIRED})
    if left_on > timezone.localdate() + datetime.timedelta(days=366):
        raise ValidationError({"left_on": ERROR_LEAVE_TOO_LATE})
    if locked.enrolled_on is not None and left_on <= locked.enrolled_on:
        raise ValidationError({"left_on": ERROR_LEFT_BEFORE_ENROLLED})
    old_status = locked.status
    if status == EnrolmentStatus.SUSPENDED:
        if old_status == EnrolmentStatus.SUSPENDED:
            raise ValidationError({"status": ERROR_ALREADY_SUSPENDED})
    else:
        locked.left_on = left_on
    locked.status = status
    locked.left_reason = reason.strip()
    locked.full_clean(validate_unique=False)
    locked.save(update_fields=["status", "left_on", "left_reason", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=locked,
        student=locked,
        detail={
            "operation": "student_leave",
            "field": "status",
            "old": old_status,
            "new": status,
            "date": left_on.isoformat(),
            "left_on": locked.left_on.isoformat() if locked.left_on else None,
        },
    )
    student.status, student.left_on, student.left_reason = (
        locked.status,
        locked.left_on,
        locked.left_reason,
    )
    return locked
