"""Writes of the MH lesson log: a lesson logged for one or several classes at once (one
transaction, one row per class), and a file of lessons imported for one school (all or nothing).

Who logs: homeroom and subject teachers for their own classes; the school's psychology teacher
and leader for every class of their school (``Action.LOG_LESSON``, decided per assignment: a
homeroom teacher of A who is the psychology teacher of B logs for her class in A and any class
of B). Imports: the psychology teacher and leader (``Action.IMPORT_LESSONS``).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core import registry
from mhcare.orgs.importers import RowError
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass
from staffing.lessons import calendar
from staffing.models import HOUR_STEPS, Lesson, LessonSource

NOT_YOUR_CLASSES = gettext_lazy("You may not log lessons for these classes: %(classes)s.")
NOT_IMPORTER = gettext_lazy(
    "Only the school's psychology teacher or leader imports lessons for it."
)
CLASSES_REQUIRED = gettext_lazy("Choose at least one class.")
ONE_SCHOOL = gettext_lazy("Choose classes of one school.")
FUTURE_DATE = gettext_lazy("The date cannot be in the future.")
DATE_OUTSIDE_YEAR = gettext_lazy(
    "Class %(name)s belongs to school year %(year)s, which does not include %(date)s."
)
HOURS_INVALID = gettext_lazy("Enter the class hours in whole or half hours, from 0.5 to %(max)s.")
TOPIC_REQUIRED = gettext_lazy("Enter the lesson's topic.")
TOPIC_TOO_LONG = gettext_lazy("The topic is too long (at most %(max)s characters).")
TEACHER_TOO_LONG = gettext_lazy("The teacher's name is too long (at most %(max)s characters).")
ALREADY_LOGGED = gettext_lazy("This lesson is already logged for %(classes)s on %(date)s.")
# Import errors (per row).
IMPORT_UNKNOWN_CLASS = gettext_lazy(
    "No class named %(name)s at %(school)s in the school year of %(date)s."
)
IMPORT_OTHER_SCHOOL = gettext_lazy(
    "This row is for school %(code)s; the file is imported into %(school)s (%(own)s)."
)
IMPORT_REPEATED = gettext_lazy("The same lesson (class, date and topic) is in row %(row)s.")

TOPIC_MAX = Lesson._meta.get_field("topic").max_length or 200
TEACHER_MAX = Lesson._meta.get_field("teacher_name").max_length or 100


def _message(template: Any, **params: Any) -> str:
    return str(template) % params if params else str(template)


# --- who may write --------------------------------------------------------------------------------


def loggable_classes(*, actor: Any) -> QuerySet[SchoolClass]:
    """Classes the actor logs lessons for: her own (class roles), every class of her schools."""
    return policy.narrow(
        actor,
        policy.Action.LOG_LESSON,
        SchoolClass.objects.filter(school__is_active=True),
        school_field="school",
        class_field="pk",
    ).select_related("school", "school_year")


def may_log(actor: Any) -> bool:
    return policy.anywhere(actor, policy.Action.LOG_LESSON)


def importable_schools(*, actor: Any) -> QuerySet[OrgUnit]:
    return (
        policy.units(actor, policy.Action.IMPORT_LESSONS)
        .filter(kind=OrgKind.SCHOOL, is_active=True)
        .order_by("path")
    )


def county_of(school: OrgUnit) -> OrgUnit:
    parent = school.parent
    if parent is not None and parent.kind == OrgKind.COUNTY:
        return parent
    county = school.ancestor_of_kind(OrgKind.COUNTY)
    if county is None:  # a school always hangs under a county
        raise ValidationError({"classes": ONE_SCHOOL})
    return county


# --- checks shared by the form, the API and the import --------------------------------------------


def clean_hours(value: Any) -> Decimal | None:
    """Whole or half class hours up to the setting's maximum, else None."""
    try:
        hours = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not hours.is_finite() or hours not in HOUR_STEPS or hours > calendar.max_hours():
        return None
    return hours.quantize(Decimal("0.1"))


def lesson_problems(
    *,
    classes: Sequence[SchoolClass],
    given_on: datetime.date | None,
    hours: Any,
    topic: str,
    teacher_name: str,
) -> tuple[dict[str, list[str]], Decimal | None]:
    """Every problem of a lesson's fields, by field; and the clean hours."""
    errors: dict[str, list[str]] = {}
    if given_on is not None:
        if given_on > timezone.localdate():
            errors.setdefault("given_on", []).append(_message(FUTURE_DATE))
        else:
            for klass in classes:
                year = klass.school_year
                if not year.start <= given_on <= year.end:
                    errors.setdefault("given_on", []).append(
                        _message(
                            DATE_OUTSIDE_YEAR,
                            name=klass.name,
                            year=year.name,
                            date=given_on.isoformat(),
                        )
                    )
    clean = clean_hours(hours)
    if clean is None:
        errors.setdefault("hours", []).append(_message(HOURS_INVALID, max=calendar.max_hours()))
    if not topic:
        errors.setdefault("topic", []).append(_message(TOPIC_REQUIRED))
    elif len(topic) > TOPIC_MAX:
        errors.setdefault("topic", []).append(_message(TOPIC_TOO_LONG, max=TOPIC_MAX))
    if len(teacher_name) > TEACHER_MAX:
        errors.setdefault("teacher_name", []).append(_message(TEACHER_TOO_LONG, max=TEACHER_MAX))
    return errors, clean


def _actor_name(actor: Any) -> str:
    return str(getattr(actor, "display_name", "") or actor.get_username())[:TEACHER_MAX]


# --- writes ---------------------------------------------------------------------------------------


@transaction.atomic
def lesson_log(
    *,
    actor: Any,
    classes: Iterable[SchoolClass],
    given_on: datetime.date,
    hours: Decimal | str,
    topic: str,
    teacher_name: str = "",
    source: str = LessonSource.FORM,
) -> list[Lesson]:
    """Log one lesson for one or several classes of one school: a row per class, in one
    transaction; nothing is stored when any class or field is refused. The teacher is the actor
    unless another name is typed (a colleague without an account)."""
    wanted = {klass.pk for klass in classes}
    if not wanted:
        raise ValidationError({"classes": CLASSES_REQUIRED})
    # Re-read through the policy (set difference): a class id the actor may not log for is
    # refused whatever the caller passed.
    allowed = {k.pk: k for k in loggable_classes(actor=actor).filter(pk__in=wanted)}
    refused = wanted - set(allowed)
    if refused:
        names = sorted(SchoolClass.objects.filter(pk__in=refused).values_list("name", flat=True))
        raise PermissionDenied(_message(NOT_YOUR_CLASSES, classes=", ".join(names)))
    ordered = sorted(allowed.values(), key=lambda k: (k.grade, k.name, k.pk))
    if len({k.school_id for k in ordered}) > 1:
        raise ValidationError({"classes": ONE_SCHOOL})
    topic = (topic or "").strip()
    teacher_name = (teacher_name or "").strip() or _actor_name(actor)
    errors, clean = lesson_problems(
        classes=ordered, given_on=given_on, hours=hours, topic=topic, teacher_name=teacher_name
    )
    if errors:
        raise ValidationError(errors)
    assert clean is not None  # noqa: S101 - lesson_problems reported it otherwise
    repeated = list(
        Lesson.objects.filter(klass_id__in=wanted, given_on=given_on, topic=topic)
        .order_by("klass__grade", "klass__name")
        .values_list("klass__name", flat=True)
    )
    if repeated:
        raise ValidationError(
            {
                "topic": _message(
                    ALREADY_LOGGED, classes=", ".join(repeated), date=given_on.isoformat()
                )
            }
        )
    school = ordered[0].school
    county = county_of(school)
    teacher = actor if teacher_name == _actor_name(actor) else None
    batch = uuid.uuid4()
    lessons = []
    for klass in ordered:
        lesson = Lesson(
            school=school,
            county=county,
            klass=klass,
            given_on=given_on,
            month=calendar.month_of(given_on),
            hours=clean,
            topic=topic,
            teacher=teacher,
            teacher_name=teacher_name,
            batch=batch,
            source=source,
            recorded_by=actor,
        )
        lesson.full_clean(validate_unique=False, validate_constraints=False)
        lessons.append(lesson)
    Lesson.objects.bulk_create(lessons)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=lessons[0],
        detail={
            "batch": str(batch),
            "lessons": [lesson.pk for lesson in lessons],
            "classes": [klass.pk for klass in ordered],
            "source": str(source),
        },
    )
    return lessons


@dataclass(frozen=True)
class LessonRow:
    """One row of an import file, parsed."""

    row: int
    class_name: str
    given_on: datetime.date
    hours: Decimal
    topic: str
    teacher_name: str = ""
    school_code: str = ""


@dataclass
class ImportResult:
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _class_for(candidates: list[SchoolClass], given_on: datetime.date) -> SchoolClass | None:
    for klass in candidates:
        if klass.school_year.start <= given_on <= klass.school_year.end:
            return klass
    return None


@transaction.atomic
def lesson_import(
    *,
    actor: Any,
    school: OrgUnit,
    rows: Sequence[LessonRow],
    source: str,
    sheet: str = "",
    columns: dict[str, str] | None = None,
) -> ImportResult:
    """Import parsed rows into ``school``: every class is found by its name in the school year of
    the lesson's date; a row for another school, an unknown class, or the same lesson twice in
    the file is an error, and any error stores nothing. Lessons already stored are left as they
    are (importing the same file again changes nothing)."""
    if school.kind != OrgKind.SCHOOL or not policy.allowed(
        actor, policy.Action.IMPORT_LESSONS, school
    ):
        raise PermissionDenied(NOT_IMPORTER)
    columns = columns or {}
    by_name: dict[str, list[SchoolClass]] = {}
    for klass in (
        SchoolClass.objects.filter(school=school)
        .select_related("school_year")
        .order_by("-school_year__start", "id")
    ):
        by_name.setdefault(klass.name, []).append(klass)
    errors: list[RowError] = []
    resolved: list[tuple[LessonRow, SchoolClass]] = []
    first_seen: dict[tuple[int, datetime.date, str], int] = {}
    for row in rows:
        if row.school_code and row.school_code != school.code:
            errors.append(
                RowError(
                    sheet,
                    row.row,
                    columns.get("school_code", ""),
                    _message(
                        IMPORT_OTHER_SCHOOL,
                        code=row.school_code,
                        school=school.name,
                        own=school.code,
                    ),
                )
            )
            continue
        found = _class_for(by_name.get(row.class_name, []), row.given_on)
        if found is None:
            errors.append(
                RowError(
                    sheet,
                    row.row,
                    columns.get("class_name", ""),
                    _message(
                        IMPORT_UNKNOWN_CLASS,
                        name=row.class_name,
                        school=school.name,
                        date=row.given_on.isoformat(),
                    ),
                )
            )
            continue
        problems, _clean = lesson_problems(
            classes=[found],
            given_on=row.given_on,
            hours=row.hours,
            topic=row.topic,
            teacher_name=row.teacher_name,
        )
        for field_name, messages in problems.items():
            errors += [RowError(sheet, row.row, columns.get(field_name, ""), m) for m in messages]
        key = (found.pk, row.given_on, row.topic)
        if key in first_seen:
            errors.append(
                RowError(
                    sheet,
                    row.row,
                    columns.get("topic", ""),
                    _message(IMPORT_REPEATED, row=first_seen[key]),
                )
            )
            continue
        first_seen[key] = row.row
        if not problems:
            resolved.append((row, found))
    if errors:
        return ImportResult(errors=errors)
    county = county_of(school)
    batch = uuid.uuid4()
    lessons = []
    for row, klass in resolved:
        name = row.teacher_name or _actor_name(actor)
        lessons.append(
            Lesson(
                school=school,
                county=county,
                klass=klass,
                given_on=row.given_on,
                month=calendar.month_of(row.given_on),
                hours=row.hours,
                topic=row.topic,
                teacher=actor if name == _actor_name(actor) else None,
                teacher_name=name,
                batch=batch,
                source=LessonSource.IMPORT,
                recorded_by=actor,
            )
        )
    # Rows already stored are skipped by the unique (class, date, topic) key.
    created = Lesson.objects.bulk_create(lessons, ignore_conflicts=True)
    stored = Lesson.objects.filter(batch=batch).count()
    del created
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=Lesson._meta.label_lower,
        detail={
            "import": source[:200],
            "school": school.pk,
            "batch": str(batch),
            "rows": len(rows),
            "created": stored,
        },
    )
    if stored:
        registry.data_changed([school.pk], "lessons")
    return ImportResult(created=stored, unchanged=len(resolved) - stored)
