"""One migrated template database for all the test databases of one `make test` (suite helper).

`make test` runs pytest twice (the ``serial`` tests, then the rest in two xdist workers), and each
process made its test database by running every migration: the slowest part of the set-up, three
or four times over. With ``MHCARE_TEST_DB_TEMPLATE`` set (the Makefile sets it to an id of the
run), the first process builds ``test_<name>_template`` once, by ``migrate`` in a subprocess, and
each process's test database (and the replica's) is ``CREATE DATABASE … TEMPLATE`` of it: the
same schema, data-migration rows and grants as a migrate gives, since it is one. Django's own
``migrate`` still runs on each copy, finding every migration applied. A later run (another id)
drops and rebuilds the template, so no run uses one made from older migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import psycopg
from psycopg import sql

from tests.workers import ROOT

ENVIRONMENT = "MHCARE_TEST_DB_TEMPLATE"
_BUILD = (
    "import django; django.setup(); from django.core.management import call_command; "
    "call_command('migrate', interactive=False, run_syncdb=True, verbosity=0); "
    "call_command('createcachetable')"
)


def _conninfo(settings_dict: dict[str, Any], dbname: str) -> str:
    parts = {
        "dbname": dbname,
        "user": settings_dict.get("USER") or "postgres",
        "host": settings_dict.get("HOST") or "127.0.0.1",
        "port": str(settings_dict.get("PORT") or "5432"),
    }
    if settings_dict.get("PASSWORD"):
        parts["password"] = settings_dict["PASSWORD"]
    return " ".join(f"{key}={value}" for key, value in parts.items())


def _database_url(settings_dict: dict[str, Any], dbname: str) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{dbname}"


def template_for_run(settings_dict: dict[str, Any], run: str) -> str:
    """The name of this run's migrated template database, built if no process of the run has
    built it yet (an advisory lock keeps two processes from building it at once)."""
    name = f"test_{settings_dict['NAME']}_template"
    mark = f"mhcare test template, run {run}"
    with psycopg.connect(_conninfo(settings_dict, "postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [name])
        try:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [name],
            ).fetchone()
            if row is not None and row[0] == mark:
                return name
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            environment = {
                **os.environ,
                "DATABASE_URL": _database_url(settings_dict, name),
                "DJANGO_SETTINGS_MODULE": os.environ.get(
                    "DJANGO_SETTINGS_MODULE", "mhcare.settings.test"
                ),
            }
            built = subprocess.run(  # noqa: S603 - a fixed command line
                [sys.executable, "-c", _BUILD],
                cwd=ROOT,
                env=environment,
                capture_output=True,
                text=True,
                check=False,
            )
            if built.returncode != 0:
                raise RuntimeError(
                    f"migrating the template test database {name} failed:\n"
                    f"{built.stdout[-4000:]}{built.stderr[-8000:]}"
                )
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(name), sql.Literal(mark)
                )
            )
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [name])
    return name
