import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from counseling.guidance import services
from counseling.models import FlagChange, GuidanceRecord, GuidanceResponsibility
from mhcare.audit.models import Action, AuditEvent
from mhcare.core import registry
from tests.counseling.guidance.conftest import SUMMARY

WATCH = reverse("counseling:guidance_watch_list")


def student_url(student, name="guidance_student"):
    return reverse(f"counseling:{name}", args=[student.pk])


def test_anonymous_is_sent_to_login(client, world, flagged):
    for url in (
        WATCH,
        student_url(flagged["a"]),
        student_url(flagged["a"], "guidance_record_add"),
    ):
        response = client.get(url) if "records" not in url else client.post(url, {})
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("psych_a", {"a"}),  # school A: 张小明 (李小红 has no flag)
        ("leader_a", {"a"}),
        ("homeroom_a", {"a"}),  # own class only
        ("center_a", {"a", "a2"}),  # county A
        ("psych_b", {"b"}),
    ],
)
def test_watch_list_scope(client, world, flagged, who, expected):
    client.force_login(world.users[who])
    response = client.get(WATCH)
    assert response.status_code == 200
    shown = {
        key for key, s in flagged.items() if f'data-student="{s.pk}"' in response.content.decode()
    }
    assert shown == expected


@pytest.mark.parametrize("who", ["official_a", "official_province", "admin"])
def test_watch_list_is_refused_to_roles_without_guidance(client, world, flagged, who):
    client.force_login(world.users[who])
    assert client.get(WATCH).status_code == 403


def test_homeroom_teacher_of_another_class_sees_nothing(client, world, flagged):
    flagged["a_other_class"].disadvantages = ["peer"]
    flagged["a_other_class"].save()
    client.force_login(world.users["homeroom_a"])
    body = client.get(WATCH).content.decode()
    assert f'data-student="{flagged["a_other_class"].pk}"' not in body
    assert client.get(student_url(flagged["a_other_class"])).status_code == 404


def test_two_role_user_sees_each_unit_as_its_role_allows(client, world, flagged, two_roles):
    client.force_login(two_roles)
    body = client.get(WATCH).content.decode()
    assert f'data-student="{flagged["a2"].pk}"' in body  # homeroom of class A2
    assert f'data-student="{flagged["b"].pk}"' in body  # psych of school B
    assert f'data-student="{flagged["a"].pk}"' not in body
    # writes: as psychology teacher of B yes; as homeroom teacher of A2 no
    data = {"flags": ["peer", "bullied"], "reason": "被欺凌"}
    assert client.post(student_url(flagged["b"], "guidance_flags"), data).status_code == 302
    assert client.post(student_url(flagged["a2"], "guidance_flags"), data).status_code == 403
    assert client.post(student_url(flagged["a"], "guidance_flags"), data).status_code == 404
    flagged["a2"].refresh_from_db()
    assert flagged["a2"].disadvantages == ["left_behind"]


def test_watch_list_filters(client, world, flagged, record_a):
    flagged["a_other_class"].disadvantages = ["peer"]
    flagged["a_other_class"].save()
    services.guidance_assign(
        actor=world.users["psych_a"], student=flagged["a"], teacher=world.users["homeroom_a"]
    )
    client.force_login(world.users["psych_a"])

    def shown(**params):
        body = client.get(WATCH, params).content.decode()
        return {k for k, s in flagged.items() if f'data-student="{s.pk}"' in body}

    assert shown() == {"a", "a_other_class"}
    assert shown(flag="peer") == {"a_other_class"}
    assert shown(responsible=world.users["homeroom_a"].pk) == {"a"}
    assert shown(responsible=0) == {"a_other_class"}
    assert shown(quiet_days=30) == {"a_other_class"}  # 张小明 had guidance 3 days ago
    assert shown(quiet_days=2) == {"a", "a_other_class"}


def test_watch_list_queries_are_bounded(client, world, flagged, django_assert_max_num_queries):
    from tests import factories

    for n in range(30):
        student = factories.StudentFactory(klass=world.class_a, disadvantages=["economic"])
        services.guidance_record_add(
            actor=world.users["psych_a"],
            student=student,
            kind="individual",
            occurred_on=timezone.localdate() - datetime.timedelta(days=n),
            summary=SUMMARY,
        )
    client.force_login(world.users["psych_a"])
    with django_assert_max_num_queries(14):
        response = client.get(WATCH)
    assert response.content.decode().count("data-student=") == 31


@pytest.mark.parametrize("who", ["psych_a", "center_a"])
def test_note_readers_see_the_guidance_text(client, world, record_a, who):
    client.force_login(world.users[who])
    response = client.get(student_url(record_a.student))
    assert response.status_code == 200
    assert SUMMARY in response.content.decode()
    assert "两周后再谈" in response.content.decode()


@pytest.mark.parametrize("who", ["leader_a", "homeroom_a"])
def test_leader_and_homeroom_teacher_see_that_guidance_happened_not_what_was_said(
    client, world, record_a, who
):
    client.force_login(world.users[who])
    response = client.get(student_url(record_a.student))
    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-record="{record_a.pk}"' in body
    assert SUMMARY not in body
    assert "两周后再谈" not in body
    # nor on the growth-file timeline
    events = registry.timeline_for(world.users[who], record_a.student)
    guidance = [e for e in events if e.kind == "guidance"]
    assert len(guidance) == 1
    assert guidance[0].detail == ""
    assert (
        SUMMARY
        not in client.get(
            reverse("orgs:student_detail", args=[record_a.student.pk])
        ).content.decode()
    )


@pytest.mark.parametrize("who", ["official_a", "psych_b", "center_b"])
def test_student_page_is_404_outside_scope(client, world, record_a, who):
    client.force_login(world.users[who])
    assert client.get(student_url(record_a.student)).status_code == 404
    assert registry.timeline_for(world.users[who], record_a.student) == [] or all(
        e.kind != "guidance" for e in registry.timeline_for(world.users[who], record_a.student)
    )


def test_psych_teacher_timeline_shows_text(world, record_a):
    events = [
        e
        for e in registry.timeline_for(world.users["psych_a"], record_a.student)
        if e.kind == "guidance"
    ]
    assert events[0].detail.startswith(SUMMARY)


def test_responsible_subject_teacher_opens_the_page_and_writes(client, world, flagged):
    from mhcare.accounts.models import Role
    from tests import factories

    subject = factories.user_with_role(
        Role.SUBJECT_TEACHER, world.school_a, klass=world.class_a_other, username="subject_a"
    )
    student = flagged["a"]
    client.force_login(subject)
    assert client.get(student_url(student)).status_code == 404
    services.guidance_assign(actor=world.users["psych_a"], student=student, teacher=subject)
    assert client.get(student_url(student)).status_code == 200
    response = client.post(
        student_url(student, "guidance_record_add"),
        {"kind": "individual", "occurred_on": timezone.localdate().isoformat(), "summary": "谈话"},
    )
    assert response.status_code == 302
    record = GuidanceRecord.objects.get()
    assert record.author == subject
    # the home page lists the student in their care
    home = client.get("/").content.decode()
    assert 'data-panel="guidance_mine"' in home


def test_psych_teacher_sets_flags_assigns_and_records_through_the_page(client, world, flagged):
    student = flagged["a"]
    client.force_login(world.users["psych_a"])
    response = client.post(
        student_url(student, "guidance_flags"),
        {"flags": ["economic", "peer"], "reason": "同伴冲突"},
    )
    assert response.status_code == 302
    assert FlagChange.objects.get().reason == "同伴冲突"
    response = client.post(
        student_url(student, "guidance_assign"), {"teacher": world.users["homeroom_a"].pk}
    )
    assert response.status_code == 302
    assert GuidanceResponsibility.objects.get().teacher == world.users["homeroom_a"]
    response = client.post(
        student_url(student, "guidance_record_add"),
        {"kind": "peer", "occurred_on": timezone.localdate().isoformat(), "summary": "结对"},
    )
    assert response.status_code == 400
    assert str(services.PEER_HELPER_REQUIRED) in response.content.decode()
    assert "结对" in response.content.decode()  # nothing typed is lost
    assert GuidanceRecord.objects.count() == 0
    client.get(student_url(student))
    assert AuditEvent.objects.filter(
        action=Action.VIEW, student_id=student.pk, actor_id=world.users["psych_a"].pk
    ).exists()


def test_leader_cannot_write(client, world, flagged):
    client.force_login(world.users["leader_a"])
    student = flagged["a"]
    assert (
        client.post(
            student_url(student, "guidance_flags"), {"flags": [], "reason": "x"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            student_url(student, "guidance_record_add"),
            {"kind": "individual", "occurred_on": timezone.localdate().isoformat(), "summary": "x"},
        ).status_code
        == 403
    )
    assert GuidanceRecord.objects.count() == 0


def test_home_panel_lists_quiet_students(client, world, flagged):
    client.force_login(world.users["psych_a"])
    body = client.get("/").content.decode()
    assert 'data-panel="guidance_quiet"' in body
    assert flagged["a"].name in body
