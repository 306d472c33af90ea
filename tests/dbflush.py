"""A cheaper reset after each ``django_db(transaction=True)`` test (and ``live_server`` test).

Django's test teardown empties every table with ``manage.py flush``: on PostgreSQL one ``TRUNCATE``
of all ~110 tables, which gives each table, its indexes and TOAST table new files — 2 to 4 seconds
per transactional test (of which the suite has some sixty), whatever the test wrote. Here the same
statement list empties the same tables with ``DELETE`` instead, which costs about as much as the
rows the test left: with ``session_replication_role = replica`` for the flush's transaction, so
that neither the foreign-key checks (every table is emptied in the same transaction) nor the
audit log's append-only triggers (which a superuser's ``TRUNCATE`` passes anyway) stand in the
way. The end state is the one ``TRUNCATE`` leaves: every listed table empty, sequences as they
were (Django truncates without ``RESTART IDENTITY`` unless asked to reset them).

It applies only where it cannot change a test's meaning, and falls back to Django's statements
otherwise: when sequences are to be reset (``reset_sequences=True``), when ``CASCADE`` is allowed
(``available_apps``: TRUNCATE would then empty tables outside the list too), and when the
connection's role is not a superuser (``session_replication_role`` needs one; the audit log's
TRUNCATE guard already refuses the flush to anyone else)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.management.color import Style
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.postgresql.operations import DatabaseOperations

_django_sql_flush = DatabaseOperations.sql_flush


def _is_superuser(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def sql_flush(
    self: BaseDatabaseOperations,
    style: Style,
    tables: Sequence[str],
    *,
    reset_sequences: bool = False,
    allow_cascade: bool = False,
) -> list[str]:
    if not tables or reset_sequences or allow_cascade or not _is_superuser(self.connection):
        return _django_sql_flush(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    # Django runs these in one transaction (execute_sql_flush): SET LOCAL ends with it.
    return [
        "SET LOCAL session_replication_role = replica",
        *(f"DELETE FROM {self.quote_name(table)}" for table in sorted(tables)),  # noqa: S608
    ]


def install() -> None:
    """Used for every PostgreSQL connection of the test process (tests/conftest.py)."""
    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign,assignment]
