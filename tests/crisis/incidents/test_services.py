"""Incident services: who may report, validation of times and students, the checklist tick that
appends to the timeline, free actions, notifications (leaders, center, county bureau — never
another county, never a student name), audit and encryption at rest."""

import datetime
import importlib
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from crisis.incidents import selectors, services
from crisis.incidents.services import (
    BEFORE_OCCURRED,
    DESCRIPTION_REQUIRED,
    FUTURE_TIME,
    NOT_MANAGER,
    STEP_ALREADY_DONE,
    SUMMARY_REQUIRED,
    UNKNOWN_STEP,
)
from crisis.models import Incident, IncidentAction
from mhcare.accounts.models import Role
from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from tests import factories
from tests.crisis.incidents.conftest import SUMMARY, make_incident

# --- reporting -----------------------------------------------------------------------------------


def test_a_psych_teacher_reports_an_incident_of_her_school(world):
    incident = make_incident(world)
    assert incident.school == world.school_a
    assert incident.county == world.county_a
    assert incident.reported_by == world.users["psych_a"]
    assert set(incident.students.all()) == {world.students["a"], world.students["a_other_class"]}
    assert incident.summary == SUMMARY
    assert services.open_steps(incident) == list(services.CHECKLIST)
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="crisis.incident")
    assert event.object_id == str(incident.pk)
    assert sorted(event.detail["students"]) == sorted(
        [world.students["a"].pk, world.students["a_other_class"].pk]
    )


def test_the_county_center_reports_for_any_school_of_its_county(world):
    incident = make_incident(world, school=world.school_a2, actor=world.users["center_a"])
    assert incident.county == world.county_a
    assert list(incident.students.all()) == [world.students["a2"]]


@pytest.mark.parametrize(
    ("who", "school"),
    [
        ("homeroom_a", "school_a"),
        ("official_a", "school_a"),
        ("official_province", "school_a"),
        ("admin", "school_a"),
        ("psych_b", "school_a"),
        ("center_b", "school_a"),
        ("psych_a", "school_a2"),
        ("leader_a", "school_b"),
    ],
)
def test_only_the_school_or_its_county_center_may_report(world, who, school):
    with pytest.raises(PermissionDenied) as info:
        make_incident(world, school=getattr(world, school), actor=world.users[who], students=[])
    assert str(info.value) == str(NOT_MANAGER)
    assert not Incident.objects.exists()
    assert not Notification.objects.exists()


def test_the_time_cannot_be_in_the_future_and_the_summary_is_required(world):
    with pytest.raises(ValidationError) as info:
        make_incident(world, hours_ago=-2, summary="  ")
    assert info.value.message_dict["occurred_at"] == [str(FUTURE_TIME)]
    assert info.value.message_dict["summary"] == [str(SUMMARY_REQUIRED)]
    assert not Incident.objects.exists()


def test_students_must_belong_to_the_school(world):
    with pytest.raises(ValidationError) as info:
        make_incident(world, students=[world.students["a"], world.students["a2"]])
    assert world.students["a2"].student_number in info.value.message_dict["students"][0]
    assert not Incident.objects.exists()


def test_a_naive_time_is_read_in_asia_shanghai(world):
    naive = (timezone.localtime() - datetime.timedelta(hours=1)).replace(tzinfo=None)
    incident = make_incident(world, occurred_at=naive)
    assert timezone.localtime(incident.occurred_at).replace(tzinfo=None) == naive
    assert str(timezone.get_current_timezone()) == "Asia/Shanghai"


def test_the_summary_is_encrypted_at_rest(world, incident_a):
    with connection.cursor() as cursor:
        cursor.execute("SELECT summary FROM crisis_incident WHERE id = %s", [incident_a.pk])
        raw = cursor.fetchone()[0]
    assert SUMMARY not in raw
    assert "翻越" not in raw


def test_student_numbers_are_parsed_in_order_and_once():
    text = "G1, G2\nG1；G3  G2"
    assert services.parse_student_numbers(text) == ["G1", "G2", "G3"]


# --- notifications -------------------------------------------------------------------------------


def test_leaders_center_and_county_bureau_are_notified_without_student_names(
    world, official_b, leader_b
):
    incident = make_incident(world)
    notified = set(
        Notification.objects.filter(key=f"incident:{incident.pk}").values_list(
            "recipient__username", flat=True
        )
    )
    assert notified == {"leader_a", "center_a", "official_a"}
    for notification in Notification.objects.all():
        for student in world.students.values():
            assert student.name not in notification.title
            assert student.name not in notification.body
        assert world.school_a.name in notification.title
        assert notification.kind == "incident"
        assert notification.url == f"/crisis/incidents/{incident.pk}/"


def test_a_critical_incident_reaches_the_city_bureau_too(world):
    factories.user_with_role(Role.OFFICIAL, world.city, username="official_city")
    serious = make_incident(world, severity="serious")
    critical = make_incident(world, severity="critical")

    def notified(incident):
        return set(
            Notification.objects.filter(key=f"incident:{incident.pk}").values_list(
                "recipient__username", flat=True
            )
        )

    assert notified(serious) == {"leader_a", "center_a", "official_a"}
    assert notified(critical) == {"leader_a", "center_a", "official_a", "official_city"}
    assert Notification.objects.get(
        key=f"incident:{critical.pk}", recipient__username="official_city"
    ).urgent


def test_the_reporter_is_not_notified_of_her_own_report(world):
    incident = make_incident(world, actor=world.users["leader_a"])
    notified = set(
        Notification.objects.filter(key=f"incident:{incident.pk}").values_list(
            "recipient__username", flat=True
        )
    )
    assert notified == {"center_a", "official_a"}


def test_notifying_twice_sends_nothing_twice(world, incident_a):
    before = Notification.objects.count()
    services.incident_notify(incident=incident_a)
    services.incident_notify(incident=incident_a, actor=world.users["psych_a"])
    assert Notification.objects.count() == before == 3


def test_another_county_is_notified_of_its_own_incidents_only(world, official_b, leader_b):
    incident = make_incident(world, school=world.school_b)
    notified = set(
        Notification.objects.filter(key=f"incident:{incident.pk}").values_list(
            "recipient__username", flat=True
        )
    )
    assert notified == {"leader_b", "center_b", "official_b"}


# --- checklist and timeline ----------------------------------------------------------------------


def test_done_now_records_the_step_and_appends_it_to_the_timeline(world, incident_a):
    before = timezone.now()
    incident = services.incident_checklist_tick(
        actor=world.users["leader_a"], incident=incident_a, step="plan_started_at"
    )
    incident.refresh_from_db()
    assert before <= incident.plan_started_at <= timezone.now()
    action = IncidentAction.objects.get()
    assert action.at == incident.plan_started_at
    assert action.description == "checklist:plan_started_at"
    assert action.actor == world.users["leader_a"]
    assert action.school == world.school_a
    rows = selectors.incident_timeline(actor=world.users["official_a"], incident=incident)
    assert [(r.text, r.is_checklist) for r in rows] == [("Checklist: Emergency plan started", True)]
    assert AuditEvent.objects.filter(
        action=Action.UPDATE, object_type="crisis.incident", detail__step="plan_started_at"
    ).exists()


def test_a_step_recorded_after_the_fact_keeps_its_time(world, incident_a):
    at = incident_a.occurred_at + datetime.timedelta(minutes=20)
    services.incident_checklist_tick(
        actor=world.users["center_a"], incident=incident_a, step="parents_contacted_at", at=at
    )
    incident_a.refresh_from_db()
    assert incident_a.parents_contacted_at == at
    assert IncidentAction.objects.get().at == at


@pytest.mark.parametrize(
    ("delta", "message"),
    [
        (datetime.timedelta(minutes=-1), BEFORE_OCCURRED),
        (datetime.timedelta(hours=5), FUTURE_TIME),  # occurred 3 h ago: 2 h from now
    ],
)
def test_a_step_time_lies_between_the_incident_and_now(world, incident_a, delta, message):
    with pytest.raises(ValidationError) as info:
        services.incident_checklist_tick(
            actor=world.users["psych_a"],
            incident=incident_a,
            step="police_involved_at",
            at=incident_a.occurred_at + delta,
        )
    assert info.value.message_dict["at"] == [str(message)]
    incident_a.refresh_from_db()
    assert incident_a.police_involved_at is None
    assert not IncidentAction.objects.exists()


def test_a_step_is_recorded_once(world, incident_a):
    services.incident_checklist_tick(
        actor=world.users["psych_a"], incident=incident_a, step="bureau_informed_at"
    )
    with pytest.raises(ValidationError) as info:
        services.incident_checklist_tick(
            actor=world.users["psych_a"], incident=incident_a, step="bureau_informed_at"
        )
    assert info.value.message_dict["at"] == [str(STEP_ALREADY_DONE)]
    assert IncidentAction.objects.count() == 1


def test_an_unknown_step_is_refused(world, incident_a):
    with pytest.raises(ValidationError) as info:
        services.incident_checklist_tick(
            actor=world.users["psych_a"], incident=incident_a, step="summary"
        )
    assert info.value.message_dict["step"] == [str(UNKNOWN_STEP)]


@pytest.mark.parametrize("who", ["official_a", "homeroom_a", "psych_b", "center_b", "admin"])
def test_only_managers_in_scope_tick_or_add_actions(world, incident_a, who):
    with pytest.raises(PermissionDenied):
        services.incident_checklist_tick(
            actor=world.users[who], incident=incident_a, step="plan_started_at"
        )
    with pytest.raises(PermissionDenied):
        services.incident_action_add(
            actor=world.users[who],
            incident=incident_a,
            at=timezone.now(),
            description="x",
        )
    assert not IncidentAction.objects.exists()


def test_free_actions_join_the_timeline_sorted_by_time(world, incident_a):
    services.incident_checklist_tick(
        actor=world.users["psych_a"], incident=incident_a, step="plan_started_at"
    )
    early = incident_a.occurred_at + datetime.timedelta(minutes=5)
    action = services.incident_action_add(
        actor=world.users["psych_a"],
        incident=incident_a,
        at=early,
        description="  班主任赶到现场，疏散围观学生  ",
    )
    assert action.description == "班主任赶到现场，疏散围观学生"
    texts = [
        r.text
        for r in selectors.incident_timeline(actor=world.users["psych_a"], incident=incident_a)
    ]
    assert texts == ["班主任赶到现场，疏散围观学生", "Checklist: Emergency plan started"]
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="crisis.incidentaction", object_id=str(action.pk)
    ).exists()


def test_timeline_actions_are_encrypted_at_rest_and_old_plain_rows_get_encrypted(world, incident_a):
    action = services.incident_action_add(
        actor=world.users["psych_a"],
        incident=incident_a,
        at=incident_a.occurred_at + datetime.timedelta(minutes=5),
        description="校医为张同学包扎伤口",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM crisis_incidentaction WHERE id = %s", [action.pk])
        assert "张同学" not in cursor.fetchone()[0]
        # A row stored in plain text before migration 0002 …
        cursor.execute(
            "UPDATE crisis_incidentaction SET description = %s WHERE id = %s",
            ["旧的明文记录", action.pk],
        )
    migration = importlib.import_module("crisis.migrations.0002_encrypt_incident_actions")
    migration.encrypt_existing(None, SimpleNamespace(connection=connection))
    migration.encrypt_existing(None, SimpleNamespace(connection=connection))  # re-run: no change
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM crisis_incidentaction WHERE id = %s", [action.pk])
        assert "旧的明文记录" not in cursor.fetchone()[0]
    assert IncidentAction.objects.get(pk=action.pk).description == "旧的明文记录"


def test_a_free_action_needs_a_text_and_a_valid_time(world, incident_a):
    with pytest.raises(ValidationError) as info:
        services.incident_action_add(
            actor=world.users["psych_a"],
            incident=incident_a,
            at=incident_a.occurred_at - datetime.timedelta(hours=1),
            description=" ",
        )
    assert info.value.message_dict == {
        "at": [str(BEFORE_OCCURRED)],
        "description": [str(DESCRIPTION_REQUIRED)],
    }
    assert not IncidentAction.objects.exists()
