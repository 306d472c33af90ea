"""The crisis reminder rules through the kernel's scan: each rule, its boundary days (Asia/Shanghai
dates, UTC storage), the escalation of follow-ups and of a missed 上报. The engine itself ("each
reminder once", digest, unknown rules) is tested in ``tests/core/reminders``."""

import datetime
import zoneinfo

import pytest

from crisis.models import (
    CaseStatus,
    FamilyContact,
    HomeVisit,
    HomeVisitReason,
    KeyPeriod,
    ReportStatus,
    Review,
)
from mhcare.accounts.models import Role, User
from mhcare.core.models import ReminderSent
from mhcare.core.reminders.services import reminder_scan
from mhcare.notifications.models import Notification
from mhcare.orgs.models import Semester
from tests import factories
from tests.crisis.reporting.helpers import make_case, make_report

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 10, 12)
NOON = datetime.datetime(2026, 10, 12, 12, 0, tzinfo=SHANGHAI)


def ledger(**filters):
    return set(
        ReminderSent.objects.filter(**filters).values_list(
            "kind", "object_id", "recipient__username", "stage"
        )
    )


def scan(rules, today=TODAY, now=NOON):
    return reminder_scan(today, now=now, rules=rules)


# --- follow-ups ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_from_today", "expected"),
    [
        (3, set()),
        (2, {("psych_a", 0)}),
        (0, {("psych_a", 0)}),
        (-1, {("psych_a", 1)}),
        (-3, {("psych_a", 1)}),  # overdue by 3: not more than 3 yet
        (-4, {("psych_a", 1), ("leader_a", 2)}),
        (-7, {("psych_a", 1), ("leader_a", 2)}),
        (-8, {("psych_a", 1), ("leader_a", 2), ("center_a", 3)}),
    ],
)
def test_follow_up_reminders_escalate_by_days_overdue(world, days_from_today, expected):
    case = make_case(
        world.students["a"],
        responsible=world.users["psych_a"],
        next_follow_up_due=TODAY + datetime.timedelta(days=days_from_today),
    )
    scan(["follow_up"])
    assert {(u, stage) for _, _, u, stage in ledger(kind="follow_up", object_id=case.pk)} == (
        expected
    )
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        u for u, _ in expected
    }


@pytest.mark.zh
def test_each_recipient_is_reminded_in_their_own_language_in_one_scan(world):
    # the engine composes a rule's texts once per language, inside it: an English teacher and a
    # Chinese leader of the same school get the same reminder in their own words
    User.objects.filter(pk=world.users["psych_a"].pk).update(language="en")
    User.objects.filter(pk=world.users["leader_a"].pk).update(language="zh-hans")
    User.objects.filter(pk=world.users["center_a"].pk).update(language="")
    for student in ("a", "b"):
        if world.students[student].school_id == world.school_a.pk:
            make_case(
                world.students[student],
                responsible=world.users["psych_a"],
                next_follow_up_due=TODAY - datetime.timedelta(days=8),
            )
    scan(["follow_up"])
    titles = {
        (username, title)
        for username, title in Notification.objects.values_list("recipient__username", "title")
    }
    due = (TODAY - datetime.timedelta(days=8)).isoformat()
    assert titles == {
        ("psych_a", f"Follow-up overdue since {due}"),
        ("leader_a", "督办：有回访已逾期 8 天"),
        ("center_a", "督办：有回访已逾期 8 天"),  # no choice: the site's language
    }


def test_escalation_days_are_settings(world, settings):
    settings.FOLLOW_UP_ESCALATE_LEADER_DAYS = 1
    settings.FOLLOW_UP_ESCALATE_CENTER_DAYS = 2
    make_case(
        world.students["a"],
        responsible=world.users["psych_a"],
        next_follow_up_due=TODAY - datetime.timedelta(days=3),
    )
    scan(["follow_up"])
    assert {stage for *_, stage in ledger()} == {1, 2, 3}


def test_without_a_responsible_teacher_the_schools_psych_teachers_are_told(world):
    other = factories.user_with_role(Role.PSYCH_TEACHER, world.school_a, username="psych_a_2")
    make_case(world.students["a"], next_follow_up_due=TODAY)
    scan(["follow_up"])
    assert {u for _, _, u, _ in ledger()} == {"psych_a", other.username}


def test_closed_cases_and_other_counties_are_not_reminded_to_the_wrong_people(world):
    make_case(
        world.students["a"],
        status=CaseStatus.CLOSED,
        next_follow_up_due=TODAY - datetime.timedelta(days=10),
    )
    b = make_case(world.students["b"], next_follow_up_due=TODAY - datetime.timedelta(days=10))
    scan(["follow_up"])
    assert ledger() == {
        ("follow_up", b.pk, "psych_b", 1),
        ("follow_up", b.pk, "center_b", 3),
    }


def test_a_new_due_date_is_a_new_reminder(world):
    case = make_case(
        world.students["a"], responsible=world.users["psych_a"], next_follow_up_due=TODAY
    )
    scan(["follow_up"])
    case.next_follow_up_due = TODAY + datetime.timedelta(days=1)
    case.save()
    scan(["follow_up"])
    assert Notification.objects.filter(recipient=world.users["psych_a"]).count() == 2


def test_messages_name_no_student_and_link_to_the_record(world):
    case = make_case(
        world.students["a"], responsible=world.users["psych_a"], next_follow_up_due=TODAY
    )
    scan(["follow_up"])
    notification = Notification.objects.get()
    assert "张小明" not in notification.title + notification.body
    assert notification.url.endswith(f"/{case.student_id}/")
    assert notification.kind == "crisis.follow_up"


# --- 上报 deadlines and the escalation of a missed one ----------------------------------------


def test_a_report_due_within_six_hours_reminds_the_psych_teacher(world):
    case = make_case(world.students["a"], responsible=world.users["psych_a"])
    soon = make_report(case, due_by=NOON + datetime.timedelta(hours=5, minutes=59))
    later_case = make_case(world.students["a2"])
    make_report(later_case, due_by=NOON + datetime.timedelta(hours=6, minutes=1))
    scan(["report"])
    assert ledger() == {("report", soon.pk, "psych_a", 0)}


def test_a_missed_report_escalates_to_leader_and_county_center_once(world):
    case = make_case(world.students["a"], responsible=world.users["psych_a"])
    report = make_report(case, due_by=NOON - datetime.timedelta(minutes=1))
    scan(["report"])
    scan(["report"], now=NOON + datetime.timedelta(hours=1))  # the next hourly run
    assert ledger() == {
        ("report", report.pk, "psych_a", 1),
        ("report", report.pk, "leader_a", 2),
        ("report", report.pk, "center_a", 2),
    }
    assert Notification.objects.filter(recipient=world.users["center_a"]).count() == 1
    assert not Notification.objects.filter(recipient=world.users["center_b"]).exists()


def test_a_sent_report_is_not_reminded(world):
    case = make_case(world.students["a"], responsible=world.users["psych_a"])
    make_report(case, due_by=NOON - datetime.timedelta(hours=1), status=ReportStatus.SENT)
    scan(["report"])
    assert ledger() == set()


def test_the_report_due_date_is_the_shanghai_date(world):
    """due_by 15:30 UTC = 23:30 in Shanghai (the 12th); 16:30 UTC = 00:30 on the 13th."""
    now = datetime.datetime(2026, 10, 13, 12, 0, tzinfo=SHANGHAI)
    late_evening = make_report(
        make_case(world.students["a"]),
        due_by=datetime.datetime(2026, 10, 12, 15, 30, tzinfo=datetime.UTC),
    )
    after_midnight = make_report(
        make_case(world.students["a2"]),
        due_by=datetime.datetime(2026, 10, 12, 16, 30, tzinfo=datetime.UTC),
    )
    reminder_scan(now=now, rules=["report"])
    due_on = dict(ReminderSent.objects.values_list("object_id", "due_on").distinct())
    assert due_on == {
        late_evening.pk: datetime.date(2026, 10, 12),
        after_midnight.pk: datetime.date(2026, 10, 13),
    }


# --- reviews, family contacts, key-period home visits ---------------------------------------


def test_the_review_date_reached_reminds_the_schools_psych_teachers(world):
    kwargs = {"school": world.school_a, "participants": "张校长, 王老师"}
    user = world.users["leader_a"]
    Review.objects.create(
        held_on=TODAY - datetime.timedelta(days=60),
        next_review_on=TODAY - datetime.timedelta(days=30),
        created_by=user,
        **kwargs,
    )
    latest = Review.objects.create(
        held_on=TODAY - datetime.timedelta(days=30), next_review_on=TODAY, created_by=user, **kwargs
    )
    Review.objects.create(
        school=world.school_b,
        participants="x",
        held_on=TODAY,
        next_review_on=TODAY + datetime.timedelta(days=1),
        created_by=world.users["psych_b"],
    )
    scan(["review"])
    assert ledger() == {("review", latest.pk, "psych_a", 0)}


@pytest.fixture
def semester(world):
    return Semester.objects.get()  # 2026-09-01 … 2027-01-31


def test_family_contact_gaps_go_to_the_homeroom_teacher_four_weeks_before_the_end(world, semester):
    klass = world.class_a
    contacted = world.students["a"]
    online_only = factories.StudentFactory(klass=klass, name="钱小二")
    never = factories.StudentFactory(klass=klass, name="孙小三")
    common = {"school": world.school_a, "klass": klass, "semester": semester}
    by = world.users["homeroom_a"]
    FamilyContact.objects.create(
        student=contacted, contacted_on=datetime.date(2026, 10, 1), way="phone", by=by,
        with_whom="母亲", **common,
    )  # fmt: skip
    FamilyContact.objects.create(
        student=online_only, contacted_on=datetime.date(2026, 10, 1), way="online", by=by,
        with_whom="父亲", **common,
    )  # fmt: skip
    assert never.pk

    scan(["family_contact"], today=semester.end - datetime.timedelta(days=29))
    assert ledger() == set()

    scan(["family_contact"], today=semester.end - datetime.timedelta(days=28))
    assert ledger() == {("family_contact_gap", klass.pk, "homeroom_a", 0)}
    notification = Notification.objects.get()
    assert notification.title.startswith("2 families")
    # a class without a homeroom teacher has no one to tell; the next day sends nothing new
    scan(["family_contact"], today=semester.end - datetime.timedelta(days=27))
    assert Notification.objects.count() == 1


def test_home_visits_not_done_with_three_days_left_remind_the_psych_teacher(world, semester):
    period = KeyPeriod.objects.create(
        semester=semester,
        org_unit=world.county_a,
        name="国庆前后",
        starts_on=TODAY - datetime.timedelta(days=7),
        ends_on=TODAY + datetime.timedelta(days=3),
    )
    later = KeyPeriod.objects.create(
        semester=semester,
        org_unit=world.county_a,
        name="元旦前后",
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=4),
    )
    for key in ("a", "a_other_class"):
        HomeVisit.objects.create(
            key_period=period,
            student=world.students[key],
            school=world.school_a,
            reason=HomeVisitReason.CASE,
        )
    HomeVisit.objects.create(
        key_period=period,
        student=world.students["a2"],
        school=world.school_a2,
        reason=HomeVisitReason.DISADVANTAGED,
        visited_on=TODAY,
    )
    HomeVisit.objects.create(
        key_period=later,
        student=world.students["a"],
        school=world.school_a,
        reason=HomeVisitReason.CASE,
    )
    scan(["home_visit"])
    assert ledger() == {("home_visit", period.pk, "psych_a", 0)}
    assert Notification.objects.get().title.startswith("2 home visits")
