import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from mhcare.accounts import approvals
from mhcare.accounts.models import Role, RoleAssignment
from mhcare.audit.models import Action, AuditEvent
from mhcare.orgs import importers, services
from mhcare.orgs.models import Guardian, SchoolClass, Student
from mhcare.orgs.services import (
    ERROR_GRADE_NOT_IN_SCHOOL,
    ERROR_OTHER_SCHOOL,
    ERROR_UNKNOWN_TEACHER,
)

TODAY = datetime.date(2026, 10, 1)
HEADER = "班级,年级,学籍号,姓名,性别,出生日期,监护人姓名,监护人关系,监护人电话,处境不利"
ROSTER = "\n".join(
    [
        HEADER,
        "八(3)班,8,G330106201300000101,陈一,男,2013-03-14,陈强,父亲,13800000001,经济困难",
        "八(3)班,8,G330106201300000101,陈一,男,2013-03-14,林芳,母亲,13800000002,",
        "七(1)班,7,G330106201400000102,周二,女,2014-05-02,周军,父亲,13800000003,",
    ]
).encode()


def parse(data=ROSTER):
    rows, errors = importers.parse_roster(data, "roster.csv")
    assert errors == []
    return rows


def test_import_creates_classes_students_and_guardians(world):
    result = services.roster_import(
        actor=world.users["psych_a"], school=world.school_a, rows=parse(), today=TODAY
    )
    assert result.ok
    assert result.created == {"classes": 2, "students": 2, "guardians": 3}
    student = Student.objects.get(student_number="G330106201300000101")
    assert student.school == world.school_a
    assert student.county == world.county_a
    assert student.klass.name == "八(3)班"
    assert student.disadvantages == ["economic"]
    assert list(student.guardians.values_list("relation", "is_primary")) == [
        ("father", True),
        ("mother", False),
    ]
    event = AuditEvent.objects.get(action=Action.CREATE)
    assert event.object_id == str(world.school_a.pk)
    assert event.detail["created"]["students"] == 2


def test_import_twice_duplicates_nothing(world):
    actor = world.users["psych_a"]
    services.roster_import(actor=actor, school=world.school_a, rows=parse(), today=TODAY)
    counts = (Student.objects.count(), Guardian.objects.count(), SchoolClass.objects.count())
    again = services.roster_import(actor=actor, school=world.school_a, rows=parse(), today=TODAY)
    assert again.created == {"classes": 0, "students": 0, "guardians": 0}
    assert again.updated == {"classes": 0, "students": 0, "guardians": 0}
    assert (
        Student.objects.count(),
        Guardian.objects.count(),
        SchoolClass.objects.count(),
    ) == counts
    assert AuditEvent.objects.filter(action=Action.UPDATE).count() == 1


def test_reimport_updates_changed_rows(world):
    actor = world.users["psych_a"]
    services.roster_import(actor=actor, school=world.school_a, rows=parse(), today=TODAY)
    changed = ROSTER.replace(b"13800000003", b"13900000003").replace(
        "周二".encode(), "周贰".encode()
    )
    result = services.roster_import(
        actor=actor, school=world.school_a, rows=parse(changed), today=TODAY
    )
    assert result.updated == {"classes": 0, "students": 1, "guardians": 1}
    assert Student.objects.get(student_number="G330106201400000102").name == "周贰"


def test_a_student_of_another_school_fails_the_whole_import(world):
    other = world.students["b"]
    data = ROSTER + f"\n八(3)班,8,{other.student_number},冒名,男,2013-01-01,,,,".encode()
    before = (Student.objects.count(), Guardian.objects.count(), SchoolClass.objects.count())
    result = services.roster_import(
        actor=world.users["psych_a"], school=world.school_a, rows=parse(data), today=TODAY
    )
    assert [(e.row, e.message) for e in result.errors] == [(5, str(ERROR_OTHER_SCHOOL))]
    assert (
        Student.objects.count(),
        Guardian.objects.count(),
        SchoolClass.objects.count(),
    ) == before
    assert Student.objects.get(pk=other.pk).school == world.school_b
    assert not AuditEvent.objects.exists()


def test_grades_the_school_does_not_have_are_refused(world):
    data = HEADER.encode() + "\n一(1)班,1,G330106201900000001,小一,男,2019-10-01,,,,".encode()
    result = services.roster_import(
        actor=world.users["psych_a"], school=world.school_a, rows=parse(data), today=TODAY
    )
    assert [e.message for e in result.errors] == [str(ERROR_GRADE_NOT_IN_SCHOOL % {"grade": 1})]
    assert not Student.objects.filter(student_number="G330106201900000001").exists()


def test_classes_sheet_sets_the_homeroom_teacher(world):
    teacher = world.users["leader_a"]
    data = f"班级,年级,班主任账号\n八(3)班,8,{teacher.username}\n九(1)班,9,nobody\n".encode()
    rows, errors = importers.parse_roster(data, "classes.csv")
    assert errors == []
    result = services.roster_import(
        actor=world.users["psych_a"], school=world.school_a, rows=rows, today=TODAY
    )
    assert [(e.row, e.message) for e in result.errors] == [(3, str(ERROR_UNKNOWN_TEACHER))]
    rows.classes = rows.classes[:1]
    result = services.roster_import(
        actor=world.users["psych_a"], school=world.school_a, rows=rows, today=TODAY
    )
    klass = SchoolClass.objects.get(school=world.school_a, name="八(3)班")
    # the grant waits for a second person (sod): the leader is the one granted, so the county
    # center decides; the class's homeroom teacher is on record once it is approved
    grant = RoleAssignment.objects.get(user=teacher, role=Role.HOMEROOM_TEACHER, klass=klass)
    assert (grant.is_active, klass.homeroom_teacher) == (False, None)
    approvals.assignment_approve(actor=world.users["center_a"], assignment=grant)
    klass.refresh_from_db()
    assert klass.homeroom_teacher == teacher


@pytest.mark.parametrize("who", ["psych_b", "center_a", "homeroom_a", "official_a"])
def test_only_the_schools_own_staff_may_import(world, who):
    with pytest.raises(PermissionDenied):
        services.roster_import(
            actor=world.users[who], school=world.school_a, rows=parse(), today=TODAY
        )
    assert not Student.objects.filter(student_number="G330106201300000101").exists()


def test_import_roster_command(world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER)
    call_command("import_roster", str(path), school=world.school_a.code)
    assert Student.objects.filter(school=world.school_a).count() == 2 + 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(ROSTER + "\n八(3)班,8,X,坏,男,2013-01-01,,,,".encode())
    with pytest.raises(CommandError):
        call_command("import_roster", str(bad), school=world.school_a.code)
    assert Student.objects.filter(school=world.school_a).count() == 4


def test_a_first_roster_has_no_enrolment_date_and_a_later_newcomer_has_today(world):
    actor = world.users["psych_a"]
    # school A already has students: the roster's new students joined now
    services.roster_import(actor=actor, school=world.school_a, rows=parse(), today=TODAY)
    assert set(
        Student.objects.filter(student_number__startswith="G3301062").values_list(
            "enrolled_on", flat=True
        )
    ) == {TODAY}
    # a school's first roster: students from before the records began
    from tests import factories

    fresh = factories.SchoolFactory(parent=world.county_a, code="3301069998", stage="junior")
    factories.user_with_role(Role.PSYCH_TEACHER, fresh, username="psych_fresh")
    data = ROSTER.replace(b"G33010620130000", b"G33010620139999").replace(
        b"G33010620140000", b"G33010620149999"
    )
    services.roster_import(
        actor=type(actor).objects.get(username="psych_fresh"),
        school=fresh,
        rows=parse(data),
        today=TODAY,
    )
    assert set(Student.objects.filter(school=fresh).values_list("enrolled_on", flat=True)) == {None}
