"""Writes of family contacts (notice §10, §14) and key-period home visits.

- Any role that sees family records (psychology teacher, school leader, county center; the
  homeroom teacher for her own class) logs a contact with the family of a student in her scope.
- The contact belongs to the semester that contains its date; a future date, or a date outside
  every semester, is refused.
- A psychology teacher (her school) or county center staff (their county) define key periods;
  the checklist lists the case students (active cases) and the 处境不利 students of the unit's
  schools. A home-visit contact within a period's dates ticks the student's line of it.

Every write is audited in the same transaction.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from crisis.models import (
    Case,
    CaseStatus,
    ContactWay,
    FamilyContact,
    HomeVisit,
    HomeVisitReason,
    KeyPeriod,
)
from mhcare.accounts import policy, scope
from mhcare.accounts.models import CLASS_ROLES, Role
from mhcare.accounts.scope import RecordKind
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import EnrolmentStatus, OrgKind, OrgUnit, Semester, Student

NOT_ALLOWED = _("You may not record family contacts of this student.")
FUTURE_DATE = _("The date of the contact cannot be in the future.")
NO_SEMESTER = _(
    "No semester contains %(date)s. Choose a date within a semester, or ask the platform "
    "administrator to add the semester."
)
WITH_WHOM_REQUIRED = _("Say with whom you spoke (e.g. the mother).")
WAY_INVALID = _("Choose how the family was contacted.")
NOT_A_CREATOR = _(
    "Only a psychology teacher (for her school) or county center staff (for their county) "
    "define key periods."
)
PERIOD_ORDER = _("The key period cannot end before it starts.")
PERIOD_OUTSIDE_SEMESTER = _("The key period must overlap the semester.")
NAME_REQUIRED = _("Give the key period a name (e.g. 开学前后).")
VISIT_OUTSIDE_PERIOD = _("The visit date must lie within the key period (%(start)s – %(end)s).")
ALREADY_VISITED = _("This home visit is already recorded.")

# Roles that define key periods, and the kind of unit each defines them for.
CREATOR_UNIT_KINDS: dict[str, str] = {
    Role.PSYCH_TEACHER: OrgKind.SCHOOL,
    Role.COUNTY_CENTER: OrgKind.COUNTY,
}


# --- who may do what (from the actor's grants; no query) ---------------------------------------


def may_see_families(actor: Any) -> bool:
    return policy.anywhere(actor, policy.Action.VIEW_FAMILIES)


def family_class_ids(actor: Any) -> set[int]:
    """Classes the actor sees family records of as a class role (homeroom teacher)."""
    return {
        g.class_id
        for g in scope.grants(actor)
        if g.role in CLASS_ROLES
        and g.class_id
        and RecordKind.FAMILY in scope.ROLE_KINDS.get(g.role, frozenset())
    }


def has_school_level_family_scope(actor: Any) -> bool:
    return any(
        g.role not in CLASS_ROLES and RecordKind.FAMILY in scope.ROLE_KINDS.get(g.role, frozenset())
        for g in scope.grants(actor)
    )


def may_define_key_periods(actor: Any) -> bool:
    return policy.anywhere(actor, policy.Action.DEFINE_KEY_PERIOD)


def creator_unit_paths(actor: Any) -> list[str]:
    """Paths of the units the actor defines key periods for (her school / their county)."""
    return sorted(
        {
            g.unit_path
            for g in policy.granting(actor, policy.Action.DEFINE_KEY_PERIOD)
            if CREATOR_UNIT_KINDS.get(g.role) == g.unit_kind
        }
    )


def may_define_for(actor: Any, unit: OrgUnit) -> bool:
    """A psychology teacher for her school; county center staff for their county or a school
    in it."""
    if unit.kind not in (OrgKind.SCHOOL, OrgKind.COUNTY):
        return False
    return policy.allowed(actor, policy.Action.DEFINE_KEY_PERIOD, unit) and any(
        unit.path.startswith(path) for path in creator_unit_paths(actor)
    )


# --- semester ----------------------------------------------------------------------------------


def semester_for(day: datetime.date) -> Semester:
    """The semester containing ``day``; a ValidationError on ``contacted_on`` when none does."""
    semester = Semester.current(day)
    if semester is None:
        raise ValidationError(
            {"contacted_on": ValidationError(NO_SEMESTER % {"date": date_format(day)})}
        )
    return semester


# --- family contacts ---------------------------------------------------------------------------


def _tick_visits(contact: FamilyContact) -> list[HomeVisit]:
    """Key-period checklist lines of the contact's student whose period contains the date and
    which are not yet ticked: the contact is their visit."""
    if contact.way != ContactWay.VISIT:
        return []
    lines = list(
        HomeVisit.objects.select_for_update()
        .filter(
            student_id=contact.student_id,
            contact__isnull=True,
            key_period__starts_on__lte=contact.contacted_on,
            key_period__ends_on__gte=contact.contacted_on,
        )
        .order_by("id")
    )
    for line in lines:
        line.contact = contact
        line.visited_on = contact.contacted_on
        line.save(update_fields=["contact", "visited_on"])
    return lines


@transaction.atomic
def family_contact_log(
    *,
    actor: Any,
    student: Student,
    contacted_on: datetime.date,
    way: str,
    with_whom: str,
    topics: str = "",
    submission_token: uuid.UUID | None = None,
) -> FamilyContact:
    """Record a contact with the student's family. A home visit within a key period ticks the
    student's line of that period's checklist.

    ``submission_token`` (one per rendered form) makes a resend harmless: the same form sent
    twice for the same student stores one contact, the second call returns it."""
    if not policy.allowed(actor, policy.Action.LOG_FAMILY_CONTACT, student):
        raise PermissionDenied(NOT_ALLOWED)
    if submission_token is not None:
        # Wait for a concurrent twin of this submission, then answer with what it stored.
        _lock_submission(actor, student, submission_token)
        earlier = FamilyContact.objects.filter(
            student=student, by=actor, submission_token=submission_token
        ).first()
        if earlier is not None:
            return earlier
    errors: dict[str, Any] = {}
    if way not in ContactWay.values:
        errors["way"] = WAY_INVALID
    if not (with_whom or "").strip():
        errors["with_whom"] = WITH_WHOM_REQUIRED
    semester: Semester | None = None
    if contacted_on > timezone.localdate():
        errors["contacted_on"] = FUTURE_DATE
    else:
        try:
            semester = semester_for(contacted_on)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    assert semester is not None  # noqa: S101 - set whenever there is no error
    contact = FamilyContact(
        student=student,
        school_id=student.school_id,
        klass_id=student.klass_id,
        semester=semester,
        contacted_on=contacted_on,
        way=way,
        by=actor,
        with_whom=with_whom.strip(),
        topics=(topics or "").strip(),
        submission_token=submission_token,
    )
    contact.full_clean(validate_constraints=False)
    contact.save()
    ticked = _tick_visits(contact)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=contact,
        student=student,
        detail={
            "way": way,
            "contacted_on": contacted_on.isoformat(),
            "semester": semester.pk,
            "home_visits_ticked": [line.pk for line in ticked],
        },
    )
    return contact


def _lock_submission(actor: Any, student: Student, token: uuid.UUID) -> None:
    """A transaction-scoped advisory lock on (student, actor, token): two identical requests
    arriving together are served one after the other (the unique constraint backs it up)."""
    key = f"family-contact:{student.pk}:{actor.pk}:{token}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


# --- key periods and their checklists ----------------------------------------------------------


@transaction.atomic
def key_period_create(
    *,
    actor: Any,
    org_unit: OrgUnit,
    semester: Semester,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    build_checklist: bool = True,
) -> KeyPeriod:
    """Define a key period for a school (psychology teacher) or a county (county center) and,
    by default, fill its home-visit checklist."""
    if not may_define_for(actor, org_unit):
        raise PermissionDenied(NOT_A_CREATOR)
    errors: dict[str, Any] = {}
    if not (name or "").strip():
        errors["name"] = NAME_REQUIRED
    if ends_on < starts_on:
        errors["ends_on"] = PERIOD_ORDER
    elif starts_on > semester.end or ends_on < semester.start:
        errors["starts_on"] = PERIOD_OUTSIDE_SEMESTER
    if errors:
        raise ValidationError(errors)
    period = KeyPeriod(
        semester=semester,
        org_unit=org_unit,
        name=name.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    period.full_clean()
    period.save()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=period,
        detail={
            "org_unit": org_unit.code,
            "semester": semester.pk,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
        },
    )
    if build_checklist:
        home_visit_checklist_build(actor=actor, key_period=period)
    return period


def checklist_candidates(*, actor: Any, key_period: KeyPeriod) -> dict[int, tuple[Student, str]]:
    """``{student id: (student, reason)}``: enrolled students of the unit's schools with an active
    case (reason ``case``) or any 处境不利 flag (``disadvantaged``)."""
    students = scope.scoped(actor, Student, kind=RecordKind.FAMILY).filter(
        status=EnrolmentStatus.ENROLLED, school__path__startswith=key_period.org_unit.path
    )
    case_student_ids = set(
        scope.scoped(actor, Case, kind=RecordKind.CASE)
        .exclude(status=CaseStatus.CLOSED)
        .filter(student__in=students)
        .values_list("student_id", flat=True)
    )
    found: dict[int, tuple[Student, str]] = {}
    for student in students.filter(pk__in=case_student_ids).only("id", "school_id"):
        found[student.pk] = (student, HomeVisitReason.CASE)
    for student in (
        students.exclude(disadvantages=[]).exclude(pk__in=case_student_ids).only("id", "school_id")
    ):
        found[student.pk] = (student, HomeVisitReason.DISADVANTAGED)
    return found


def _contacts_in_period(key_period: KeyPeriod, student_ids: Iterable[int]) -> dict[int, Any]:
    """The earliest home-visit contact of each student within the period's dates."""
    first: dict[int, Any] = {}
    for contact_id, student_id, day in (
        FamilyContact.objects.filter(
            student_id__in=list(student_ids),
            way=ContactWay.VISIT,
            contacted_on__gte=key_period.starts_on,
            contacted_on__lte=key_period.ends_on,
        )
        .order_by("contacted_on", "id")
        .values_list("id", "student_id", "contacted_on")
    ):
        first.setdefault(student_id, (contact_id, day))
    return first


@transaction.atomic
def home_visit_checklist_build(*, actor: Any, key_period: KeyPeriod) -> int:
    """Add the period's missing checklist lines (idempotent: existing lines, ticked or not, are
    kept). A student already visited within the period is ticked at once. Returns how many lines
    were added."""
    if not may_define_for(actor, key_period.org_unit):
        raise PermissionDenied(NOT_A_CREATOR)
    candidates = checklist_candidates(actor=actor, key_period=key_period)
    existing = set(
        HomeVisit.objects.filter(key_period=key_period).values_list("student_id", flat=True)
    )
    new_ids = [pk for pk in candidates if pk not in existing]
    visits = _contacts_in_period(key_period, new_ids)
    lines = []
    for student_id in sorted(new_ids):
        student, reason = candidates[student_id]
        contact_id, visited_on = visits.get(student_id, (None, None))
        lines.append(
            HomeVisit(
                key_period=key_period,
                student_id=student_id,
                school_id=student.school_id,
                reason=reason,
                contact_id=contact_id,
                visited_on=visited_on,
            )
        )
    HomeVisit.objects.bulk_create(lines, ignore_conflicts=True)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=key_period,
        detail={
            "checklist_built": True,
            "added": len(lines),
            "cases": sum(1 for line in lines if line.reason == HomeVisitReason.CASE),
            "disadvantaged": sum(
                1 for line in lines if line.reason == HomeVisitReason.DISADVANTAGED
            ),
        },
    )
    return len(lines)


@transaction.atomic
def home_visit_mark(
    *,
    actor: Any,
    visit: HomeVisit,
    visited_on: datetime.date,
    with_whom: str,
    topics: str = "",
) -> HomeVisit:
    """Record the home visit of a checklist line: a FamilyContact (way = visit) that the line
    links to."""
    locked = (
        scope.scoped(actor, HomeVisit)
        .select_for_update()
        .select_related("key_period", "student")
        .filter(pk=visit.pk)
        .first()
    )
    if locked is None:
        raise PermissionDenied(NOT_ALLOWED)
    if locked.contact_id is not None:
        raise ValidationError(ALREADY_VISITED, code="visited")
    period = locked.key_period
    if not period.starts_on <= visited_on <= period.ends_on:
        raise ValidationError(
            {
                "contacted_on": ValidationError(
                    VISIT_OUTSIDE_PERIOD
                    % {"start": date_format(period.starts_on), "end": date_format(period.ends_on)}
                )
            }
        )
    family_contact_log(
        actor=actor,
        student=locked.student,
        contacted_on=visited_on,
        way=ContactWay.VISIT,
        with_whom=with_whom,
        topics=topics,
    )
    locked.refresh_from_db()
    return locked
