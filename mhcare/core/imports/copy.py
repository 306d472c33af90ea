"""Writing many new rows of a model with PostgreSQL ``COPY``: what ``bulk_create`` writes, values
prepared by the model's own fields (``pre_save`` for ``auto_now``, ``get_db_prep_save`` for
arrays, JSON and encrypted fields), without building an INSERT statement of every row in
Python (for 100 000 students that is most of an import's time)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, models


def copy_insert(model: type[models.Model], objects: Iterable[models.Model]) -> int:
    """COPY ``objects`` (new, unsaved) into ``model``'s table; primary keys come from the
    table's default and are not set on the objects (read them back by a unique key).
    Returns the number of rows written."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objects:
            row: list[Any] = [
                field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields
            ]
            copy.write_row(row)
            count += 1
    return count
