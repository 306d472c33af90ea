"""Services of family contacts and key periods: semester resolution, refusals, direct vs online,
checklist building (only case + 处境不利 students) and ticking the checklist by a visit."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crisis.families import selectors, services
from crisis.models import CaseStatus, ContactWay, FamilyContact, HomeVisit, HomeVisitReason
from mhcare.audit.models import Action, AuditEvent
from mhcare.orgs.models import Disadvantage, EnrolmentStatus, SchoolYear, Semester
from tests import factories
from tests.crisis.families.conftest import open_case


def log(actor, student, *, day=None, way=ContactWay.PHONE, with_whom="母亲", topics="学习情况"):
    return services.family_contact_log(
        actor=actor,
        student=student,
        contacted_on=day or timezone.localdate(),
        way=way,
        with_whom=with_whom,
        topics=topics,
    )


def test_a_contact_belongs_to_the_semester_of_today_and_is_audited(world, semester):
    # when
    contact = log(world.users["homeroom_a"], world.students["a"])
    # then
    contact.refresh_from_db()
    assert contact.semester == semester
    assert contact.klass == world.class_a
    assert contact.school == world.school_a
    assert contact.topics == "学习情况"
    event = AuditEvent.objects.get(object_type="crisis.familycontact", object_id=str(contact.pk))
    assert event.action == Action.CREATE
    assert event.student_id == world.students["a"].pk


def test_a_past_date_goes_to_the_semester_containing_it(world, semester):
    year = SchoolYear.objects.create(
        name="2019-2020", start=datetime.date(2019, 9, 1), end=datetime.date(2020, 8, 31)
    )
    old = Semester.objects.create(
        school_year=year, term=1, start=datetime.date(2019, 9, 1), end=datetime.date(2020, 1, 31)
    )
    contact = log(world.users["psych_a"], world.students["a"], day=datetime.date(2019, 10, 10))
    assert contact.semester == old


def test_a_future_date_is_refused(world, semester):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        log(world.users["homeroom_a"], world.students["a"], day=tomorrow)
    assert exc.value.message_dict["contacted_on"] == [str(services.FUTURE_DATE)]
    assert not FamilyContact.objects.exists()


def test_a_date_outside_every_semester_gets_a_clear_error(world, semester):
    with pytest.raises(ValidationError) as exc:
        log(world.users["homeroom_a"], world.students["a"], day=datetime.date(2018, 7, 20))
    (message,) = exc.value.message_dict["contacted_on"]
    assert message.startswith("No semester contains")
    assert not FamilyContact.objects.exists()


def test_with_whom_is_required(world, semester):
    with pytest.raises(ValidationError) as exc:
        log(world.users["homeroom_a"], world.students["a"], with_whom="  ")
    assert exc.value.message_dict["with_whom"] == [str(services.WITH_WHOM_REQUIRED)]


@pytest.mark.parametrize(
    ("user_key", "student_key"),
    [
        ("homeroom_a", "a_other_class"),  # another class of her school
        ("psych_a", "b"),  # another county
        ("center_b", "a"),
        ("official_a", "a"),
        ("admin", "a"),
    ],
)
def test_out_of_scope_or_wrong_role_may_not_log(world, semester, user_key, student_key):
    with pytest.raises(PermissionDenied):
        log(world.users[user_key], world.students[student_key])
    assert not FamilyContact.objects.exists()


def test_a_subject_teacher_may_not_log(world, semester, subject_a):
    with pytest.raises(PermissionDenied):
        log(subject_a, world.students["a"])


def test_an_online_message_is_not_a_direct_contact(world, semester):
    actor = world.users["homeroom_a"]
    student = world.students["a"]
    log(actor, student, way=ContactWay.ONLINE)
    rows = selectors.class_rows(actor=actor, klass=world.class_a, semester=semester)
    (row,) = rows
    assert (row.count, row.direct_count, row.is_covered) == (1, 0, False)
    assert selectors.class_coverage(rows).covered == 0
    log(actor, student, way=ContactWay.VIDEO)
    (row,) = selectors.class_rows(actor=actor, klass=world.class_a, semester=semester)
    assert (row.count, row.direct_count, row.is_covered) == (2, 1, True)


@pytest.fixture
def watch(world, semester):
    """School A: a case student, a closed-case student, a disadvantaged student, a disadvantaged
    student transferred out, an ordinary one; school A2 (same county): a disadvantaged one;
    school B (other county): a case student."""
    a = world.class_a
    students = {
        "case": world.students["a"],
        "closed": factories.StudentFactory(klass=a, name="结案"),
        "disadvantaged": factories.StudentFactory(
            klass=world.class_a_other, name="留守", disadvantages=[Disadvantage.LEFT_BEHIND]
        ),
        "both": factories.StudentFactory(
            klass=a, name="个案兼困难", disadvantages=[Disadvantage.ECONOMIC]
        ),
        "gone": factories.StudentFactory(
            klass=a,
            name="转走",
            disadvantages=[Disadvantage.ECONOMIC],
            status=EnrolmentStatus.TRANSFERRED,
        ),
        "plain": factories.StudentFactory(klass=a, name="普通"),
        "a2": factories.StudentFactory(
            klass=world.class_a2, name="二中困难", disadvantages=[Disadvantage.SINGLE_PARENT]
        ),
        "b": world.students["b"],
    }
    open_case(students["case"])
    open_case(students["both"], status=CaseStatus.MONITORING)
    open_case(students["closed"], status=CaseStatus.CLOSED)
    open_case(students["b"])
    return students


def _period(actor, unit, semester, **kwargs):
    today = timezone.localdate()
    return services.key_period_create(
        actor=actor,
        org_unit=unit,
        semester=semester,
        name=kwargs.pop("name", "国庆小长假前后"),
        starts_on=kwargs.pop("starts_on", today - datetime.timedelta(days=3)),
        ends_on=kwargs.pop("ends_on", today + datetime.timedelta(days=3)),
        **kwargs,
    )


def _listed(period):
    return {
        (line.student.name, line.reason)
        for line in HomeVisit.objects.filter(key_period=period).select_related("student")
    }


def test_a_school_checklist_lists_only_case_and_disadvantaged_students(world, semester, watch):
    period = _period(world.users["psych_a"], world.school_a, semester)
    assert _listed(period) == {
        ("张小明", HomeVisitReason.CASE),
        ("个案兼困难", HomeVisitReason.CASE),
        ("留守", HomeVisitReason.DISADVANTAGED),
    }
    assert AuditEvent.objects.filter(object_type="crisis.keyperiod", action=Action.CREATE).exists()


def test_a_county_checklist_covers_the_county_schools_only(world, semester, watch):
    period = _period(world.users["center_a"], world.county_a, semester)
    assert {name for name, _ in _listed(period)} == {"张小明", "个案兼困难", "留守", "二中困难"}
    assert set(HomeVisit.objects.filter(key_period=period).values_list("school", flat=True)) == {
        world.school_a.pk,
        world.school_a2.pk,
    }


def test_building_again_adds_only_new_students(world, semester, watch):
    actor = world.users["psych_a"]
    period = _period(actor, world.school_a, semester)
    assert services.home_visit_checklist_build(actor=actor, key_period=period) == 0
    open_case(watch["plain"])
    assert services.home_visit_checklist_build(actor=actor, key_period=period) == 1
    assert ("普通", HomeVisitReason.CASE) in _listed(period)


def test_without_build_the_checklist_stays_empty(world, semester, watch):
    period = _period(world.users["psych_a"], world.school_a, semester, build_checklist=False)
    assert not HomeVisit.objects.filter(key_period=period).exists()


@pytest.mark.parametrize(
    ("user_key", "unit_key"),
    [
        ("leader_a", "school_a"),  # leaders do not define key periods
        ("homeroom_a", "school_a"),
        ("psych_a", "county_a"),  # a psychology teacher defines for her school only
        ("psych_a", "school_a2"),
        ("center_b", "county_a"),
        ("official_a", "county_a"),
    ],
)
def test_who_may_define_key_periods(world, semester, user_key, unit_key):
    with pytest.raises(PermissionDenied):
        _period(world.users[user_key], getattr(world, unit_key), semester)


def test_county_center_may_define_for_a_school_of_its_county(world, semester, watch):
    period = _period(world.users["center_a"], world.school_a2, semester)
    assert {name for name, _ in _listed(period)} == {"二中困难"}


def test_a_period_ending_before_it_starts_is_refused(world, semester):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        _period(
            world.users["psych_a"],
            world.school_a,
            semester,
            starts_on=today,
            ends_on=today - datetime.timedelta(days=1),
        )
    assert exc.value.message_dict["ends_on"] == [str(services.PERIOD_ORDER)]


def test_a_visit_contact_within_the_period_ticks_the_checklist(world, semester, watch):
    period = _period(world.users["psych_a"], world.school_a, semester)
    line = HomeVisit.objects.get(key_period=period, student=watch["case"])
    # a phone call does not tick it
    log(world.users["homeroom_a"], watch["case"], way=ContactWay.PHONE)
    line.refresh_from_db()
    assert line.contact_id is None
    # a home visit before the period does not either
    before = period.starts_on - datetime.timedelta(days=1)
    if Semester.current(before):
        log(world.users["homeroom_a"], watch["case"], way=ContactWay.VISIT, day=before)
        line.refresh_from_db()
        assert line.contact_id is None
    # a home visit within it does
    contact = log(world.users["homeroom_a"], watch["case"], way=ContactWay.VISIT)
    line.refresh_from_db()
    assert line.contact == contact
    assert line.visited_on == contact.contacted_on


def test_building_ticks_students_already_visited_in_the_period(world, semester, watch):
    contact = log(world.users["homeroom_a"], watch["case"], way=ContactWay.VISIT)
    period = _period(world.users["psych_a"], world.school_a, semester)
    line = HomeVisit.objects.get(key_period=period, student=watch["case"])
    assert line.contact == contact


def test_marking_a_visit_records_a_visit_contact(world, semester, watch):
    period = _period(world.users["psych_a"], world.school_a, semester)
    line = HomeVisit.objects.get(key_period=period, student=watch["disadvantaged"])
    services.home_visit_mark(
        actor=world.users["psych_a"],
        visit=line,
        visited_on=timezone.localdate(),
        with_whom="祖母",
        topics="生活情况",
    )
    line.refresh_from_db()
    assert line.contact.way == ContactWay.VISIT
    assert line.contact.with_whom == "祖母"
    assert line.visited_on == timezone.localdate()
    with pytest.raises(ValidationError):
        services.home_visit_mark(
            actor=world.users["psych_a"],
            visit=line,
            visited_on=timezone.localdate(),
            with_whom="祖母",
        )
    assert FamilyContact.objects.count() == 1


def test_a_visit_outside_the_period_is_refused(world, semester, watch):
    today = timezone.localdate()
    period = _period(
        world.users["psych_a"],
        world.school_a,
        semester,
        starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=5),
    )
    line = HomeVisit.objects.get(key_period=period, student=watch["case"])
    with pytest.raises(ValidationError) as exc:
        services.home_visit_mark(
            actor=world.users["psych_a"],
            visit=line,
            visited_on=today - datetime.timedelta(days=2),
            with_whom="父亲",
        )
    assert "contacted_on" in exc.value.message_dict
    assert not FamilyContact.objects.exists()


def test_a_homeroom_teacher_cannot_mark_a_line_of_another_class(world, semester, watch):
    period = _period(world.users["psych_a"], world.school_a, semester)
    line = HomeVisit.objects.get(key_period=period, student=watch["disadvantaged"])
    with pytest.raises(PermissionDenied):
        services.home_visit_mark(
            actor=world.users["homeroom_a"],
            visit=line,
            visited_on=timezone.localdate(),
            with_whom="祖母",
        )
