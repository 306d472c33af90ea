"""The app's database role cannot empty or alter the audit log (issue 13): each bypass a review
reproduced as the owner — TRUNCATE, disabling the trigger, session_replication_role — fails as
the role ``manage.py db_roles`` creates, while the app's ordinary work still succeeds."""

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from psycopg import errors

from tests.workers import conninfo

pytestmark = pytest.mark.django_db(transaction=True)

BYPASSES = [
    "TRUNCATE audit_auditevent",
    "TRUNCATE audit_auditseal",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
    "SET session_replication_role = replica",
    "UPDATE audit_auditevent SET actor_username = 'x'",
    "DELETE FROM audit_auditevent",
    "DROP TRIGGER audit_auditevent_no_update_delete ON audit_auditevent",
]


@pytest.fixture
def app_role():
    name = f"{connection.settings_dict['NAME']}_app"
    call_command("db_roles", role=name)
    return name


def _connect(role: str) -> psycopg.Connection:
    return psycopg.connect(conninfo(user=role), autocommit=True)


def test_the_app_role_may_insert_and_read_the_audit_log_and_write_domain_tables(app_role):
    with _connect(app_role) as db:
        db.execute(
            "INSERT INTO audit_auditevent (at, actor_username, roles, org_unit_code, action, "
            "object_type, object_id, request_id, detail) "
            "VALUES (now(), 'app', '', '', 'view', '', '', '', '{}')"
        )
        assert db.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] >= 1
        db.execute("UPDATE orgs_orgunit SET name = name")
        db.execute("CREATE TEMP TABLE staging (id int)")  # the imports' COPY staging


def test_the_app_role_may_make_a_work_table_for_an_import_and_no_table_elsewhere(app_role):
    with _connect(app_role) as db:
        db.execute("CREATE UNLOGGED TABLE import_work.import_pipeline_0 (id int)")
        db.execute("DROP TABLE import_work.import_pipeline_0")
        with pytest.raises(errors.InsufficientPrivilege):
            db.execute("CREATE TABLE public.anything (id int)")


@pytest.mark.parametrize("statement", BYPASSES)
def test_each_bypass_fails_as_the_app_role(app_role, statement):
    with _connect(app_role) as db, pytest.raises(errors.InsufficientPrivilege):
        db.execute(statement)


def test_the_truncate_trigger_stops_even_a_table_owner_who_is_no_superuser(app_role):
    owner = f"{connection.settings_dict['NAME']}_owner"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [owner])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE ROLE "{owner}" LOGIN NOSUPERUSER')
        cursor.execute(f'ALTER TABLE audit_auditevent OWNER TO "{owner}"')
    try:
        with _connect(owner) as db, pytest.raises(errors.InsufficientPrivilege, match="TRUNCATE"):
            db.execute("TRUNCATE audit_auditevent")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent OWNER TO CURRENT_USER")


def test_db_roles_is_safe_to_repeat(app_role):
    call_command("db_roles", role=app_role)
    with _connect(app_role) as db, pytest.raises(errors.InsufficientPrivilege):
        db.execute("TRUNCATE audit_auditevent")
