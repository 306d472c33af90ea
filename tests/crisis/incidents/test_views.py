"""Incident pages: reporting, the incident page (names only for roles that see students, the
checklist and timeline, audited views), lists with filters and keyset pages, the home panel and the
header entry, and the scope matrix of every page."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crisis.incidents import providers, services, views
from crisis.incidents.forms import KIND_REQUIRED
from crisis.incidents.services import BEFORE_OCCURRED, FUTURE_TIME
from crisis.models import Incident, IncidentAction
from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from tests.crisis.incidents.conftest import SUMMARY, make_incident

FMT = "%Y-%m-%dT%H:%M"


def local(value):
    return timezone.localtime(value).strftime(FMT)


def report_data(world, **overrides):
    data = {
        "school": str(world.school_a.pk),
        "occurred_at": local(timezone.now() - datetime.timedelta(hours=1)),
        "kind": "self_harm",
        "severity": "critical",
        "student_numbers": f"{world.students['a'].student_number}\n",
        "summary": SUMMARY,
    }
    data.update(overrides)
    return data


# --- reporting -----------------------------------------------------------------------------------


def test_a_leader_reports_an_incident_and_lands_on_its_page(client, world):
    client.force_login(world.users["leader_a"])
    url = reverse("crisis:incident_report")
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["school"] == world.school_a.pk
    response = client.post(url, report_data(world))
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("crisis:incident_detail", args=[incident.pk])
    assert (incident.kind, incident.severity) == ("self_harm", "critical")
    assert list(incident.students.all()) == [world.students["a"]]
    assert incident.reported_by == world.users["leader_a"]
    assert Notification.objects.filter(key=f"incident:{incident.pk}").count() == 2


def test_report_errors_show_next_to_the_fields_and_keep_what_was_typed(client, world):
    client.force_login(world.users["psych_a"])
    response = client.post(
        reverse("crisis:incident_report"),
        report_data(
            world,
            kind="",
            occurred_at=local(timezone.now() + datetime.timedelta(hours=2)),
            student_numbers=" ".join(world.students[k].student_number for k in ("a", "b")),
        ),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["kind"] == [str(KIND_REQUIRED)]
    assert errors["occurred_at"] == [str(FUTURE_TIME)]
    # a student of another county reads as "not of this school", like a missing number
    assert world.students["b"].student_number in errors["student_numbers"][0]
    assert world.students["b"].name not in response.content.decode()
    assert SUMMARY in response.content.decode()
    assert not Incident.objects.exists()


def test_the_county_center_chooses_among_its_county_schools(client, world):
    client.force_login(world.users["center_a"])
    form = client.get(reverse("crisis:incident_report")).context["form"]
    assert set(form.fields["school"].queryset) == {world.school_a, world.school_a2}
    response = client.post(
        reverse("crisis:incident_report"),
        report_data(world, school=str(world.school_b.pk), student_numbers=""),
    )
    assert response.status_code == 400
    assert "school" in response.context["form"].errors
    assert not Incident.objects.exists()


REPORT_MATRIX = [
    (None, 302),
    ("homeroom_a", 403),
    ("official_a", 403),
    ("official_province", 403),
    ("admin", 403),
    ("psych_a", 200),
    ("leader_a", 200),
    ("center_a", 200),
]


@pytest.mark.parametrize(("who", "status"), REPORT_MATRIX)
def test_report_page_matrix(client, world, who, status):
    if who:
        client.force_login(world.users[who])
    url = reverse("crisis:incident_report")
    assert client.get(url).status_code == status
    if status != 200:
        assert client.post(url, report_data(world)).status_code == status
        assert not Incident.objects.exists()
        assert not AuditEvent.objects.filter(object_type="crisis.incident").exists()


# --- the incident page ---------------------------------------------------------------------------

# (user, expected status) for the incident of 西湖一中 (county A)
DETAIL_MATRIX = [
    (None, 302),
    ("homeroom_a", 403),
    ("admin", 403),
    ("psych_b", 404),
    ("center_b", 404),
    ("official_b", 404),
    ("psych_a", 200),
    ("leader_a", 200),
    ("center_a", 200),
    ("official_a", 200),
    ("official_province", 200),
]


def _user(world, who, official_b):
    return official_b if who == "official_b" else world.users[who]


@pytest.mark.parametrize(("who", "status"), DETAIL_MATRIX)
def test_detail_page_matrix(client, world, official_b, incident_a, who, status):
    if who:
        client.force_login(_user(world, who, official_b))
    before = AuditEvent.objects.count()
    response = client.get(reverse("crisis:incident_detail", args=[incident_a.pk]))
    assert response.status_code == status
    if status == 200:
        event = AuditEvent.objects.filter(action=Action.VIEW, object_type="crisis.incident").get()
        assert event.object_id == str(incident_a.pk)
        assert event.actor_username == who
    else:
        assert AuditEvent.objects.count() == before


def test_a_school_user_gets_404_for_another_school_of_her_county(client, world):
    incident = make_incident(world, school=world.school_a2)
    for who, status in (("psych_a", 404), ("leader_a", 404), ("center_a", 200)):
        client.force_login(world.users[who])
        assert client.get(reverse("crisis:incident_detail", args=[incident.pk])).status_code == (
            status
        )


def test_a_missing_incident_is_404_like_one_out_of_scope(client, world):
    client.force_login(world.users["psych_a"])
    assert client.get(reverse("crisis:incident_detail", args=[999999])).status_code == 404


def test_psych_leader_and_center_see_names(client, world, incident_a):
    for who in ("psych_a", "leader_a", "center_a"):
        client.force_login(world.users[who])
        content = client.get(reverse("crisis:incident_detail", args=[incident_a.pk])).content
        text = content.decode()
        assert world.students["a"].name in text
        assert world.students["a_other_class"].name in text
        assert SUMMARY in text
        assert "Done now" in text


@pytest.mark.parametrize("who", ["official_a", "official_province"])
def test_the_bureau_sees_the_incident_but_no_student_name(client, world, incident_a, who):
    client.force_login(world.users[who])
    response = client.get(reverse("crisis:incident_detail", args=[incident_a.pk]))
    text = response.content.decode()
    for student in world.students.values():
        assert student.name not in text
        assert student.student_number[-4:] not in text
    students = response.context["students"]
    assert (students.count, students.by_grade, students.named) == (2, [(8, 2)], [])
    assert "Grade 8 × 2" in text
    # the narrative only once the school clears a text without names (test_bureau_text.py)
    assert SUMMARY not in text
    assert "Done now" not in text
    assert response.context["action_form"] is None


def test_the_bureau_sees_the_checklist_and_timeline(client, world, incident_a):
    services.incident_checklist_tick(
        actor=world.users["psych_a"], incident=incident_a, step="bureau_informed_at"
    )
    services.incident_action_add(
        actor=world.users["psych_a"],
        incident=incident_a,
        at=timezone.now(),
        description="校长赶到现场",
    )
    services.incident_clear_for_bureau(
        actor=world.users["psych_a"],
        incident=incident_a,
        bureau_summary="一名学生翻越栏杆，已获救。",
    )
    client.force_login(world.users["official_a"])
    response = client.get(reverse("crisis:incident_detail", args=[incident_a.pk]))
    text = response.content.decode()
    assert "Checklist: Bureau informed" in text
    assert "校长赶到现场" in text
    assert response.context["open_count"] == 6


# --- ticking a step and adding an action ---------------------------------------------------------

STEP_MATRIX = [
    (None, 302),
    ("homeroom_a", 403),
    ("official_a", 403),
    ("official_province", 403),
    ("admin", 403),
    ("psych_b", 404),
    ("center_b", 404),
    ("psych_a", 302),
    ("leader_a", 302),
    ("center_a", 302),
]


@pytest.mark.parametrize(("who", "status"), STEP_MATRIX)
def test_step_and_action_matrix(client, world, incident_a, who, status):
    if who:
        client.force_login(world.users[who])
    before = AuditEvent.objects.count()
    step_url = reverse("crisis:incident_step", args=[incident_a.pk, "plan_started_at"])
    action_url = reverse("crisis:incident_action_add", args=[incident_a.pk])
    assert client.post(step_url, {"when": "now"}).status_code == status
    response = client.post(action_url, {"at": local(timezone.now()), "description": "到场"})
    assert response.status_code == status
    if who is None or status != 302:
        assert not IncidentAction.objects.exists()
        assert AuditEvent.objects.count() == before
        incident_a.refresh_from_db()
        assert incident_a.plan_started_at is None
    else:
        assert IncidentAction.objects.count() == 2


def test_get_is_not_allowed_on_writes(client, world, incident_a):
    client.force_login(world.users["psych_a"])
    url = reverse("crisis:incident_step", args=[incident_a.pk, "plan_started_at"])
    assert client.get(url).status_code == 405


def test_an_unknown_step_is_404(client, world, incident_a):
    client.force_login(world.users["psych_a"])
    url = reverse("crisis:incident_step", args=[incident_a.pk, "summary"])
    assert client.post(url, {"when": "now"}).status_code == 404


def test_a_step_at_a_time_before_the_incident_shows_the_error_at_the_step(
    client, world, incident_a
):
    client.force_login(world.users["leader_a"])
    early = local(incident_a.occurred_at - datetime.timedelta(hours=1))
    url = reverse("crisis:incident_step", args=[incident_a.pk, "medical_involved_at"])
    response = client.post(url, {"when": "at", "at": early})
    assert response.status_code == 400
    row = next(r for r in response.context["checklist"] if r["field"] == "medical_involved_at")
    assert row["form"].errors["at"] == [str(BEFORE_OCCURRED)]
    assert early in response.content.decode()
    assert not IncidentAction.objects.exists()


def test_record_this_time_needs_a_time(client, world, incident_a):
    client.force_login(world.users["leader_a"])
    url = reverse("crisis:incident_step", args=[incident_a.pk, "postvention_at"])
    assert client.post(url, {"when": "at", "at": ""}).status_code == 400
    assert not IncidentAction.objects.exists()


def test_a_step_recorded_after_the_fact(client, world, incident_a):
    client.force_login(world.users["leader_a"])
    at = (incident_a.occurred_at + datetime.timedelta(minutes=30)).replace(second=0, microsecond=0)
    url = reverse("crisis:incident_step", args=[incident_a.pk, "postvention_at"])
    response = client.post(url, {"when": "at", "at": local(at)})
    assert response.status_code == 302
    incident_a.refresh_from_db()
    assert incident_a.postvention_at == at


def test_an_action_with_errors_keeps_what_was_typed(client, world, incident_a):
    client.force_login(world.users["psych_a"])
    response = client.post(
        reverse("crisis:incident_action_add", args=[incident_a.pk]),
        {"at": local(timezone.now() + datetime.timedelta(days=1)), "description": "联系派出所"},
    )
    assert response.status_code == 400
    assert response.context["action_form"].errors["at"] == [str(FUTURE_TIME)]
    assert "联系派出所" in response.content.decode()
    assert not IncidentAction.objects.exists()


# --- lists ---------------------------------------------------------------------------------------

LIST_MATRIX = [
    (None, 302, set()),
    ("homeroom_a", 403, set()),
    ("admin", 403, set()),
    ("psych_a", 200, {"a"}),
    ("leader_a", 200, {"a"}),
    ("psych_b", 200, {"b"}),
    ("center_a", 200, {"a", "a2"}),
    ("center_b", 200, {"b"}),
    ("official_a", 200, {"a", "a2"}),
    ("official_b", 200, {"b"}),
    ("official_province", 200, {"a", "a2", "b"}),
]


@pytest.mark.parametrize(("who", "status", "visible"), LIST_MATRIX)
def test_list_matrix(client, world, official_b, who, status, visible):
    incidents = {
        "a": make_incident(world),
        "a2": make_incident(world, school=world.school_a2),
        "b": make_incident(world, school=world.school_b),
    }
    if who:
        client.force_login(_user(world, who, official_b))
    response = client.get(reverse("crisis:incident_list"))
    assert response.status_code == status
    if status == 200:
        shown = {i.pk for i in response.context["page"].rows}
        assert shown == {incidents[key].pk for key in visible}
        text = response.content.decode()
        for student in world.students.values():
            assert student.name not in text


def test_the_list_is_newest_first_by_occurrence_and_pages_by_keyset(
    client, world, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    made = [make_incident(world, hours_ago=h) for h in (5, 1, 9, 3, 7, 2, 8, 4, 6, 10)]
    # two incidents at the same minute: the id breaks the tie
    twin = make_incident(world, occurred_at=made[0].occurred_at)
    expected = sorted([*made, twin], key=lambda i: (i.occurred_at, i.pk), reverse=True)
    client.force_login(world.users["official_province"])
    seen = []
    url = reverse("crisis:incident_list")
    query = ""
    while True:
        with django_assert_max_num_queries(12):
            response = client.get(f"{url}?{query}" if query else url)
        seen.extend(response.context["page"].rows)
        query = response.context["next_query"]
        if not query:
            break
    assert [i.pk for i in seen] == [i.pk for i in expected]


def test_the_list_query_count_does_not_grow_with_rows(client, world, django_assert_max_num_queries):
    for _ in range(15):
        make_incident(world)
    client.force_login(world.users["center_a"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("crisis:incident_list"))
    assert len(response.context["page"].rows) == 15
    assert response.context["page"].rows[0].student_count == 2
    assert response.context["page"].rows[0].open_step_count == 7


def test_list_filters(client, world):
    violent = make_incident(world, kind="violence", severity="moderate")
    attempt = make_incident(world)
    services.incident_checklist_tick(
        actor=world.users["psych_a"], incident=attempt, step="plan_started_at"
    )
    done = make_incident(world, kind="runaway")
    for step in services.STEP_FIELDS:
        services.incident_checklist_tick(actor=world.users["psych_a"], incident=done, step=step)
    client.force_login(world.users["leader_a"])
    url = reverse("crisis:incident_list")

    def shown(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return {i.pk for i in response.context["page"].rows}

    assert shown(kind="violence") == {violent.pk}
    assert shown(severity="moderate") == {violent.pk}
    assert shown(open_step="any") == {violent.pk, attempt.pk}
    assert shown(open_step="plan_started_at") == {violent.pk}
    assert shown() == {violent.pk, attempt.pk, done.pk}
    assert shown(kind="nonsense") == {violent.pk, attempt.pk, done.pk}  # invalid: unfiltered


def test_the_county_filters_by_school(client, world):
    in_a = make_incident(world)
    make_incident(world, school=world.school_a2)
    client.force_login(world.users["center_a"])
    response = client.get(reverse("crisis:incident_list"), {"school": world.school_a.pk})
    assert response.context["form"].show_school
    assert [i.pk for i in response.context["page"].rows] == [in_a.pk]


# --- home panel and header entry -----------------------------------------------------------------


def test_the_header_entry_is_for_roles_that_see_incidents(world):
    entries = {
        who: [str(item.label) for item in providers.nav_items(world.users[who])]
        for who in world.users
    }
    for who in ("psych_a", "leader_a", "center_a", "official_a", "official_province"):
        assert entries[who] == ["Incidents"]
    for who in ("homeroom_a", "admin"):
        assert entries[who] == []


def test_the_home_panel_lists_incidents_with_an_incomplete_checklist(
    world, django_assert_max_num_queries
):
    open_incident = make_incident(world, severity="critical")
    done = make_incident(world)
    for step in services.STEP_FIELDS:
        services.incident_checklist_tick(actor=world.users["psych_a"], incident=done, step=step)
    for who in ("leader_a", "center_a", "official_a"):
        with django_assert_max_num_queries(3):
            (panel,) = providers.home_panels(world.users[who])
        assert [row["url"] for row in panel.rows] == [
            reverse("crisis:incident_detail", args=[open_incident.pk])
        ]
        assert panel.rows[0]["level"] == "red"
        assert "7 checklist steps open" in panel.rows[0]["meta"]
        for student in world.students.values():
            assert student.name not in panel.rows[0]["label"]
    assert list(providers.home_panels(world.users["center_b"]))[0].rows == []
    for who in ("psych_a", "homeroom_a", "admin"):
        assert list(providers.home_panels(world.users[who])) == []


def test_the_home_page_shows_the_panel_when_registered(client, world):
    from mhcare.core import registry

    make_incident(world)
    registered = providers.home_panels in registry._todo
    registry.register_todo(providers.home_panels)
    try:
        client.force_login(world.users["leader_a"])
        response = client.get(reverse("core:home"))
        assert 'data-panel="incidents_open"' in response.content.decode()
    finally:
        if not registered:
            registry._todo.remove(providers.home_panels)


# --- optional steps marked "not needed" ------------------------------------------------------


def _finish_required(world, incident):
    for step in services.STEP_FIELDS:
        if step not in services.OPTIONAL_STEPS:
            services.incident_checklist_tick(
                actor=world.users["psych_a"], incident=incident, step=step
            )


def test_optional_steps_marked_not_needed_complete_the_checklist(client, world, incident_a):
    _finish_required(world, incident_a)
    client.force_login(world.users["leader_a"])
    for step in sorted(services.OPTIONAL_STEPS):
        url = reverse("crisis:incident_step_not_needed", args=[incident_a.pk, step])
        response = client.post(url, {"reason": "学生未受伤，未报警，无舆情"})
        assert response.status_code == 302
    incident_a.refresh_from_db()
    assert sorted(incident_a.not_needed) == sorted(services.OPTIONAL_STEPS)
    assert services.open_steps(incident_a) == []

    # The list, its "open steps" filter, the home count and the API all read it as complete.
    listed = client.get(reverse("crisis:incident_list"), {"open_step": "any"})
    assert incident_a.pk not in {i.pk for i in listed.context["page"].rows}
    assert client.get(reverse("crisis:incident_list")).context["page"].rows[0].open_step_count == 0
    page = client.get(reverse("crisis:incident_detail", args=[incident_a.pk])).content.decode()
    assert page.count('data-testid="step-not-needed"') == 3
    assert "not needed — 学生未受伤，未报警，无舆情" in page
    assert (
        IncidentAction.objects.filter(incident=incident_a).count() == 7
    )  # 4 ticks + 3 "not needed"


def test_a_required_step_cannot_be_marked_not_needed(client, world, incident_a):
    client.force_login(world.users["psych_a"])
    url = reverse("crisis:incident_step_not_needed", args=[incident_a.pk, "parents_contacted_at"])
    assert client.post(url, {"reason": "不需要"}).status_code == 404
    with pytest.raises(ValidationError, match="required for every incident"):
        services.incident_checklist_not_needed(
            actor=world.users["psych_a"],
            incident=incident_a,
            step="parents_contacted_at",
            reason="不需要",
        )
    incident_a.refresh_from_db()
    assert incident_a.not_needed == []
    assert not IncidentAction.objects.filter(incident=incident_a).exists()


def test_not_needed_needs_a_reason_and_keeps_the_step_open(client, world, incident_a):
    client.force_login(world.users["psych_a"])
    url = reverse("crisis:incident_step_not_needed", args=[incident_a.pk, "police_involved_at"])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    row = next(r for r in response.context["checklist"] if r["field"] == "police_involved_at")
    assert row["skip_form"].errors["reason"] == ["Say why this step is not needed."]
    incident_a.refresh_from_db()
    assert incident_a.not_needed == []


def test_a_step_not_needed_can_still_be_done_later(client, world, incident_a):
    services.incident_checklist_not_needed(
        actor=world.users["psych_a"],
        incident=incident_a,
        step="police_involved_at",
        reason="家长自行找回学生",
    )
    with pytest.raises(ValidationError):  # twice: refused
        services.incident_checklist_not_needed(
            actor=world.users["psych_a"], incident=incident_a, step="police_involved_at", reason="x"
        )
    services.incident_checklist_tick(
        actor=world.users["psych_a"], incident=incident_a, step="police_involved_at"
    )
    incident_a.refresh_from_db()
    assert incident_a.police_involved_at is not None
    assert incident_a.not_needed == []


@pytest.mark.parametrize(("who", "status"), STEP_MATRIX)
def test_not_needed_matrix(client, world, incident_a, who, status):
    if who:
        client.force_login(world.users[who])
    url = reverse("crisis:incident_step_not_needed", args=[incident_a.pk, "medical_involved_at"])
    assert client.post(url, {"reason": "无人受伤"}).status_code == status
    incident_a.refresh_from_db()
    done = who is not None and status == 302
    assert incident_a.not_needed == (["medical_involved_at"] if done else [])
