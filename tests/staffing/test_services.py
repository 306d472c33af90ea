"""Writes of staffing: who may, what is stored, audited, and the history kept."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mhcare.audit.models import AuditEvent
from staffing import indicators
from staffing.budget.services import budget_set
from staffing.groups.services import (
    DISSOLVED_BEFORE,
    NO_MEMBERS,
    MemberInput,
    group_establish,
    group_set_members,
    responsibility_set,
)
from staffing.models import Budget, GroupKind, LeadingGroup, MHTeacher, PostKind, TrainingKind
from staffing.teachers import services
from staffing.training.services import PARTICIPANT_OUTSIDE, ParticipantInput, training_record

pytestmark = pytest.mark.django_db
START = datetime.date(2024, 9, 1)


def add(world, user=None, **fields):
    values = {"name": "林晓", "kind": PostKind.FULLTIME, "start_date": START, **fields}
    return services.teacher_add(
        actor=user or world.users["psych_a"],
        school=fields.pop("school", world.school_a),
        **{k: v for k, v in values.items() if k != "school"},
    )


def test_psych_teacher_adds_a_post_audited(world):
    teacher = add(world, certificate_level="B", certificate_date=datetime.date(2022, 6, 1))
    assert (teacher.school, teacher.kind, teacher.certificate_level) == (
        world.school_a,
        "fulltime",
        "B",
    )
    event = AuditEvent.objects.get(object_type="staffing.mhteacher")
    assert (event.actor_username, event.detail["operation"]) == ("psych_a", "mh_teacher_add")


@pytest.mark.parametrize("who", ["center_a", "official_a", "homeroom_a", "psych_b", "admin"])
def test_others_may_not_add_a_post(world, who):
    with pytest.raises(PermissionDenied):
        add(world, user=world.users[who])
    assert not MHTeacher.objects.exists()
    assert not AuditEvent.objects.exists()


def test_two_role_user_writes_where_a_writing_role_covers(world, two_role_user):
    add(world, user=two_role_user, school=world.school_a)
    add(world, user=two_role_user, school=world.school_b, name="周敏")
    with pytest.raises(PermissionDenied):
        add(world, user=two_role_user, school=world.school_a2, name="郑洁")


def test_overlapping_posts_of_one_person_are_refused(world):
    add(world)
    with pytest.raises(ValidationError) as error:
        add(world, start_date=START + datetime.timedelta(days=30), kind=PostKind.PARTTIME)
    assert "start_date" in error.value.message_dict
    assert MHTeacher.objects.count() == 1


def test_ending_a_post_keeps_history_and_a_new_post_follows(world):
    teacher = add(world, kind=PostKind.PARTTIME)
    services.teacher_end_post(
        actor=world.users["leader_a"], teacher=teacher, end_date=datetime.date(2025, 8, 31)
    )
    add(world, start_date=datetime.date(2025, 9, 1))
    posts = MHTeacher.objects.order_by("start_date")
    assert [(p.kind, p.end_date) for p in posts] == [
        ("parttime", datetime.date(2025, 8, 31)),
        ("fulltime", None),
    ]
    assert [p.kind for p in MHTeacher.objects.in_post(datetime.date(2025, 8, 31))] == ["parttime"]
    assert [p.kind for p in MHTeacher.objects.in_post(datetime.date(2025, 9, 1))] == ["fulltime"]
    with pytest.raises(ValidationError):
        services.teacher_end_post(
            actor=world.users["psych_a"], teacher=teacher, end_date=datetime.date(2025, 9, 30)
        )


def test_end_before_start_is_refused(world):
    teacher = add(world)
    with pytest.raises(ValidationError) as error:
        services.teacher_end_post(
            actor=world.users["psych_a"], teacher=teacher, end_date=START - datetime.timedelta(1)
        )
    assert error.value.message_dict["end_date"] == [str(services.END_BEFORE_START)]


def test_update_changes_qualifications_only(world):
    teacher = add(world)
    services.teacher_update(
        actor=world.users["psych_a"], teacher=teacher, psychology_degree=True, certificate_level="A"
    )
    teacher.refresh_from_db()
    assert (teacher.psychology_degree, teacher.certificate_level) == (True, "A")
    with pytest.raises(TypeError):
        services.teacher_update(actor=world.users["psych_a"], teacher=teacher, kind="parttime")


def test_a_new_group_dissolves_the_previous_one_the_day_before(world):
    actor = world.users["leader_a"]
    first = group_establish(
        actor=actor,
        school=world.school_a,
        kind=GroupKind.CRISIS,
        established_on=datetime.date(2024, 9, 1),
        responsible_leader="校长",
        members=[MemberInput("校长", "组长"), MemberInput("林晓", "成员")],
    )
    second = group_establish(
        actor=actor,
        school=world.school_a,
        kind=GroupKind.CRISIS,
        established_on=datetime.date(2025, 9, 1),
        responsible_leader="副校长",
        members=[MemberInput("副校长", "组长")],
    )
    first.refresh_from_db()
    assert first.dissolved_on == datetime.date(2025, 8, 31)
    assert [m.name for m in second.members.all()] == ["副校长"]
    with pytest.raises(ValidationError) as error:
        group_establish(
            actor=actor,
            school=world.school_a,
            kind=GroupKind.CRISIS,
            established_on=datetime.date(2025, 9, 1),
            responsible_leader="x",
            members=[MemberInput("x", "y")],
        )
    assert error.value.message_dict["established_on"] == [str(DISSOLVED_BEFORE)]
    with pytest.raises(ValidationError) as error:
        group_set_members(actor=actor, group=second, responsible_leader="副校长", members=[])
    assert error.value.message_dict["members"] == [str(NO_MEMBERS)]


def test_leading_groups_indicator_needs_both_groups_on_the_day(world):
    actor = world.users["leader_a"]
    day = datetime.date(2025, 10, 1)
    for kind in (GroupKind.LEADING, GroupKind.CRISIS):
        group_establish(
            actor=actor,
            school=world.school_a,
            kind=kind,
            established_on=day,
            responsible_leader="校长",
            members=[MemberInput("校长", "组长")],
        )
    assert indicators.leading_groups(unit=world.county_a, on=day) == indicators.Ratio(1, 2)
    assert indicators.leading_groups(unit=world.county_a, on=day - datetime.timedelta(1)) == (
        indicators.Ratio(0, 2)
    )
    assert LeadingGroup.objects.count() == 2


def test_budget_of_a_school_and_a_county(world):
    budget_set(actor=world.users["psych_a"], unit=world.school_a, year=2026, amount=Decimal(1000))
    budget_set(actor=world.users["psych_a"], unit=world.school_a, year=2026, amount=Decimal(1500))
    budget_set(
        actor=world.users["official_a"], unit=world.county_a, year=2026, amount=Decimal(90000)
    )
    assert sorted(Budget.objects.values_list("unit__code", "amount")) == [
        (world.county_a.code, Decimal(90000)),
        (world.school_a.code, Decimal(1500)),
    ]
    with pytest.raises(PermissionDenied):
        budget_set(actor=world.users["official_a"], unit=world.school_a, year=2026, amount=1)
    with pytest.raises(PermissionDenied):
        budget_set(actor=world.users["official_a"], unit=world.county_b, year=2026, amount=1)


def test_responsibilities_by_the_bureau_only(world):
    row = responsibility_set(
        actor=world.users["official_a"],
        unit=world.county_a,
        responsible_leader="副局长",
        division="基教科",
        person_in_charge="科长",
    )
    assert row.division == "基教科"
    with pytest.raises(PermissionDenied):
        responsibility_set(
            actor=world.users["psych_a"],
            unit=world.county_a,
            responsible_leader="x",
            division="y",
            person_in_charge="z",
        )


def test_training_records_participants_and_the_homeroom_share(world):
    homeroom = world.users["homeroom_a"]
    teacher = add(world)
    event = training_record(
        actor=world.users["center_a"],
        unit=world.county_a,
        kind=TrainingKind.IN_SERVICE,
        title="班主任培训",
        held_on=datetime.date(2026, 10, 1),
        participants=[
            ParticipantInput(
                name="王老师", school=world.school_a, is_homeroom_teacher=True, user=homeroom
            ),
            ParticipantInput(name="林晓", school=world.school_a, teacher=teacher),
        ],
    )
    assert event.participants.count() == 2
    year = (datetime.date(2026, 9, 1), datetime.date(2027, 8, 31))
    assert indicators.homeroom_training(unit=world.school_a, start=year[0], end=year[1]) == (
        indicators.Ratio(1, 1)
    )
    assert indicators.teacher_training(unit=world.county_a, start=year[0], end=year[1]) == (
        indicators.Ratio(1, 1)
    )
    with pytest.raises(ValidationError) as error:
        training_record(
            actor=world.users["center_a"],
            unit=world.county_a,
            kind=TrainingKind.ROUTINE,
            title="x",
            held_on=datetime.date(2026, 10, 1),
            participants=[ParticipantInput(name="赵", school=world.school_b)],
        )
    assert error.value.message_dict["participants"] == [
        str(PARTICIPANT_OUTSIDE) % {"name": "赵", "unit": world.county_a.name}
    ]
    with pytest.raises(PermissionDenied):
        training_record(
            actor=world.users["psych_b"],
            unit=world.school_a,
            kind=TrainingKind.ROUTINE,
            title="x",
            held_on=datetime.date(2026, 10, 1),
            participants=[ParticipantInput(name="赵", school=world.school_a)],
        )


def test_full_time_indicators(world):
    day = datetime.date(2026, 10, 1)
    add(world)
    assert indicators.fulltime_teacher_all(unit=world.city, on=day) == indicators.Ratio(1, 3)
    assert indicators.fulltime_teacher_required(unit=world.city, on=day) == indicators.Ratio(1, 3)
    before = datetime.date(2025, 8, 31)  # 800 students, one campus, junior: not required yet
    assert indicators.fulltime_teacher_required(unit=world.city, on=before) == indicators.Ratio(
        0, 0
    )
