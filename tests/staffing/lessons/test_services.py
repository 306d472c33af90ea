"""The lesson log: one lesson for several classes in one transaction, who may log for which class,
the checks on date, hours and topic, and the audit."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from mhcare.audit.models import AuditEvent
from staffing.lessons import services
from staffing.lessons.services import (
    ALREADY_LOGGED,
    CLASSES_REQUIRED,
    DATE_OUTSIDE_YEAR,
    FUTURE_DATE,
    HOURS_INVALID,
    ONE_SCHOOL,
    TOPIC_REQUIRED,
)
from staffing.models import Lesson
from tests.staffing.lessons.conftest import log

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 10, 12)


def test_one_lesson_for_two_classes_is_two_rows_of_one_batch(world):
    lessons = log(world, [world.class_a, world.class_a_other], day=DAY, hours="1.5")
    rows = list(Lesson.objects.order_by("klass__name"))
    assert [r.klass for r in rows] == [world.class_a, world.class_a_other]
    assert {r.batch for r in rows} == {lessons[0].batch}
    assert all(r.hours == Decimal("1.5") and r.month == datetime.date(2026, 10, 1) for r in rows)
    assert all(r.school == world.school_a and r.county == world.county_a for r in rows)
    assert rows[0].teacher == world.users["psych_a"]
    event = AuditEvent.objects.get(object_type="staffing.lesson")
    assert sorted(event.detail["lessons"]) == sorted(r.pk for r in rows)


def test_a_homeroom_teacher_logs_her_class_only_and_nothing_is_stored_on_refusal(world):
    homeroom = world.users["homeroom_a"]
    log(world, [world.class_a], day=DAY, actor=homeroom)
    with pytest.raises(PermissionDenied):
        log(world, [world.class_a, world.class_a_other], day=DAY, topic="别的", actor=homeroom)
    assert Lesson.objects.count() == 1


def test_the_two_role_user_logs_for_her_class_and_for_school_b_but_not_school_a(world, two_roles):
    log(world, [world.class_a2], day=DAY, actor=two_roles)
    log(world, [world.class_b], day=DAY, actor=two_roles)
    with pytest.raises(PermissionDenied):
        log(world, [world.class_a], day=DAY, actor=two_roles)
    # one form, two schools: refused
    with pytest.raises(ValidationError) as refused:
        log(world, [world.class_a2, world.class_b], day=DAY, topic="新", actor=two_roles)
    assert refused.value.message_dict == {"classes": [str(ONE_SCHOOL)]}
    assert Lesson.objects.count() == 2


def test_officials_and_the_center_never_log(world):
    for name in ("official_a", "center_a", "admin"):
        with pytest.raises(PermissionDenied):
            log(world, [world.class_a], day=DAY, actor=world.users[name])


@pytest.mark.parametrize(
    ("hours", "valid"),
    [
        ("0.5", True),
        ("2", True),
        ("4", True),
        ("0", False),
        ("0.3", False),
        ("4.5", False),
        ("-1", False),
        ("abc", False),
        ("NaN", False),
    ],
)
def test_hours_are_whole_or_half_up_to_the_maximum(world, hours, valid):
    if valid:
        log(world, [world.class_a], day=DAY, hours=hours)
        assert Lesson.objects.get().hours == Decimal(hours)
        return
    with pytest.raises(ValidationError) as refused:
        services.lesson_log(
            actor=world.users["psych_a"],
            classes=[world.class_a],
            given_on=DAY,
            hours=hours,
            topic="认识情绪",
        )
    assert refused.value.message_dict == {"hours": [str(HOURS_INVALID) % {"max": Decimal("4")}]}
    assert not Lesson.objects.exists()


def test_date_topic_and_classes_are_checked(world):
    actor = world.users["psych_a"]
    with pytest.raises(ValidationError) as refused:
        services.lesson_log(actor=actor, classes=[], given_on=DAY, hours="1", topic="x")
    assert refused.value.message_dict == {"classes": [str(CLASSES_REQUIRED)]}
    with pytest.raises(ValidationError) as refused:
        services.lesson_log(
            actor=actor,
            classes=[world.class_a],
            given_on=datetime.date(2026, 8, 20),
            hours="1",
            topic="  ",
        )
    assert refused.value.message_dict == {
        "given_on": [
            str(DATE_OUTSIDE_YEAR)
            % {"name": world.class_a.name, "year": "2026-2027", "date": "2026-08-20"}
        ],
        "topic": [str(TOPIC_REQUIRED)],
    }
    future = datetime.date.today() + datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as refused:
        services.lesson_log(
            actor=actor, classes=[world.class_a], given_on=future, hours="1", topic="x"
        )
    assert refused.value.message_dict == {"given_on": [str(FUTURE_DATE)]}
    assert not Lesson.objects.exists()


def test_the_same_lesson_twice_is_refused_naming_the_classes(world):
    log(world, [world.class_a], day=DAY)
    with pytest.raises(ValidationError) as refused:
        log(world, [world.class_a_other, world.class_a], day=DAY)
    assert refused.value.message_dict == {
        "topic": [str(ALREADY_LOGGED) % {"classes": world.class_a.name, "date": "2026-10-12"}]
    }
    assert Lesson.objects.count() == 1


def test_the_database_refuses_odd_hours_and_a_month_that_is_not_the_dates(world):
    lesson = log(world, [world.class_a], day=DAY)[0]
    for field, value in (("hours", Decimal("0.3")), ("month", datetime.date(2026, 11, 1))):
        with pytest.raises(IntegrityError), transaction.atomic():
            Lesson.objects.filter(pk=lesson.pk).update(**{field: value})


def test_a_typed_teacher_name_is_kept_without_linking_the_actor(world):
    lesson = services.lesson_log(
        actor=world.users["psych_a"],
        classes=[world.class_a],
        given_on=DAY,
        hours="1",
        topic="情绪",
        teacher_name="外聘 陈老师",
    )[0]
    assert (lesson.teacher, lesson.teacher_name) == (None, "外聘 陈老师")
