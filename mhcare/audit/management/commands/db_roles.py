"""``manage.py db_roles``: run as the role that owns the schema (the one that migrates) to create
the application's database role and grant it what the app needs and nothing more.

The app role (``DB_APP_ROLE``) reads and writes the domain tables and may create tables in the
schema ``import_work`` only (a large import's work table, read by two connections), but on the
audit tables it may
only SELECT and INSERT: no UPDATE, DELETE or TRUNCATE, and as it owns nothing it cannot disable a
trigger (``ALTER TABLE``) nor, as it is no superuser, turn triggers off with
``session_replication_role``. Run it after every ``migrate`` (new tables get their grants): the
compose file's ``migrate`` service and ``make run`` do. Safe to repeat."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

# Tables nobody but the owner may change: the audit log and its hash chain.
APPEND_ONLY_TABLES = ("audit_auditevent", "audit_auditseal")


class Command(BaseCommand):
    help = "Create the application's database role and grant it least privilege."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--role", default=settings.DB_APP_ROLE, help="the app role's name")
        parser.add_argument(
            "--password", default="", help="its password (omit with trust or peer authentication)"
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        role = sql.Identifier(options["role"])
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            owner, database = cursor.fetchone()
            if owner == options["role"]:
                raise CommandError("Run db_roles as the owner role, not as the app role itself.")
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [options["role"]])
            if cursor.fetchone() is None:
                cursor.execute(
                    sql.SQL("CREATE ROLE {} LOGIN").format(role).as_string(connection.connection)
                )
            cursor.execute(
                sql.SQL(
                    "ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                    "NOBYPASSRLS"
                )
                .format(role)
                .as_string(connection.connection)
            )
            if options["password"]:
                cursor.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}")
                    .format(role, sql.Literal(options["password"]))
                    .as_string(connection.connection)
                )
            statements = [
                sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                    sql.Identifier(database), role
                ),
                sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role),
                sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(role),
                sql.SQL(
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
                ).format(role),
                sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role),
                # The imports' work tables (their own schema: migration screening 0016); CREATE
                # nowhere else.
                sql.SQL("GRANT USAGE, CREATE ON SCHEMA import_work TO {}").format(role),
            ]
            statements += [
                sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(t), role)
                for t in APPEND_ONLY_TABLES
            ]
            for statement in statements:
                cursor.execute(statement.as_string(connection.connection))
        self.stdout.write(
            f"role {options['role']}: read/write on the domain tables, SELECT and INSERT only on "
            f"{', '.join(APPEND_ONLY_TABLES)} (owner {owner}, database {database})"
        )
