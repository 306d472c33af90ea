import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mhcare.audit.models import Action, AuditEvent
from mhcare.core import registry
from tests import factories


def student_names(response):
    return {s.name for s in response.context["page"].students}


def test_psych_teacher_lists_only_her_schools_students(client, world):
    client.force_login(world.users["psych_a"])
    response = client.get(reverse("orgs:student_list"))
    assert response.status_code == 200
    assert student_names(response) == {"张小明", "李小红"}


def test_homeroom_teacher_lists_only_her_class(client, world):
    client.force_login(world.users["homeroom_a"])
    response = client.get(reverse("orgs:student_list"))
    assert student_names(response) == {"张小明"}


def test_county_center_lists_the_whole_county(client, world):
    client.force_login(world.users["center_a"])
    response = client.get(reverse("orgs:student_list"))
    assert student_names(response) == {"张小明", "李小红", "王小刚"}


def test_list_masks_the_student_number(client, world):
    student = world.students["a"]
    client.force_login(world.users["psych_a"])
    body = client.get(reverse("orgs:student_list")).content.decode()
    assert student.masked_student_number in body
    assert student.student_number not in body


def test_list_filters_by_school_class_grade_and_name(client, world):
    client.force_login(world.users["center_a"])
    url = reverse("orgs:student_list")
    response = client.get(url, {"school": world.school_a2.code})
    assert student_names(response) == {"王小刚"}
    response = client.get(url, {"school": world.school_a.code, "klass": world.class_a_other.pk})
    assert student_names(response) == {"李小红"}
    response = client.get(url, {"grade": 8, "name": "小明"})
    assert student_names(response) == {"张小明"}
    response = client.get(url, {"grade": 9})
    assert student_names(response) == set()


def test_list_cannot_be_widened_by_a_school_outside_scope(client, world):
    client.force_login(world.users["psych_a"])
    response = client.get(reverse("orgs:student_list"), {"school": world.school_b.code})
    # an unknown choice is a form error: the list falls back to the whole (own) scope
    assert "赵小丽" not in student_names(response)


def test_list_paginates_by_keyset(client, world):
    for _ in range(60):
        factories.StudentFactory(klass=world.class_a)
    client.force_login(world.users["psych_a"])
    first = client.get(reverse("orgs:student_list"))
    page = first.context["page"]
    assert len(page.students) == 50
    assert page.next_after == page.students[-1].pk
    with CaptureQueriesContext(connection) as queries:
        second = client.get(reverse("orgs:student_list"), {"after": page.next_after})
    student_sql = [q["sql"] for q in queries.captured_queries if '"orgs_student"' in q["sql"]]
    assert student_sql
    assert not any("OFFSET" in sql or "COUNT(" in sql for sql in student_sql)
    rest = second.context["page"]
    assert len(rest.students) == 62 - 50
    assert rest.next_after is None
    assert not {s.pk for s in page.students} & {s.pk for s in rest.students}


def test_list_query_count_does_not_grow_with_rows(client, world, django_assert_max_num_queries):
    for _ in range(40):
        factories.StudentFactory(klass=world.class_a, disadvantages=["economic"])
    client.force_login(world.users["psych_a"])
    # session, user, grants, filter choices (validate + render), the page, inbox count, session save
    with django_assert_max_num_queries(13):
        response = client.get(reverse("orgs:student_list"), {"school": world.school_a.code})
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["official_a", "official_province", "admin"])
def test_roles_without_student_records_get_403(client, world, role):
    client.force_login(world.users[role])
    assert client.get(reverse("orgs:student_list")).status_code == 403
    url = reverse("orgs:student_detail", args=[world.students["a"].pk])
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()


def test_student_page_writes_a_view_event(client, world):
    student = world.students["a"]
    user = world.users["psych_a"]
    client.force_login(user)
    response = client.get(reverse("orgs:student_detail", args=[student.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=Action.VIEW)
    assert event.actor_id == user.pk
    assert event.student_id == student.pk
    assert event.object_type == "orgs.student"
    assert event.roles == "psych_teacher"


def test_student_page_shows_basics_and_masked_guardian_phone(client, world):
    student = world.students["a"]
    student.disadvantages = ["left_behind"]
    student.save()
    guardian = student.guardians.get()
    client.force_login(world.users["psych_a"])
    body = client.get(reverse("orgs:student_detail", args=[student.pk])).content.decode()
    assert student.name in body
    assert world.class_a.name in body
    assert guardian.masked_phone in body
    assert guardian.phone not in body
    assert "Left-behind child" in body or "留守" in body
    assert 'data-testid="timeline"' in body


def test_student_page_shows_registered_actions_and_timeline(client, world):
    import datetime

    from django.utils import timezone

    def actions(actor, student):
        return [registry.StudentAction(label="Enter PHQ-9 test", url="/x/")]

    def timeline(actor, student):
        at = timezone.make_aware(datetime.datetime(2026, 10, 1, 9, 0))
        return [registry.TimelineEvent(at=at, kind="test", title="Screened in October")]

    registry.register_student_action(actions)
    registry.register_timeline(timeline)
    try:
        client.force_login(world.users["psych_a"])
        body = client.get(reverse("orgs:student_detail", args=[world.students["a"].pk])).content
    finally:
        registry._student_actions.remove(actions)
        registry._timeline.remove(timeline)
    assert "Enter PHQ-9 test" in body.decode()
    assert "Screened in October" in body.decode()


def test_homeroom_teacher_sees_own_class_student_only(client, world):
    client.force_login(world.users["homeroom_a"])
    own = reverse("orgs:student_detail", args=[world.students["a"].pk])
    other = reverse("orgs:student_detail", args=[world.students["a_other_class"].pk])
    assert client.get(own).status_code == 200
    assert client.get(other).status_code == 404
    assert AuditEvent.objects.filter(action=Action.VIEW).count() == 1


def test_missing_and_out_of_scope_students_give_the_same_404(client, world):
    client.force_login(world.users["psych_a"])
    out_of_scope = client.get(reverse("orgs:student_detail", args=[world.students["b"].pk]))
    missing = client.get(reverse("orgs:student_detail", args=[999_999_999]))
    assert out_of_scope.status_code == missing.status_code == 404

    def page(response, pk):
        # The 404 is the app's page: the same, but for its per-render CSRF token and own URL.
        html = response.content.decode()
        html = re.sub(r'(csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"', r"\1-", html)
        return html.replace(reverse("orgs:student_detail", args=[pk]), "URL")

    assert page(out_of_scope, world.students["b"].pk) == page(missing, 999_999_999)
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()


def test_viewers_panel_for_the_schools_psych_teacher_not_for_homeroom(client, world):
    url = reverse("orgs:student_detail", args=[world.students["a"].pk])
    client.force_login(world.users["homeroom_a"])
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["show_viewers"] is False
    assert 'id="student-viewers"' not in response.content.decode()
    client.force_login(world.users["psych_a"])
    response = client.get(url)
    body = response.content.decode()
    assert response.context["show_viewers"] is True
    assert 'id="student-viewers"' in body
    assert "homeroom_a" in body  # the homeroom teacher's earlier view is listed
