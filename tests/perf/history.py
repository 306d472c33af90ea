"""Grow one student's history k-fold: every row of every scoped table that names the student
(``student_id``) is copied k times in SQL (new ids, the same contents). Tables whose unique
constraints refuse a copy (one open case per student, one support plan) keep their rows. For the
tests and benches that check that a student's page does not grow with the history."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from mhcare.accounts import scope

# Nullable columns that, with the student, make a row unique (one result per campaign, one
# session per appointment, one home visit per period): the copies leave them empty.
UNIQUE_WITH_STUDENT = {"campaign_id", "appointment_id", "key_period_id"}


def _copy(table: str, fields: list, where: str, params: list) -> int:
    names = [connection.ops.quote_name(f.column) for f in fields]
    values = [
        "NULL" if f.column in UNIQUE_WITH_STUDENT and f.null else name
        for f, name in zip(fields, names, strict=True)
    ]
    quoted = connection.ops.quote_name(table)
    # Table and column names come from the models, never from input.
    sql = (
        f"INSERT INTO {quoted} ({', '.join(names)}) SELECT {', '.join(values)} "  # noqa: S608
        f"FROM {quoted}, generate_series(1, %s) WHERE {where}"
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount
    except IntegrityError:
        return 0


def multiply_history(student_id: int, k: int) -> dict[str, int]:
    """Copies made per table (table -> rows added); the student's case events too."""
    from crisis.models import CaseEvent

    added: dict[str, int] = {}
    for model in [*scope.scoped_models(), CaseEvent]:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = {f.column for f in fields}
        if "student_id" in columns:
            where = "student_id = %s"
        elif model is CaseEvent:
            where = "case_id IN (SELECT id FROM crisis_case WHERE student_id = %s)"
        else:
            continue
        added[model._meta.db_table] = _copy(model._meta.db_table, fields, where, [k, student_id])
    return added
