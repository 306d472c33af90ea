import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.utils import Error as DatabaseError
from django.template.loader import render_to_string

from mhcare.accounts.models import Role
from mhcare.audit.context import audit_context
from mhcare.audit.models import Action, AuditEvent
from mhcare.audit.selectors import VIEWERS_FORBIDDEN_ERROR, student_viewer_list
from mhcare.audit.services import audit_record


@pytest.fixture
def event(world):
    return audit_record(
        actor=world.users["psych_a"], action=Action.VIEW, student=world.students["a"]
    )


def test_update_on_audit_table_fails_at_the_database(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'login' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == Action.VIEW


def test_delete_on_audit_table_fails_at_the_database(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_record_takes_ip_and_request_id_from_context(world):
    with audit_context(request_id="r" * 32, ip="192.0.2.5"):
        event = audit_record(
            actor=world.users["leader_a"], action=Action.VIEW, obj=world.students["a"]
        )
    assert (event.ip, event.request_id) == ("192.0.2.5", "r" * 32)
    assert (event.object_type, event.object_id) == ("orgs.student", str(world.students["a"].pk))
    assert event.roles == "school_leader"


def _views(world, username, student_key, n=1, ip="192.0.2.1"):
    for _ in range(n):
        with audit_context(ip=ip):
            audit_record(
                actor=world.users[username], action=Action.VIEW, student=world.students[student_key]
            )


@pytest.mark.parametrize("viewer", ["psych_a", "leader_a"])
def test_school_psych_teacher_and_leader_see_viewers(world, viewer):
    _views(world, "psych_a", "a", ip="192.0.2.9")
    _views(world, "center_a", "a")
    _views(world, "center_a", "a2")  # another student
    audit_record(actor=world.users["psych_a"], action=Action.UPDATE, student=world.students["a"])

    rows = student_viewer_list(actor=world.users[viewer], student=world.students["a"])

    assert [r.username for r in rows] == ["center_a", "psych_a"]
    assert rows[0].roles == [str(Role.COUNTY_CENTER.label)]
    assert rows[1].ip == "192.0.2.9"


def test_viewer_list_limit(world):
    _views(world, "psych_a", "a", n=5)
    assert (
        len(student_viewer_list(actor=world.users["psych_a"], student=world.students["a"], limit=3))
        == 3
    )


@pytest.mark.parametrize(
    ("user", "student"),
    [
        ("psych_b", "a"),  # another county
        ("psych_a", "a2"),  # another school, same county
        ("homeroom_a", "a"),  # wrong role, own class
        ("center_a", "a"),  # county staff: not this panel
        ("official_a", "a"),
        ("admin", "a"),
    ],
)
def test_others_may_not_see_viewers(world, user, student):
    _views(world, "psych_a", student)
    with pytest.raises(PermissionDenied, match=str(VIEWERS_FORBIDDEN_ERROR)):
        student_viewer_list(actor=world.users[user], student=world.students[student])


def test_anonymous_may_not_see_viewers(world):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        student_viewer_list(actor=AnonymousUser(), student=world.students["a"])


def test_viewers_partial_renders(world):
    _views(world, "center_a", "a", ip="192.0.2.77")
    viewers = student_viewer_list(actor=world.users["psych_a"], student=world.students["a"])
    html = render_to_string("audit/_student_viewers.html", {"viewers": viewers})
    assert 'class="data"' in html
    assert "192.0.2.77" in html
    assert "center_a" in html
    empty = render_to_string("audit/_student_viewers.html", {"viewers": []})
    assert 'class="empty"' in empty


@pytest.mark.django_db
def test_the_audit_log_keeps_one_index_per_lookup():
    """Every page view writes a row: the actor's and the student's lookups each have one index,
    led by the column and ordered by time (no single-column index beside it: migration 0004)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_auditevent' "
            "AND indexdef NOT LIKE '%%UNIQUE%%' ORDER BY indexdef"
        )
        columns = sorted(row[0].split(" USING btree ")[1] for row in cursor.fetchall())
    assert columns == ["(actor_id, at DESC)", "(at)", "(student_id, at DESC)"]
