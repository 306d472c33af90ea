"""Migrating the test database back and forth, for the tests of a data migration (a migration
that moves rows: they are written in the old schema, migrated forward, read, and back).

    from tests.migrating import migrate

    migrate([("screening", "0008_…")])  # back to just after that migration
    …                                    # write rows as the old schema holds them
    migrate()                            # forward to the latest migrations
"""

import gc
from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@contextmanager
def _collector_paused():
    """The model states Django renders are hundreds of thousands of short-lived objects: the
    cyclic garbage collector, run again and again over them, adds about a sixth to a migration."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def migrate(targets=None):
    """Migrate to ``targets`` (the latest migrations when None); nothing to do, nothing done.

    Backwards, Django's plan is unapplied one migration per call, in its order: each one from the
    state of the migrations before it that are still applied (what the database holds at that
    step), the models rendered once for it, where one call re-renders them for every migration of
    the full plan between the first and the last one unapplied (seconds each)."""
    with _collector_paused():
        executor = MigrationExecutor(connection)
        if targets is None:
            targets = executor.loader.graph.leaf_nodes()
        plan = executor.migration_plan(targets)
        if plan and plan[0][1]:  # backwards
            for step in plan:
                MigrationExecutor(connection).migrate(targets, plan=[step])
        elif plan:
            executor.migrate(targets, plan=plan)
