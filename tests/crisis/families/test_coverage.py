"""Coverage numbers: direct-contacted families ÷ enrolled students per class, per school and per
school of a county; missing students listed; checklist coverage."""

import datetime

from django.utils import timezone

from crisis.families import selectors, services
from crisis.models import ContactWay, FamilyContact
from mhcare.orgs.models import EnrolmentStatus
from tests import factories


def log(actor, student, way=ContactWay.PHONE):
    return services.family_contact_log(
        actor=actor,
        student=student,
        contacted_on=timezone.localdate(),
        way=way,
        with_whom="母亲",
    )


def test_class_coverage_counts_enrolled_students_with_a_direct_contact(world, semester):
    actor = world.users["homeroom_a"]
    extra = [factories.StudentFactory(klass=world.class_a) for _ in range(3)]
    factories.StudentFactory(klass=world.class_a, status=EnrolmentStatus.SUSPENDED)
    log(actor, world.students["a"])  # direct
    log(actor, extra[0], way=ContactWay.ONLINE)  # not direct
    log(actor, extra[1], way=ContactWay.SCHOOL_MEETING)  # direct
    log(actor, extra[1], way=ContactWay.PHONE)  # counted once
    rows = selectors.class_rows(actor=actor, klass=world.class_a, semester=semester)
    coverage = selectors.class_coverage(rows)
    assert (coverage.enrolled, coverage.covered, coverage.missing) == (4, 2, 2)
    assert coverage.percent == 50.0
    assert {r.student.pk for r in rows if not r.is_covered} == {extra[0].pk, extra[2].pk}


def test_a_contact_of_an_earlier_semester_does_not_count(world, semester):
    from mhcare.orgs.models import SchoolYear, Semester

    year = SchoolYear.objects.create(
        name="2019-2020", start=datetime.date(2019, 9, 1), end=datetime.date(2020, 8, 31)
    )
    Semester.objects.create(
        school_year=year, term=1, start=datetime.date(2019, 9, 1), end=datetime.date(2020, 1, 31)
    )
    services.family_contact_log(
        actor=world.users["psych_a"],
        student=world.students["a"],
        contacted_on=datetime.date(2019, 10, 1),
        way=ContactWay.VISIT,
        with_whom="父亲",
    )
    rows = selectors.class_rows(
        actor=world.users["psych_a"], klass=world.class_a, semester=semester
    )
    assert selectors.class_coverage(rows).covered == 0


def test_school_coverage_per_class(world, semester):
    actor = world.users["psych_a"]
    factories.StudentFactory(klass=world.class_a_other)
    log(actor, world.students["a"])
    log(actor, world.students["a_other_class"], way=ContactWay.ONLINE)
    rows = selectors.school_class_coverage(actor=actor, school=world.school_a, semester=semester)
    by_class = {row.key: (row.enrolled, row.covered) for row in rows}
    assert by_class == {world.class_a.pk: (1, 1), world.class_a_other.pk: (2, 0)}
    total = selectors.total_of(rows)
    assert (total.enrolled, total.covered) == (3, 1)


def test_county_coverage_per_school(world, semester):
    log(world.users["psych_a"], world.students["a"])
    log(world.users["psych_b"], world.students["b"])
    rows = selectors.school_coverage(actor=world.users["center_a"], semester=semester)
    assert {row.label: (row.enrolled, row.covered) for row in rows} == {
        "西湖一中": (2, 1),
        "西湖二中": (1, 0),
    }


def test_the_homeroom_teacher_sees_only_her_class_contacts(world, semester):
    log(world.users["psych_a"], world.students["a_other_class"])
    log(world.users["psych_a"], world.students["a"])
    visible = set(
        selectors.student_contacts(
            actor=world.users["homeroom_a"], student=world.students["a_other_class"]
        )
    )
    assert visible == set()
    assert FamilyContact.objects.count() == 2
