import io

from django.core.management import call_command

from mhcare.accounts.models import Role, RoleAssignment, User
from mhcare.orgs import demo
from mhcare.orgs.models import (
    Guardian,
    OrgKind,
    OrgUnit,
    SchoolClass,
    SchoolYear,
    Semester,
    Student,
)


def counts():
    return {
        "units": OrgUnit.objects.count(),
        "classes": SchoolClass.objects.count(),
        "students": Student.objects.count(),
        "guardians": Guardian.objects.count(),
        "users": User.objects.count(),
        "assignments": RoleAssignment.objects.count(),
        "years": SchoolYear.objects.count(),
        "semesters": Semester.objects.count(),
    }


def test_seed_demo_is_deterministic_and_idempotent(db):
    out = io.StringIO()
    call_command("seed_demo", scale=0.1, stdout=out)
    first = counts()
    numbers = list(Student.objects.order_by("student_number").values_list("student_number", "name"))
    call_command("seed_demo", scale=0.1, stdout=io.StringIO())
    assert counts() == first
    assert (
        list(Student.objects.order_by("student_number").values_list("student_number", "name"))
        == numbers
    )

    # the real province tree
    assert OrgUnit.objects.get(code="33").kind == OrgKind.PROVINCE
    assert OrgUnit.objects.filter(kind=OrgKind.CITY).count() == 11
    assert OrgUnit.objects.filter(kind=OrgKind.COUNTY).count() == 90
    xihu = OrgUnit.objects.get(code="330106")
    assert xihu.path == "/33/3301/330106/"
    assert OrgUnit.objects.get(code="330106C").kind == OrgKind.COUNTY_CENTER
    assert OrgUnit.objects.get(code="330802R").kind == OrgKind.RESEARCH
    stages = set(OrgUnit.objects.schools().within(xihu).values_list("stage", flat=True))
    assert stages == {"primary", "junior", "senior", "nine_year", "complete_secondary"}

    # students match their grade and school
    for student in Student.objects.select_related("klass", "school")[:50]:
        assert student.klass.school_id == student.school_id
        assert student.school.path.startswith(student.county.path)
        assert student.birth_date.year in (2020 - student.klass.grade, 2021 - student.klass.grade)
    assert SchoolYear.current(demo.YEAR_START).name == "2026-2027"

    # one login per role, with the homeroom teacher leading a grade-8 class
    homeroom = User.objects.get(username="homeroom_xihu")
    klass = SchoolClass.objects.get(homeroom_teacher=homeroom)
    assert klass.grade == 8
    assert RoleAssignment.objects.get(user=homeroom).klass == klass
    roles = set(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role} - {Role.SUBJECT_TEACHER}
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    platform = User.objects.get(username="platform_admin")
    assert platform.is_staff
    assert not platform.is_superuser
    assert User.objects.get(username="psych_xihu").check_password(demo.DEFAULT_PASSWORD)
    assert "psych_xihu" in out.getvalue()
    assert demo.DEFAULT_PASSWORD in out.getvalue()


def test_full_scale_plan_gives_about_3000_students():
    total = sum(
        len(demo.STAGE_GRADES[spec.stage]) * spec.classes_per_grade * spec.class_size
        for county in demo.DEMO_COUNTIES
        for spec in county.schools
    )
    assert 2700 <= total <= 3300
