"""Retention (PIPL art. 19): the records of students who left (transferred or graduated, with a
``left_on`` date) more than ``settings.RETENTION_YEARS[kind]`` years ago are anonymised.

What changes, per record kind:
- ``student``: the student's name, national student number and birth date are replaced (the
  birth date by 1 January of the same year, so counts by age stay right), their guardians are
  removed; school, county, class, grade, gender, status and dates stay, so every count by school,
  grade and year stays right;
- ``screening`` / ``crisis`` / ``counseling`` (and any other app, under ``student``): every
  encrypted (free-text) column of a row linked to such a student is cleared. Scores, levels,
  statuses, dates and the rows themselves stay (aggregates are counts of rows).

The rows are found generically: every model with a foreign key to ``Student`` (or to a model that
has one, e.g. a follow-up of a case), its free text being its ``EncryptedTextField`` columns (the
encrypted-columns test keeps every child's free text in such a column). ``retention_plan`` counts
what would change (the dry run of ``manage.py retention_report``); ``retention_anonymise`` does
it in one transaction and writes one audit event with the counts (never a name)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.fields import EncryptedTextField, encrypted_fields
from mhcare.orgs.models import LEFT_STATUSES, Guardian, Student

# The replacement name and the prefix of the replacement student number ("anon-<id>": unique).
ANONYMOUS_NAME = "（已匿名）"
ANONYMOUS_NUMBER_PREFIX = "anon-"
STUDENT = "student"
# The record kind of each app's rows (RETENTION_YEARS keys); other apps count as ``student``.
APP_KINDS = {"screening": "screening", "crisis": "crisis", "referrals": "crisis"}
APP_KINDS["counseling"] = "counseling"
# The audit log is append-only (its own retention: AUDIT_* settings); nothing here touches it.
SKIPPED_APPS = frozenset({"audit"})


@dataclass
class Plan:
    """What a run changes: rows per kind and per table (counts only)."""

    today: datetime.date
    students: dict[str, int] = field(default_factory=dict)  # kind -> students past the period
    rows: dict[str, int] = field(default_factory=dict)  # "kind: app.Model" -> rows to clear

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def as_detail(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "students": self.students, "rows": self.rows}


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def years_of(kind: str) -> int:
    table: dict[str, int] = settings.RETENTION_YEARS
    return int(table.get(kind, table[STUDENT]))


def left_students(kind: str, today: datetime.date) -> models.QuerySet[Student]:
    """Students who left more than the kind's retention period before ``today``."""
    return Student.objects.filter(
        status__in=LEFT_STATUSES,
        left_on__isnull=False,
        left_on__lte=_years_before(today, years_of(kind)),
    )


def _student_path(model: type[models.Model]) -> str | None:
    """The lookup from ``model`` to its student: a foreign key to Student, or one hop through a
    foreign key to a model with one. None when the model is not about a student."""
    relations = [
        f for f in model._meta.concrete_fields if f.is_relation and (f.many_to_one or f.one_to_one)
    ]
    for f in relations:
        if f.related_model is Student:
            return f.name
    for f in relations:
        target = f.related_model
        if target is None or target is Student or not isinstance(target, type):
            continue
        for g in target._meta.concrete_fields:
            if g.is_relation and (g.many_to_one or g.one_to_one) and g.related_model is Student:
                return f"{f.name}__{g.name}"
    return None


def linked_models() -> list[tuple[str, type[models.Model], str, list[EncryptedTextField]]]:
    """(kind, model, lookup to the student, free-text columns) of every student-linked model
    with free text, in a fixed order."""
    found = []
    for model in apps.get_models():
        if model is Student or model._meta.proxy or not model._meta.managed:
            continue
        if model._meta.app_label in SKIPPED_APPS:
            continue
        columns = encrypted_fields(model)
        if not columns:
            continue
        path = _student_path(model)
        if path is None:
            continue
        kind = APP_KINDS.get(model._meta.app_label, STUDENT)
        found.append((kind, model, path, columns))
    return sorted(found, key=lambda item: item[1]._meta.label)


def _not_cleared(columns: list[EncryptedTextField]) -> str:
    return " OR ".join(f"coalesce(\"{c.column}\", '') <> ''" for c in columns)


def _row_ids(model: type[models.Model], path: str, students: Any) -> list[int]:
    return list(
        model._default_manager.filter(**{f"{path}__in": students}).values_list("pk", flat=True)
    )


def _count_or_clear(
    model: type[models.Model], columns: list[EncryptedTextField], ids: list[int], clear: bool
) -> int:
    if not ids:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column or "id")
    where = f"{pk} = ANY(%s) AND ({_not_cleared(columns)})"
    with connection.cursor() as cursor:
        if clear:
            sets = ", ".join(
                f'"{c.column}" = CASE WHEN "{c.column}" IS NULL THEN NULL ELSE \'\' END'
                for c in columns
            )
            cursor.execute(f"UPDATE {table} SET {sets} WHERE {where}", [ids])  # noqa: S608 - names from the model
            return cursor.rowcount
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {where}", [ids])  # noqa: S608 - names from the model
        return int(cursor.fetchone()[0])


def _not_anonymous(students: models.QuerySet[Student]) -> models.QuerySet[Student]:
    return students.exclude(student_number__startswith=ANONYMOUS_NUMBER_PREFIX)


def _run(today: datetime.date, clear: bool) -> Plan:
    plan = Plan(today=today)
    kinds = sorted({STUDENT, *APP_KINDS.values()})
    for kind in kinds:
        plan.students[kind] = left_students(kind, today).count()
    identified = _not_anonymous(left_students(STUDENT, today))
    plan.rows["student: orgs.Student"] = identified.count()
    guardians = Guardian.objects.filter(student__in=left_students(STUDENT, today))
    plan.rows["student: orgs.Guardian"] = guardians.count()
    for kind, model, path, columns in linked_models():
        ids = _row_ids(model, path, left_students(kind, today).values("pk"))
        changed = _count_or_clear(model, columns, ids, clear)
        if changed or not clear:
            plan.rows[f"{kind}: {model._meta.label}"] = changed
    if clear:
        guardians.delete()
        for student in identified.only("pk", "birth_date"):
            Student.objects.filter(pk=student.pk).update(
                name=ANONYMOUS_NAME,
                student_number=f"{ANONYMOUS_NUMBER_PREFIX}{student.pk}",
                birth_date=student.birth_date.replace(month=1, day=1),
            )
    return plan


def retention_plan(*, today: datetime.date | None = None) -> Plan:
    """The dry run: how many rows of each kind the next run changes (no names)."""
    return _run(today or timezone.localdate(), clear=False)


@transaction.atomic
def retention_anonymise(*, today: datetime.date | None = None) -> Plan:
    """Anonymise what ``retention_plan`` counts, in one transaction, audited with the counts.
    Running it again changes nothing (cleared columns and anonymous students are skipped)."""
    plan = _run(today or timezone.localdate(), clear=True)
    if any(plan.rows.values()):
        audit_record(
            actor=None,
            action=Action.UPDATE,
            object_type="retention",
            detail={"retention": plan.as_detail(), "years": dict(settings.RETENTION_YEARS)},
        )
    return plan
