"""The roster's sections and columns, the values they accept, the limits the database sets,
and the rows a file is parsed into."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.models import Role, User
from mhcare.core.imports.headers import match_header
from mhcare.orgs.models import (
    Disadvantage,
    Gender,
    Guardian,
    GuardianRelation,
    OrgUnit,
    SchoolClass,
    SchoolStage,
    Student,
)

SHEET_SCHOOLS = "schools"
SHEET_CLASSES = "classes"
SHEET_STUDENTS = "students"
SHEET_STAFF = "staff"
# The order sections are written in (a staff row may name a class of the classes sheet).
SHEETS = (SHEET_SCHOOLS, SHEET_CLASSES, SHEET_STUDENTS, SHEET_STAFF)

ERROR_UNREADABLE = _("The file could not be read as an Excel workbook or a CSV file.")
ERROR_NO_SHEET = _("No sheet of schools, classes, students or staff was found; use the template.")
ERROR_MISSING_COLUMN = _("This column is missing.")
ERROR_REQUIRED = _("This field is required.")
ERROR_TOO_LONG = _("This value is too long (at most %(max)s characters).")
ERROR_GRADE = _("Enter a grade from 1 to 12.")
ERROR_GENDER = _("Enter 男 / 女 (M / F).")
ERROR_DATE = _("Enter a date such as 2012-05-01.")
ERROR_DATE_RANGE = _("This birth date is not plausible for a student.")
ERROR_STUDENT_NUMBER = _("A student number has 6 to 32 letters and digits.")
ERROR_RELATION = _(
    "Enter the relation: father, mother, grandparent or other (父亲 / 母亲 / 祖父母 / 其他)."
)
ERROR_PHONE = _("Enter a phone number of digits (7 to 20).")
ERROR_GUARDIAN_INCOMPLETE = _("A guardian needs a name, a relation and a phone number.")
ERROR_DISADVANTAGE = _("Unknown disadvantage flag: %(value)s.")
ERROR_STUDENT_CONFLICT = _("The same student number has different data in row %(row)s.")
ERROR_CLASS_GRADE_CONFLICT = _("Class %(name)s has grade %(grade)s in row %(row)s.")
ERROR_NO_ROWS = _("The file contains no data rows.")
ERROR_SCHOOL_CODE = _("A school code has 4 to 32 letters and digits.")
ERROR_COUNTY_CODE = _("A county code has 6 digits.")
ERROR_STAGE = _(
    "Enter the stage: 小学 / 初中 / 高中 / 九年一贯制 / 完全中学 / 十二年一贯制 "
    "(primary / junior / senior / nine_year / complete_secondary / twelve_year)."
)
ERROR_CAMPUSES = _("Enter a number of campuses from 1 to 99.")
ERROR_ENROLLED = _("Enter a number of enrolled students from 0 to 100000.")
ERROR_BOARDING = _("Enter 是 / 否 (yes / no, 1 / 0).")
ERROR_SCHOOL_CONFLICT = _("The same school code has different data in row %(row)s.")
ERROR_USERNAME = _("A user name has at most 150 letters, digits and @ . + - _ characters.")
ERROR_EMAIL = _("Enter a valid e-mail address.")
ERROR_ROLE = _("Enter the role: 心理教师 / 班主任 / 学科教师 / 校领导.")
ERROR_ROLE_NOT_SCHOOL = _(
    "Only school roles can be imported here (心理教师 / 班主任 / 学科教师 / 校领导)."
)
ERROR_CLASS_REQUIRED = _("A homeroom or subject teacher needs a class.")
ERROR_CLASS_NOT_FOR_ROLE = _("Only homeroom and subject teachers are assigned to a class.")
ERROR_STAFF_CONFLICT = _("The same user name has a different name, e-mail or phone in row %(row)s.")
ERROR_HOMEROOM_CONFLICT = _(
    "Class %(name)s has another homeroom teacher in sheet %(sheet)s, row %(row)s."
)


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = True
    aliases: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"


STUDENT_COLUMNS: tuple[Column, ...] = (
    Column("class_name", "班级", "Class"),
    Column("grade", "年级", "Grade"),
    Column(
        "student_number",
        "学籍号",
        "Student number",
        aliases=("全国学籍号", "学号", "学籍号码", "全国学籍号码", "学生学籍号", "学籍编号"),
    ),
    Column("name", "姓名", "Name", aliases=("学生姓名", "student name")),
    Column("gender", "性别", "Gender"),
    Column("birth_date", "出生日期", "Birth date", aliases=("生日", "date of birth")),
    Column("guardian_name", "监护人姓名", "Guardian name", required=False, aliases=("家长姓名",)),
    Column("guardian_relation", "监护人关系", "Relation", required=False, aliases=("关系",)),
    Column("guardian_phone", "监护人电话", "Guardian phone", required=False, aliases=("家长电话",)),
    Column("disadvantages", "处境不利", "Disadvantages", required=False, aliases=("处境不利情况",)),
)
CLASS_COLUMNS: tuple[Column, ...] = (
    Column("class_name", "班级", "Class"),
    Column("grade", "年级", "Grade"),
    Column(
        "homeroom_teacher",
        "班主任账号",
        "Homeroom teacher username",
        required=False,
        aliases=("班主任", "homeroom teacher"),
    ),
)
SCHOOL_COLUMNS: tuple[Column, ...] = (
    Column("school_code", "学校代码", "School code", aliases=("学校标识码", "代码", "code")),
    Column("school_name", "学校名称", "School name", aliases=("学校", "名称", "name")),
    Column("county_code", "区县代码", "County code", aliases=("县区代码", "区县", "county")),
    Column("stage", "学段", "Stage", aliases=("办学类型", "学校类型")),
    Column("campuses", "校区数", "Campuses", required=False, aliases=("校区",)),
    Column("enrolled", "在校生数", "Enrolled", required=False, aliases=("在校生", "学生数")),
    Column("boarding", "寄宿", "Boarding", required=False, aliases=("是否寄宿", "寄宿制")),
)
STAFF_COLUMNS: tuple[Column, ...] = (
    Column("username", "用户名", "Username", aliases=("账号", "登录名", "user name")),
    Column("display_name", "姓名", "Display name", aliases=("显示名", "name")),
    Column("email", "邮箱", "Email", required=False, aliases=("电子邮箱", "e-mail")),
    Column("phone", "手机", "Phone", required=False, aliases=("电话", "手机号", "联系电话")),
    Column("role", "角色", "Role", aliases=("岗位",)),
    Column("class_name", "班级", "Class", required=False, aliases=("任教班级", "所带班级")),
)
SHEET_COLUMNS = {
    SHEET_SCHOOLS: SCHOOL_COLUMNS,
    SHEET_CLASSES: CLASS_COLUMNS,
    SHEET_STUDENTS: STUDENT_COLUMNS,
    SHEET_STAFF: STAFF_COLUMNS,
}
SHEET_TITLES = {
    SHEET_SCHOOLS: "学校 schools",
    SHEET_CLASSES: "班级 classes",
    SHEET_STUDENTS: "学生 students",
    SHEET_STAFF: "教职工 staff",
}
GENDER_VALUES: dict[str, str] = {
    "男": Gender.MALE,
    "m": Gender.MALE,
    "male": Gender.MALE,
    "女": Gender.FEMALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
}
RELATION_VALUES: dict[str, str] = {
    "父亲": GuardianRelation.FATHER,
    "父": GuardianRelation.FATHER,
    "爸爸": GuardianRelation.FATHER,
    "母亲": GuardianRelation.MOTHER,
    "母": GuardianRelation.MOTHER,
    "妈妈": GuardianRelation.MOTHER,
    "祖父母": GuardianRelation.GRANDPARENT,
    "外祖父母": GuardianRelation.GRANDPARENT,
    "爷爷": GuardianRelation.GRANDPARENT,
    "奶奶": GuardianRelation.GRANDPARENT,
    "外公": GuardianRelation.GRANDPARENT,
    "外婆": GuardianRelation.GRANDPARENT,
    "其他": GuardianRelation.OTHER,
    "其他监护人": GuardianRelation.OTHER,
}
DISADVANTAGE_VALUES: dict[str, str] = {
    "学业困难": Disadvantage.ACADEMIC,
    "经济困难": Disadvantage.ECONOMIC,
    "家庭经济困难": Disadvantage.ECONOMIC,
    "人际关系不良": Disadvantage.PEER,
    "同伴关系不良": Disadvantage.PEER,
    "留守儿童": Disadvantage.LEFT_BEHIND,
    "单亲家庭": Disadvantage.SINGLE_PARENT,
    "家庭重大变故": Disadvantage.FAMILY_CHANGE,
    "残疾或慢性病": Disadvantage.DISABILITY,
    "遭受欺凌": Disadvantage.BULLIED,
}
STAGE_VALUES: dict[str, str] = {
    "小学": SchoolStage.PRIMARY,
    "初中": SchoolStage.JUNIOR,
    "初级中学": SchoolStage.JUNIOR,
    "高中": SchoolStage.SENIOR,
    "高级中学": SchoolStage.SENIOR,
    "九年一贯制": SchoolStage.NINE_YEAR,
    "九年一贯制学校": SchoolStage.NINE_YEAR,
    "完全中学": SchoolStage.COMPLETE_SECONDARY,
    "十二年一贯制": SchoolStage.TWELVE_YEAR,
    "十二年一贯制学校": SchoolStage.TWELVE_YEAR,
}
BOOLEAN_VALUES: dict[str, bool] = {
    "是": True,
    "否": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
}
# Every role is recognised, so that a county or admin role gets its own message.
ROLE_VALUES: dict[str, str] = {
    "心理教师": Role.PSYCH_TEACHER,
    "心理健康教师": Role.PSYCH_TEACHER,
    "心理老师": Role.PSYCH_TEACHER,
    "班主任": Role.HOMEROOM_TEACHER,
    "学科教师": Role.SUBJECT_TEACHER,
    "任课教师": Role.SUBJECT_TEACHER,
    "校领导": Role.SCHOOL_LEADER,
    "学校领导": Role.SCHOOL_LEADER,
    # English labels spelled out: the lazy labels below resolve in the language active at import
    "psychology teacher": Role.PSYCH_TEACHER,
    "homeroom teacher": Role.HOMEROOM_TEACHER,
    "subject teacher": Role.SUBJECT_TEACHER,
    "school leader": Role.SCHOOL_LEADER,
}
for _choices, _values in (
    (Gender, GENDER_VALUES),
    (GuardianRelation, RELATION_VALUES),
    (Disadvantage, DISADVANTAGE_VALUES),
    (SchoolStage, STAGE_VALUES),
    (Role, ROLE_VALUES),
):
    for _member in _choices:  # type: ignore[attr-defined]
        _values.setdefault(str(_member.value).lower(), _member)
        _values.setdefault(str(_member.label).lower(), _member)

STUDENT_NUMBER_RE = re.compile(r"^[A-Za-z0-9]{6,32}$")
PHONE_RE = re.compile(r"^\+?[0-9]{7,20}$")
LIST_SPLIT_RE = re.compile(r"[,，、;；/]+")
SCHOOL_CODE_RE = re.compile(r"^[A-Za-z0-9]{4,32}$")
COUNTY_CODE_RE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass
class ClassRow:
    row: int
    name: str
    grade: int
    homeroom_teacher: str = ""


@dataclass
class GuardianRow:
    row: int
    name: str
    relation: str
    phone: str


@dataclass
class StudentRow:
    row: int
    student_number: str
    name: str
    gender: str
    birth_date: datetime.date
    class_name: str
    grade: int
    disadvantages: list[str] = field(default_factory=list)
    guardians: list[GuardianRow] = field(default_factory=list)


@dataclass
class SchoolRow:
    row: int
    code: str
    name: str
    county_code: str
    stage: str
    # None: not given, so a new school gets the model's default and an existing one keeps its value
    campuses: int | None = None
    enrolled: int | None = None
    is_boarding: bool | None = None


@dataclass
class StaffRow:
    """One (user, role[, class]) line; a user with several roles has several rows."""

    row: int
    username: str
    display_name: str
    email: str
    phone: str
    role: str
    class_name: str = ""

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.display_name, self.email, self.phone)


@dataclass
class RosterRows:
    schools: list[SchoolRow] = field(default_factory=list)
    classes: list[ClassRow] = field(default_factory=list)
    students: list[StudentRow] = field(default_factory=list)
    staff: list[StaffRow] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(self.sheet(kind) for kind in SHEETS)

    def sheet(self, kind: str) -> list[Any]:
        return getattr(self, kind)  # type: ignore[no-any-return]

    @property
    def sheets(self) -> list[str]:
        """The sections this file has rows for."""
        return [kind for kind in SHEETS if self.sheet(kind)]

    @property
    def needs_school(self) -> bool:
        """Classes, students and staff are imported into one school; schools are not."""
        return bool(self.classes or self.students or self.staff)


def _message(template: Promise | str, **params: Any) -> str:
    text = str(template)
    return text % params if params else text


def _max_length(model: type[Any], name: str) -> int:
    return int(model._meta.get_field(name).max_length)


# Every length the database enforces, checked before anything is written.
MAX_LENGTHS: dict[str, int] = {
    "class_name": _max_length(SchoolClass, "name"),
    "student_number": _max_length(Student, "student_number"),
    "name": _max_length(Student, "name"),
    "guardian_name": _max_length(Guardian, "name"),
    "guardian_phone": _max_length(Guardian, "phone"),
    "school_code": _max_length(OrgUnit, "code"),
    "school_name": _max_length(OrgUnit, "name"),
    "county_code": _max_length(OrgUnit, "code"),
    "username": _max_length(User, "username"),
    "display_name": _max_length(User, "display_name"),
    "email": _max_length(User, "email"),
    "phone": _max_length(User, "phone"),
    "homeroom_teacher": _max_length(User, "username"),
}
# Columns that hold identifiers: text only (a number loses leading zeros and long digits).
IDENTIFIER_KEYS = frozenset(
    {"student_number", "guardian_phone", "phone", "school_code", "county_code"}
)


def _match_header(header: Any, columns: Iterable[Column]) -> Column | None:
    found = match_header([header], columns)
    return next((c for c in columns if c.key in found), None)


def _cell(value: Any) -> Any:
    """A non-identifier cell as the checks read it: Excel numbers typed into text columns
    without their ``.0``, date-times as dates; text is already normalised by the reader."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date()
    if value is None:
        return ""
    return value
