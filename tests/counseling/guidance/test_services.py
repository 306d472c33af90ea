import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from counseling.guidance import services
from counseling.models import FlagChange, GuidanceRecord, GuidanceResponsibility
from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from mhcare.orgs.services import student_set_disadvantages
from tests.counseling.guidance.conftest import SUMMARY

TODAY = timezone.localdate


def test_flags_change_is_audited_old_to_new_with_the_reason_kept_encrypted(world, flagged):
    student = flagged["a"]
    change = services.guidance_flags_set(
        actor=world.users["psych_a"],
        student=student,
        flags=["left_behind", "economic"],
        reason="父亲外出务工",
    )
    student.refresh_from_db()
    assert student.disadvantages == ["economic", "left_behind"]
    assert (change.old_flags, change.new_flags) == (["economic"], ["economic", "left_behind"])
    event = AuditEvent.objects.get(action=Action.UPDATE, object_type="orgs.student")
    assert event.detail == {
        "field": "disadvantages",
        "old": ["economic"],
        "new": ["economic", "left_behind"],
    }
    assert "父亲外出务工" not in str(event.detail)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM counseling_flagchange WHERE id = %s", [change.pk])
        assert "父亲" not in cursor.fetchone()[0]


def test_flags_need_a_reason_a_change_and_known_codes(world, flagged):
    actor, student = world.users["psych_a"], flagged["a"]
    with pytest.raises(ValidationError) as exc:
        services.guidance_flags_set(actor=actor, student=student, flags=["peer"], reason=" ")
    assert exc.value.message_dict["reason"] == [str(services.REASON_REQUIRED)]
    with pytest.raises(ValidationError) as exc:
        services.guidance_flags_set(actor=actor, student=student, flags=["economic"], reason="x")
    assert exc.value.message_dict["flags"] == [str(services.NO_CHANGE)]
    with pytest.raises(ValidationError):
        services.guidance_flags_set(actor=actor, student=student, flags=["rich"], reason="x")
    assert FlagChange.objects.count() == 0
    student.refresh_from_db()
    assert student.disadvantages == ["economic"]


@pytest.mark.parametrize("who", ["homeroom_a", "leader_a", "psych_b", "official_a", "center_b"])
def test_only_psychology_teachers_and_the_county_center_change_flags(world, flagged, who):
    with pytest.raises(PermissionDenied):
        student_set_disadvantages(actor=world.users[who], student=flagged["a"], flags=["peer"])
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()


def test_the_county_center_changes_flags_in_its_county(world, flagged):
    old, new = student_set_disadvantages(
        actor=world.users["center_a"], student=flagged["a2"], flags=[]
    )
    assert (old, new) == (["left_behind"], [])


def test_assign_a_responsible_teacher_tells_the_teacher(
    world, flagged, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        responsibility = services.guidance_assign(
            actor=world.users["psych_a"], student=flagged["a"], teacher=world.users["homeroom_a"]
        )
    assert responsibility.school == world.school_a
    notification = Notification.objects.get(recipient=world.users["homeroom_a"])
    assert flagged["a"].name not in notification.title
    # reassigning replaces the one row
    services.guidance_assign(
        actor=world.users["psych_a"], student=flagged["a"], teacher=world.users["leader_a"]
    )
    assert GuidanceResponsibility.objects.get().teacher == world.users["leader_a"]


def test_a_teacher_of_another_school_cannot_be_responsible(world, flagged):
    with pytest.raises(ValidationError) as exc:
        services.guidance_assign(
            actor=world.users["psych_a"], student=flagged["a"], teacher=world.users["psych_b"]
        )
    assert exc.value.message_dict["teacher"] == [str(services.NOT_A_TEACHER_HERE)]


def test_records_by_psych_teacher_and_by_the_responsible_teacher(world, flagged):
    student = flagged["a"]
    services.guidance_record_add(
        actor=world.users["psych_a"],
        student=student,
        kind="individual",
        occurred_on=TODAY(),
        summary=SUMMARY,
    )
    with pytest.raises(PermissionDenied):
        services.guidance_record_add(
            actor=world.users["homeroom_a"],
            student=student,
            kind="individual",
            occurred_on=TODAY(),
            summary=SUMMARY,
        )
    services.guidance_assign(
        actor=world.users["psych_a"], student=student, teacher=world.users["homeroom_a"]
    )
    record = services.guidance_record_add(
        actor=world.users["homeroom_a"],
        student=student,
        kind="peer",
        occurred_on=TODAY(),
        summary="同桌结对",
        peer_helper="同桌",
    )
    assert record.author == world.users["homeroom_a"]
    assert GuidanceRecord.objects.count() == 2
    assert (
        AuditEvent.objects.filter(
            action=Action.CREATE, object_type="counseling.guidancerecord"
        ).count()
        == 2
    )


def test_record_validation(world, flagged):
    actor, student = world.users["psych_a"], flagged["a"]
    with pytest.raises(ValidationError) as exc:
        services.guidance_record_add(
            actor=actor,
            student=student,
            kind="peer",
            occurred_on=TODAY() + datetime.timedelta(days=1),
            summary="",
        )
    assert exc.value.message_dict == {
        "occurred_on": [str(services.FUTURE_DATE)],
        "summary": [str(services.SUMMARY_REQUIRED)],
        "peer_helper": [str(services.PEER_HELPER_REQUIRED)],
    }
    with pytest.raises(PermissionDenied):
        services.guidance_record_add(
            actor=world.users["leader_a"],
            student=student,
            kind="individual",
            occurred_on=TODAY(),
            summary=SUMMARY,
        )
    assert GuidanceRecord.objects.count() == 0
