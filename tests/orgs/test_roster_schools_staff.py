"""The schools and staff sections of the roster import: parser, service, page and command."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from mhcare.accounts import approvals
from mhcare.accounts.models import GrantStatus, Role, RoleAssignment, User
from mhcare.audit.models import Action, AuditEvent
from mhcare.core.spreadsheets import EXAMPLE_HEADER
from mhcare.orgs import importers, services
from mhcare.orgs.importers import (
    ERROR_BOARDING,
    ERROR_CAMPUSES,
    ERROR_CLASS_NOT_FOR_ROLE,
    ERROR_CLASS_REQUIRED,
    ERROR_COUNTY_CODE,
    ERROR_EMAIL,
    ERROR_ENROLLED,
    ERROR_HOMEROOM_CONFLICT,
    ERROR_MISSING_COLUMN,
    ERROR_PHONE,
    ERROR_REQUIRED,
    ERROR_ROLE,
    ERROR_ROLE_NOT_SCHOOL,
    ERROR_SCHOOL_CODE,
    ERROR_SCHOOL_CONFLICT,
    ERROR_STAFF_CONFLICT,
    ERROR_STAGE,
    ERROR_USERNAME,
)
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass, Student
from mhcare.orgs.services import (
    ERROR_CODE_NOT_A_SCHOOL,
    ERROR_NOT_A_COUNTY,
    ERROR_NOT_A_SCHOOL,
    ERROR_SCHOOL_MOVED,
    ERROR_SHEET_NOT_ALLOWED,
    ERROR_UNKNOWN_CLASS,
    ERROR_USER_ELSEWHERE,
    ERROR_USER_PROTECTED,
)
from tests import factories

TODAY = datetime.date(2026, 10, 1)
SCHOOLS_HEADER = "学校代码,学校名称,区县代码,学段,校区数,在校生数,寄宿"
SCHOOLS = "\n".join(
    [
        SCHOOLS_HEADER,
        "3301069001,西湖区示范小学,330106,小学,1,1200,否",
        "3301069002,西湖区实验学校,330106,九年一贯制,2,900,是",
        "3301029001,上城区高级中学,330102,senior,,,yes",
    ]
).encode()
STAFF_HEADER = "用户名,姓名,邮箱,手机,角色,班级"
STUDENTS_HEADER = "班级,年级,学籍号,姓名,性别,出生日期"


def parse(data, name="roster.csv"):
    rows, errors = importers.parse_roster(data, name)
    assert errors == []
    return rows


def messages(errors):
    return {(e.sheet, e.row, e.column, e.message) for e in errors}


def staff_csv(*lines):
    return "\n".join([STAFF_HEADER, *lines]).encode()


def workbook(**sheets):
    """An .xlsx with one sheet per keyword (title → list of rows, the first is the header)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def superuser():
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


# ---------------------------------------------------------------- parsing


def test_schools_sheet_accepts_chinese_stages_codes_and_boarding_words():
    rows = parse(SCHOOLS, "schools.csv")
    first, second, third = rows.schools
    assert (first.code, first.county_code, first.stage) == ("3301069001", "330106", "primary")
    assert (first.campuses, first.enrolled, first.is_boarding) == (1, 1200, False)
    assert (second.stage, second.campuses, second.is_boarding) == ("nine_year", 2, True)
    assert (third.stage, third.campuses, third.enrolled, third.is_boarding) == (
        "senior",
        None,
        None,
        True,
    )
    assert rows.needs_school is False


def test_every_schools_error_kind_is_reported_with_row_and_column():
    data = "\n".join(
        [
            SCHOOLS_HEADER,
            "33-01,,33010,大学,0,-5,也许",
            "3301069001,西湖区示范小学,330106,小学,1,1200,否",
            "3301069001,西湖区示范小学,330106,初中,1,1200,否",
            "3301069003,某校,330106,完全中学,100,100001,1",
        ]
    ).encode()
    _, errors = importers.parse_roster(data, "schools.csv")
    assert messages(errors) == {
        ("schools", 2, "学校代码 School code", str(ERROR_SCHOOL_CODE)),
        ("schools", 2, "学校名称 School name", str(ERROR_REQUIRED)),
        ("schools", 2, "区县代码 County code", str(ERROR_COUNTY_CODE)),
        ("schools", 2, "学段 Stage", str(ERROR_STAGE)),
        ("schools", 2, "校区数 Campuses", str(ERROR_CAMPUSES)),
        ("schools", 2, "在校生数 Enrolled", str(ERROR_ENROLLED)),
        ("schools", 2, "寄宿 Boarding", str(ERROR_BOARDING)),
        ("schools", 4, "学校代码 School code", str(ERROR_SCHOOL_CONFLICT % {"row": 3})),
        ("schools", 5, "校区数 Campuses", str(ERROR_CAMPUSES)),
        ("schools", 5, "在校生数 Enrolled", str(ERROR_ENROLLED)),
    }


def test_schools_sheet_missing_a_required_column():
    _, errors = importers.parse_roster("学校代码,学校名称,学段\n1,2,小学\n".encode(), "schools.csv")
    assert messages(errors) == {
        ("schools", 1, "区县代码 County code", str(ERROR_MISSING_COLUMN)),
    }


def test_staff_sheet_accepts_chinese_roles_codes_and_one_user_with_two_roles():
    rows = parse(
        staff_csv(
            "wangfang,王芳,wangfang@example.com,139-0000-0000,班主任,八(1)班",
            "wangfang,王芳,wangfang@example.com,13900000000,subject_teacher,八(2)班",
            "wangfang,王芳,wangfang@example.com,13900000000,subject_teacher,八(2)班",
            "lijun,李军,,,心理教师,",
            "zhaolei,赵磊,,,School leader,",
        ),
        "staff.csv",
    )
    assert [(s.username, s.role, s.class_name) for s in rows.staff] == [
        ("wangfang", "homeroom_teacher", "八(1)班"),
        ("wangfang", "subject_teacher", "八(2)班"),
        ("lijun", "psych_teacher", ""),
        ("zhaolei", "school_leader", ""),
    ]
    assert rows.staff[0].phone == "13900000000"


def test_every_staff_error_kind_is_reported_with_row_and_column():
    data = staff_csv(
        "bad name!,王芳,not-an-email,12ab,班主任,",
        ",,,13800000000,,",
        "lijun,李军,,,县心理中心,",
        "center,赵中心,,,county_center,",
        "official,钱局长,,,official,",
        "root2,孙管理,,,platform_admin,",
        "lijun,李军,,,心理教师,八(1)班",
        "zhou,周老师,zhou@example.com,,学科教师,八(1)班",
        "zhou,周先生,zhou@example.com,,学科教师,八(2)班",
    )
    _, errors = importers.parse_roster(data, "staff.csv")
    username, name, role, klass = (
        "用户名 Username",
        "姓名 Display name",
        "角色 Role",
        "班级 Class",
    )
    assert messages(errors) == {
        ("staff", 2, username, str(ERROR_USERNAME)),
        ("staff", 2, "邮箱 Email", str(ERROR_EMAIL)),
        ("staff", 2, "手机 Phone", str(ERROR_PHONE)),
        ("staff", 2, klass, str(ERROR_CLASS_REQUIRED)),
        ("staff", 4, role, str(ERROR_ROLE)),
        ("staff", 5, role, str(ERROR_ROLE_NOT_SCHOOL)),
        ("staff", 6, role, str(ERROR_ROLE_NOT_SCHOOL)),
        ("staff", 7, role, str(ERROR_ROLE_NOT_SCHOOL)),
        ("staff", 8, klass, str(ERROR_CLASS_NOT_FOR_ROLE)),
        ("staff", 10, username, str(ERROR_STAFF_CONFLICT % {"row": 9})),
    } | {("staff", 3, c, str(ERROR_REQUIRED)) for c in (username, name, role)}


def test_a_class_keeps_one_homeroom_teacher_across_sheets():
    data = workbook(
        **{
            "班级 classes": [["班级", "年级", "班主任账号"], ["八(3)班", 8, "homeroom_a"]],
            "教职工 staff": [
                ["用户名", "姓名", "角色", "班级"],
                ["homeroom_a", "班主任甲", "班主任", "八(3)班"],
                ["wangfang", "王芳", "班主任", "八(3)班"],
            ],
        }
    )
    _, errors = importers.parse_roster(data, "roster.xlsx")
    assert messages(errors) == {
        (
            "staff",
            3,
            "班级 Class",
            str(ERROR_HOMEROOM_CONFLICT % {"name": "八(3)班", "sheet": "classes", "row": 2}),
        )
    }


def test_a_csv_is_recognised_by_its_columns_before_its_name():
    data = f"{STUDENTS_HEADER}\n八(1)班,8,G330106201300000001,张小明,男,2013-03-14\n".encode()
    assert len(parse(data, "school_roster.csv").students) == 1
    assert len(parse(staff_csv("lijun,李军,,,心理教师,"), "export.csv").staff) == 1
    assert len(parse(SCHOOLS, "list.csv").schools) == 3


def test_templates_per_audience_have_bilingual_headers_and_parse_cleanly():
    school_staff = load_workbook(io.BytesIO(importers.template_workbook()))
    assert school_staff.sheetnames == ["学生 students", "班级 classes", "教职工 staff"]
    assert [c.value for c in school_staff["教职工 staff"][1]] == [
        "用户名 Username",
        "姓名 Display name",
        "邮箱 Email",
        "手机 Phone",
        "角色 Role",
        "班级 Class",
        EXAMPLE_HEADER,
    ]
    everything = importers.template_workbook(importers.SHEETS)
    book = load_workbook(io.BytesIO(everything))
    assert book["学校 schools"]["A1"].value == "学校代码 School code"
    # the examples are never imported; their values, typed into rows of their own, parse
    for sheet in book.worksheets:
        sheet.append([c.value for c in sheet[2]][:-1])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = parse(buffer.getvalue(), "template.xlsx")
    assert [s.code for s in rows.schools] == ["3301069001"]
    assert [(s.username, s.role, s.class_name) for s in rows.staff] == [
        ("wangfang", "homeroom_teacher", "八(1)班")
    ]
    assert len(rows.students) == 1
    assert [c.name for c in rows.classes] == ["八(1)班"]


# ---------------------------------------------------------------- schools: the service


def test_admin_imports_schools_with_the_path_save_would_compute(world):
    result = services.roster_import(
        actor=world.users["admin"], school=None, rows=parse(SCHOOLS), source="schools.csv"
    )
    assert result.ok
    assert result.created == {"schools": 3}
    new = OrgUnit.objects.get(code="3301069002")
    assert (new.kind, new.parent, new.stage) == (OrgKind.SCHOOL, world.county_a, "nine_year")
    assert (new.campus_count, new.enrolled_count, new.is_boarding) == (2, 900, True)
    path, depth = new.path, new.depth
    new.save()
    assert (new.path, new.depth) == (path, depth) == (f"{world.county_a.path}3301069002/", 3)
    third = OrgUnit.objects.get(code="3301029001")
    assert (third.parent, third.campus_count, third.enrolled_count) == (world.county_b, 1, 0)
    assert OrgUnit.objects.within(world.county_a).schools().count() == 2 + 2
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_username) == (Action.CREATE, "admin")
    assert event.detail["operation"] == "school_import"
    assert event.detail["created"] == {"schools": 3}


def test_schools_import_twice_changes_nothing_and_updates_what_changed(world):
    admin = world.users["admin"]
    services.roster_import(actor=admin, school=None, rows=parse(SCHOOLS))
    count = OrgUnit.objects.count()
    again = services.roster_import(actor=admin, school=None, rows=parse(SCHOOLS))
    assert (again.created, again.updated) == ({"schools": 0}, {"schools": 0})
    assert OrgUnit.objects.count() == count
    assert AuditEvent.objects.filter(action=Action.UPDATE).count() == 1
    changed = SCHOOLS.replace("2,900,是".encode(), "3,,是".encode())
    result = services.roster_import(actor=admin, school=None, rows=parse(changed))
    assert result.updated == {"schools": 1}
    school = OrgUnit.objects.get(code="3301069002")
    assert (school.campus_count, school.enrolled_count) == (3, 900)  # empty cell keeps the value


def test_an_existing_school_is_updated_by_code(world):
    data = f"{SCHOOLS_HEADER}\n{world.school_a.code},西湖第一中学,330106,完全中学,,,是\n".encode()
    result = services.roster_import(actor=world.users["admin"], school=None, rows=parse(data))
    assert result.updated == {"schools": 1}
    school = OrgUnit.objects.get(pk=world.school_a.pk)
    assert (school.name, school.stage, school.is_boarding) == (
        "西湖第一中学",
        "complete_secondary",
        True,
    )
    assert school.path == world.school_a.path


def test_schools_errors_need_the_database_and_fail_the_whole_file(world):
    data = "\n".join(
        [
            SCHOOLS_HEADER,
            "3301069001,西湖区示范小学,330106,小学,1,1200,否",
            f"3301069004,市属学校,{world.city.code}01,小学,,,",
            "3301069005,没有的县,339999,小学,,,",
            f"{world.county_b.code}99,ok,330106,小学,,,",
            f"{world.county_b.code},县当学校,330106,小学,,,",
            f"{world.school_b.code},搬家,330106,初中,,,",
        ]
    ).encode()
    result = services.roster_import(actor=world.users["admin"], school=None, rows=parse(data))
    county, code = "区县代码 County code", "学校代码 School code"
    assert messages(result.errors) == {
        ("schools", 3, county, str(ERROR_NOT_A_COUNTY)),
        ("schools", 4, county, str(ERROR_NOT_A_COUNTY)),
        ("schools", 6, code, str(ERROR_CODE_NOT_A_SCHOOL)),
        ("schools", 7, county, str(ERROR_SCHOOL_MOVED)),
    }
    assert not OrgUnit.objects.filter(code__in=["3301069001", f"{world.county_b.code}99"]).exists()
    assert OrgUnit.objects.get(pk=world.school_b.pk).parent == world.county_b
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("who", ["psych_a", "leader_a", "center_a", "official_province"])
def test_only_platform_admins_import_schools(world, who):
    result = services.roster_import(actor=world.users[who], school=None, rows=parse(SCHOOLS))
    assert messages(result.errors) == {("schools", 0, "", str(ERROR_SHEET_NOT_ALLOWED))}
    assert not OrgUnit.objects.filter(code="3301069001").exists()


def test_a_superuser_imports_schools(world):
    result = services.roster_import(actor=superuser(), school=None, rows=parse(SCHOOLS))
    assert result.created == {"schools": 3}


# ---------------------------------------------------------------- staff: the service


def test_staff_import_creates_users_assignments_and_the_homeroom_teacher(world):
    data = staff_csv(
        "wangfang,王芳,wangfang@example.com,13900000000,班主任,八(1)班",
        "wangfang,王芳,wangfang@example.com,13900000000,学科教师,八(2)班",
        "lijun,李军,,,心理教师,",
        "homeroom_a,班主任甲,,13700000000,校领导,",
    )
    result = services.roster_import(
        actor=world.users["psych_a"], school=world.school_a, rows=parse(data), today=TODAY
    )
    assert result.ok
    assert result.created["users"] == 2
    assert result.updated["users"] == 1
    assert result.created["assignments"] == 4
    # The grants wait for the school's leader (sod): no homeroom teacher on record yet.
    assert result.updated["classes"] == 0
    wang = User.objects.get(username="wangfang")
    assert (wang.display_name, wang.email, wang.phone) == (
        "王芳",
        "wangfang@example.com",
        "13900000000",
    )
    assert not wang.has_usable_password()
    assert set(
        RoleAssignment.objects.filter(user=wang).values_list(
            "role", "org_unit", "klass__name", "status", "is_active"
        )
    ) == {
        (Role.HOMEROOM_TEACHER, world.school_a.pk, "八(1)班", GrantStatus.PENDING, False),
        (Role.SUBJECT_TEACHER, world.school_a.pk, "八(2)班", GrantStatus.PENDING, False),
    }
    assert SchoolClass.objects.get(pk=world.class_a.pk).homeroom_teacher != wang
    assert RoleAssignment.objects.get(user__username="lijun").role == Role.PSYCH_TEACHER
    homeroom = User.objects.get(username="homeroom_a")
    assert (homeroom.display_name, homeroom.phone) == ("班主任甲", "13700000000")
    assert homeroom.has_usable_password()  # an update never touches the password
    event = AuditEvent.objects.get(object_type="orgs.orgunit")
    assert (event.action, event.object_id) == (Action.CREATE, str(world.school_a.pk))
    assert event.detail["users_created"] == ["lijun", "wangfang"]
    assert event.detail["created"]["assignments"] == 4
    assert AuditEvent.objects.filter(detail__grant="requested").count() == 4
    # when the leader approves the batch
    pending = RoleAssignment.objects.filter(status=GrantStatus.PENDING)
    approvals.assignment_decide_many(
        actor=world.users["leader_a"], ids=pending.values_list("pk", flat=True), approve=True
    )
    # then
    assert not RoleAssignment.objects.filter(status=GrantStatus.PENDING).exists()
    assert SchoolClass.objects.get(pk=world.class_a.pk).homeroom_teacher == wang


def test_staff_import_twice_adds_nothing(world):
    data = staff_csv("wangfang,王芳,,,班主任,八(1)班", "lijun,李军,,,心理教师,")
    actor = world.users["leader_a"]
    services.roster_import(actor=actor, school=world.school_a, rows=parse(data), today=TODAY)
    counts = (User.objects.count(), RoleAssignment.objects.count())
    again = services.roster_import(
        actor=actor, school=world.school_a, rows=parse(data), today=TODAY
    )
    assert again.created == {
        "users": 0,
        "classes": 0,
        "students": 0,
        "guardians": 0,
        "assignments": 0,
    }
    assert again.updated == {
        "users": 0,
        "classes": 0,
        "students": 0,
        "guardians": 0,
        "assignments": 0,
    }
    assert (User.objects.count(), RoleAssignment.objects.count()) == counts
    assert AuditEvent.objects.filter(action=Action.UPDATE).count() == 1


def test_an_inactive_assignment_named_again_is_reactivated(world):
    assignment = RoleAssignment.objects.get(user=world.users["homeroom_a"])
    assignment.is_active = False
    assignment.save()
    data = staff_csv("homeroom_a,班主任甲,,,班主任,八(1)班")
    result = services.roster_import(
        actor=world.users["psych_a"], school=world.school_a, rows=parse(data), today=TODAY
    )
    assert (result.created["assignments"], result.updated["assignments"]) == (0, 1)
    reopened = RoleAssignment.objects.get(pk=assignment.pk)
    assert (reopened.is_active, reopened.status) == (False, GrantStatus.PENDING)
    approvals.assignment_approve(actor=world.users["leader_a"], assignment=reopened)
    assert RoleAssignment.objects.get(pk=assignment.pk).is_active


def test_staff_class_may_come_from_the_same_workbook(world):
    data = workbook(
        **{
            "班级 classes": [["班级", "年级", "班主任账号"], ["九(5)班", 9, "wangfang"]],
            "学生 students": [
                STUDENTS_HEADER.split(","),
                ["七(2)班", 7, "G330106201400000201", "钱七", "女", "2014-02-01"],
            ],
            "教职工 staff": [
                ["用户名", "姓名", "角色", "班级"],
                ["wangfang", "王芳", "班主任", "九(5)班"],
                ["zhou", "周老师", "学科教师", "七(2)班"],
            ],
        }
    )
    result = services.roster_import(
        actor=world.users["psych_a"], school=world.school_a, rows=parse(data, "r.xlsx"), today=TODAY
    )
    assert result.ok
    klass = SchoolClass.objects.get(school=world.school_a, name="九(5)班")
    assert klass.homeroom_teacher is None  # until the leader approves the grant (sod)
    grant = RoleAssignment.objects.get(user__username="wangfang", klass=klass)
    approvals.assignment_approve(actor=world.users["leader_a"], assignment=grant)
    klass.refresh_from_db()
    assert klass.homeroom_teacher.username == "wangfang"
    assert (
        RoleAssignment.objects.filter(
            user__username="wangfang", role=Role.HOMEROOM_TEACHER, klass=klass
        ).count()
        == 1
    )
    assert RoleAssignment.objects.filter(user__username="zhou", klass__name="七(2)班").exists()


def test_staff_errors_need_the_database(world):
    root = superuser()
    data = staff_csv(
        "psych_b,冒名,,,心理教师,",
        "center_a,冒名,,,校领导,",
        f"{root.username},冒名,,,校领导,",
        "wangfang,王芳,,,班主任,十(9)班",
        "zhou,周老师,,,学科教师,八(1)班",
    )
    result = services.roster_import(
        actor=world.users["psych_a"], school=world.school_a, rows=parse(data), today=TODAY
    )
    username = "用户名 Username"
    assert messages(result.errors) == {
        ("staff", 2, username, str(ERROR_USER_ELSEWHERE)),
        ("staff", 3, username, str(ERROR_USER_ELSEWHERE)),
        ("staff", 4, username, str(ERROR_USER_PROTECTED)),
        ("staff", 5, "班级 Class", str(ERROR_UNKNOWN_CLASS)),
    }
    assert not User.objects.filter(username__in=["wangfang", "zhou"]).exists()
    assert User.objects.get(username="psych_b").display_name != "冒名"
    assert not RoleAssignment.objects.filter(org_unit=world.school_a, user__username="psych_b")
    assert not AuditEvent.objects.exists()


def test_a_class_of_another_school_year_does_not_count(world):
    last_year = factories.SchoolYearFactory(
        name="2025-2026", start=datetime.date(2025, 9, 1), end=datetime.date(2026, 8, 31)
    )
    factories.SchoolClassFactory(school=world.school_a, school_year=last_year, name="九(9)班")
    data = staff_csv("zhou,周老师,,,学科教师,九(9)班")
    result = services.roster_import(
        actor=world.users["psych_a"], school=world.school_a, rows=parse(data), today=TODAY
    )
    assert [e.message for e in result.errors] == [str(ERROR_UNKNOWN_CLASS)]


def test_one_bad_staff_row_stores_nothing_of_any_sheet(world):
    data = workbook(
        **{
            "班级 classes": [["班级", "年级", "班主任账号"], ["九(5)班", 9, ""]],
            "学生 students": [
                STUDENTS_HEADER.split(","),
                ["九(5)班", 9, "G330106201200000301", "孙九", "男", "2012-02-01"],
            ],
            "教职工 staff": [
                ["用户名", "姓名", "角色", "班级"],
                ["wangfang", "王芳", "班主任", "九(5)班"],
                ["psych_b", "冒名", "心理教师", ""],
            ],
        }
    )
    result = services.roster_import(
        actor=world.users["psych_a"], school=world.school_a, rows=parse(data, "r.xlsx"), today=TODAY
    )
    assert [(e.sheet, e.row, e.message) for e in result.errors] == [
        ("staff", 3, str(ERROR_USER_ELSEWHERE))
    ]
    assert not SchoolClass.objects.filter(name="九(5)班").exists()
    assert not Student.objects.filter(student_number="G330106201200000301").exists()
    assert not User.objects.filter(username="wangfang").exists()


def test_a_bad_staff_row_also_stops_the_schools_sheet(world):
    data = workbook(
        **{
            "学校 schools": [
                SCHOOLS_HEADER.split(","),
                ["3301069001", "示范小学", "330106", "小学"],
            ],
            "教职工 staff": [["用户名", "姓名", "角色"], ["psych_b", "冒名", "心理教师"]],
        }
    )
    result = services.roster_import(
        actor=superuser(), school=world.school_a, rows=parse(data, "r.xlsx"), today=TODAY
    )
    assert [e.message for e in result.errors] == [str(ERROR_USER_ELSEWHERE)]
    assert not OrgUnit.objects.filter(code="3301069001").exists()


def test_a_psych_teacher_cannot_import_staff_into_another_school(world):
    with pytest.raises(PermissionDenied):
        services.roster_import(
            actor=world.users["psych_a"],
            school=world.school_b,
            rows=parse(staff_csv("wangfang,王芳,,,心理教师,")),
            today=TODAY,
        )
    assert not User.objects.filter(username="wangfang").exists()


@pytest.mark.parametrize("who", ["homeroom_a", "center_a", "official_a"])
def test_roles_without_import_rights_cannot_import_staff(world, who):
    with pytest.raises(PermissionDenied):
        services.roster_import(
            actor=world.users[who],
            school=world.school_a,
            rows=parse(staff_csv("wangfang,王芳,,,心理教师,")),
            today=TODAY,
        )
    assert not User.objects.filter(username="wangfang").exists()


def test_a_platform_admin_imports_staff_anywhere_but_not_students(world):
    admin = world.users["admin"]
    result = services.roster_import(
        actor=admin,
        school=world.school_b,
        rows=parse(staff_csv("lijun,李军,,,校领导,")),
        today=TODAY,
    )
    assert result.created["users"] == 1
    assert RoleAssignment.objects.get(user__username="lijun").org_unit == world.school_b
    students = f"{STUDENTS_HEADER}\n八(1)班,8,G330106201300000401,钱八,男,2013-01-01\n".encode()
    result = services.roster_import(actor=admin, school=world.school_b, rows=parse(students))
    assert messages(result.errors) == {("students", 0, "", str(ERROR_SHEET_NOT_ALLOWED))}
    assert not Student.objects.filter(student_number="G330106201300000401").exists()


def test_staff_without_a_school_is_an_error(world):
    result = services.roster_import(
        actor=world.users["admin"], school=None, rows=parse(staff_csv("lijun,李军,,,校领导,"))
    )
    assert [e.message for e in result.errors] == [str(ERROR_NOT_A_SCHOOL)]


# ---------------------------------------------------------------- the page and the command


def upload(data, name):
    return SimpleUploadedFile(name, data)


def test_admin_page_takes_a_school_code_and_offers_schools_and_staff(client, world):
    client.force_login(world.users["admin"])
    page = client.get(reverse("orgs:roster_import"))
    assert page.status_code == 200
    assert page.context["sheets"] == ("schools", "staff")
    assert page.context["form"].fields["school"].widget.input_type == "text"
    template = client.get(reverse("orgs:roster_template"))
    assert load_workbook(io.BytesIO(template.content)).sheetnames == [
        "学校 schools",
        "教职工 staff",
    ]
    response = client.post(
        reverse("orgs:roster_import"), {"school": "", "file": upload(SCHOOLS, "s.csv")}
    )
    assert response.status_code == 302
    assert OrgUnit.objects.filter(code="3301069001").exists()
    response = client.post(
        reverse("orgs:roster_import"),
        {"school": world.school_b.code, "file": upload(staff_csv("lijun,李军,,,校领导,"), "t.csv")},
        follow=True,
    )
    assert response.status_code == 200
    assert RoleAssignment.objects.get(user__username="lijun").org_unit == world.school_b


def test_teacher_page_mentions_the_password_reset_and_refuses_a_schools_file(client, world):
    client.force_login(world.users["psych_a"])
    page = client.get(reverse("orgs:roster_import"))
    assert page.context["sheets"] == ("students", "classes", "staff")
    assert "password reset" in page.content.decode()
    template = client.get(reverse("orgs:roster_template"))
    assert "学校 schools" not in load_workbook(io.BytesIO(template.content)).sheetnames
    response = client.post(
        reverse("orgs:roster_import"),
        {"school": world.school_a.pk, "file": upload(SCHOOLS, "schools.csv")},
    )
    assert response.status_code == 400
    assert str(ERROR_SHEET_NOT_ALLOWED) in response.content.decode()
    assert not OrgUnit.objects.filter(code="3301069001").exists()


def test_teacher_imports_staff_through_the_page(client, world):
    client.force_login(world.users["leader_a"])
    response = client.post(
        reverse("orgs:roster_import"),
        {"school": world.school_a.pk, "file": upload(staff_csv("lijun,李军,,,心理教师,"), "t.csv")},
        follow=True,
    )
    assert response.status_code == 200
    assert RoleAssignment.objects.get(user__username="lijun").role == Role.PSYCH_TEACHER


def test_import_roster_command_for_schools_and_staff(world, tmp_path):
    schools = tmp_path / "schools.csv"
    schools.write_bytes(SCHOOLS)
    call_command("import_roster", str(schools))
    assert OrgUnit.objects.schools().filter(code__startswith="33010690").count() == 2
    staff = tmp_path / "staff.csv"
    staff.write_bytes(staff_csv("lijun,李军,,,心理教师,"))
    with pytest.raises(CommandError):
        call_command("import_roster", str(staff))
    assert not User.objects.filter(username="lijun").exists()
    call_command("import_roster", str(staff), school=world.school_a.code)
    assert RoleAssignment.objects.get(user__username="lijun").org_unit == world.school_a
