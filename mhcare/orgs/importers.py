"""Reading and validating a roster file (Excel or CSV): schools, classes, students with their
guardians, and staff.

Parsing never touches the database; checks that need it (a student number that belongs to another
school, an unknown homeroom teacher, a county code that is not a county, a user name taken by
another unit) are made by ``services.roster_import`` before it writes anything.
Every problem is reported as a ``RowError`` (sheet, row number as the spreadsheet shows it, column,
reason in the user's language); a file with any error stores nothing.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.models import CLASS_ROLES, SCHOOL_ROLES, Role, User
from mhcare.core.imports.limits import FileRefused
from mhcare.core.imports.normalise import excel_serial_date, normalize_text
from mhcare.core.imports.readers import (
    ERROR_UNKNOWN_SHEET,
    Sheet,
    find_header,
    identifier_problem,
    match_header,
    read_workbook,
)
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


# ---------------------------------------------------------------- reading files


def _sheet_kind(header: list[Any]) -> tuple[str | None, dict[str, int]]:
    """Which section a header row is, by its columns: the section with the most columns found
    (a students sheet has more of its columns than the class and grade it shares with a classes
    sheet, whatever one of its headers says), then the one whose required columns are all
    there, then the smaller section. None when fewer than two columns are known."""
    ranked = []
    for kind in SHEETS:
        columns = SHEET_COLUMNS[kind]
        found = match_header(header, columns)
        complete = all(c.key in found for c in columns if c.required)
        ranked.append(((len(found), complete, -len(columns)), kind, found))
    (count, _, _), kind, found = max(ranked, key=lambda r: r[0])
    if count < 2:
        return None, {}
    return kind, found


def _header_score(cells: list[Any]) -> int:
    return max(len(match_header(cells, SHEET_COLUMNS[kind])) for kind in SHEETS)


def parse_roster(upload: IO[bytes] | bytes, filename: str) -> tuple[RosterRows, list[RowError]]:
    """Parse and validate a roster file. Returns the rows and every error found: every sheet
    that holds data is read, or the file is refused naming it."""
    data = upload if isinstance(upload, bytes) else upload.read()
    try:
        sheets = read_workbook(data, filename)
        return _parse_sheets([(s.name, s.rows()) for s in sheets if s.has_data])
    except FileRefused as refusal:
        return RosterRows(), [RowError("", 0, "", refusal.message)]


def parse_tables(tables: dict[str, list[list[Any]]]) -> tuple[RosterRows, list[RowError]]:
    """Parse sheets given as lists of rows (the first row is row 1)."""
    named = []
    for name, table in tables.items():

        def numbered(table: list[list[Any]] = table) -> Iterator[tuple[int, list[Any]]]:
            return enumerate(table, start=1)

        named.append((name, Sheet(name, True, numbered).rows()))
    try:
        return _parse_sheets(named)
    except FileRefused as refusal:
        return RosterRows(), [RowError("", 0, "", refusal.message)]


def _parse_sheets(
    sheets: list[tuple[str, Iterator[tuple[int, list[Any]]]]],
) -> tuple[RosterRows, list[RowError]]:
    rows = RosterRows()
    errors: list[RowError] = []
    found = False
    unknown: list[RowError] = []
    for name, table in sheets:
        header_row, header, rest = find_header(table, _header_score)
        kind, index = _sheet_kind(header) if header_row else (None, {})
        if kind is None:
            # Never skipped in silence: a sheet of data no section claims refuses the file.
            unknown.append(RowError(name, 0, "", _message(ERROR_UNKNOWN_SHEET, sheet=name)))
            continue
        found = True
        records, sheet_errors = _records(kind, header_row, index, rest)
        errors += sheet_errors
        items, row_errors = SECTION_PARSERS[kind](records)
        rows.sheet(kind).extend(items)
        errors += row_errors
    if not found:
        return rows, [RowError("", 0, "", _message(ERROR_NO_SHEET))]
    if not errors and not rows:
        errors.append(RowError("", 0, "", _message(ERROR_NO_ROWS)))
    errors = unknown + errors
    if not errors:
        errors += _cross_check(rows)
    return rows, errors


def _records(
    kind: str, header_row: int, index: dict[str, int], table: Iterator[tuple[int, list[Any]]]
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """Rows as dicts by column key, with their spreadsheet row numbers (blank rows were skipped
    by the reader)."""
    columns = SHEET_COLUMNS[kind]
    errors = [
        RowError(kind, header_row, c.header, _message(ERROR_MISSING_COLUMN))
        for c in columns
        if c.required and c.key not in index
    ]
    if errors:
        return [], errors
    records = []
    for number, raw in table:
        values = {key: raw[pos] if pos < len(raw) else "" for key, pos in index.items()}
        if not any(v != "" and v is not None for v in values.values()):
            continue  # values only outside the columns of the section
        records.append((number, values))
    return records, []


class _RowChecker:
    """Collects the errors of one row; each ``get_*`` returns a clean value or None."""

    def __init__(self, sheet: str, row: int, values: dict[str, Any], columns: tuple[Column, ...]):
        self.sheet, self.row = sheet, row
        self.columns = {c.key: c for c in columns}
        self.errors: list[RowError] = []
        # Identifier cells Excel stored as numbers: reported once, then read as empty.
        self.refused: set[str] = set()
        self.values: dict[str, Any] = {}
        for key, value in values.items():
            if key in IDENTIFIER_KEYS:
                problem = identifier_problem(value)
                if problem is not None:
                    self.error(key, problem)
                    self.refused.add(key)
                    value = ""
                self.values[key] = value if isinstance(value, str) else normalize_text(value)
            elif key == "birth_date":
                self.values[key] = value
            else:
                self.values[key] = _cell(value)

    def error(self, key: str, template: Promise | str, **params: Any) -> None:
        if key in self.refused:
            return
        column = self.columns[key].header if key in self.columns else ""
        self.errors.append(RowError(self.sheet, self.row, column, _message(template, **params)))

    def text(self, key: str, *, max_length: int, required: bool = True) -> str:
        max_length = MAX_LENGTHS.get(key, max_length)
        value = str(self.values.get(key, "") or "").strip()
        if required and not value:
            self.error(key, ERROR_REQUIRED)
        elif len(value) > max_length:
            self.error(key, ERROR_TOO_LONG, max=max_length)
        return value

    def grade(self) -> int | None:
        raw = str(self.values.get("grade", "")).strip()
        if not raw:
            self.error("grade", ERROR_REQUIRED)
            return None
        match = re.fullmatch(r"(\d{1,2})(?:年级)?", raw)
        if not match or not 1 <= int(match.group(1)) <= 12:
            self.error("grade", ERROR_GRADE)
            return None
        return int(match.group(1))

    def choice(self, key: str, mapping: dict[str, Any], template: Promise) -> str | None:
        raw = str(self.values.get(key, "")).strip()
        if not raw:
            self.error(key, ERROR_REQUIRED)
            return None
        value = mapping.get(raw.lower())
        if value is None:
            self.error(key, template)
            return None
        return str(value)

    def integer(self, key: str, *, low: int, high: int, template: Promise) -> int | None:
        """An optional whole number; None when the cell is empty or wrong (wrong is reported)."""
        raw = str(self.values.get(key, "") or "").strip()
        if not raw:
            return None
        if not re.fullmatch(r"\d{1,9}", raw) or not low <= int(raw) <= high:
            self.error(key, template)
            return None
        return int(raw)

    def boolean(self, key: str) -> bool | None:
        raw = str(self.values.get(key, "") or "").strip().lower()
        if not raw:
            return None
        if raw not in BOOLEAN_VALUES:
            self.error(key, ERROR_BOARDING)
            return None
        return BOOLEAN_VALUES[raw]

    def phone(self, key: str, *, required: bool = True) -> str | None:
        """Digits only (spaces, dashes and brackets dropped); "" when optional and empty."""
        raw = str(self.values.get(key, "") or "").strip()
        if not raw:
            if required:
                self.error(key, ERROR_REQUIRED)
                return None
            return ""
        phone = re.sub(r"[\s\-()（）]", "", raw)
        if not PHONE_RE.match(phone):
            self.error(key, ERROR_PHONE)
            return None
        if len(phone) > MAX_LENGTHS[key]:
            self.error(key, ERROR_TOO_LONG, max=MAX_LENGTHS[key])
            return None
        return phone

    def date(self, key: str) -> datetime.date | None:
        raw = self.values.get(key, "")
        serial = excel_serial_date(raw)
        if isinstance(raw, datetime.datetime):
            value = raw.date()
        elif isinstance(raw, datetime.date):
            value = raw
        elif serial is not None:
            value = serial  # a date cell saved as a number (or its digits in a CSV)
        elif isinstance(raw, int | float):
            self.error(key, ERROR_DATE)
            return None
        else:
            text = str(raw).strip()
            if not text:
                self.error(key, ERROR_REQUIRED)
                return None
            parsed = _parse_date(text)
            if parsed is None:
                self.error(key, ERROR_DATE)
                return None
            value = parsed
        if not datetime.date(1990, 1, 1) <= value <= datetime.date(2030, 12, 31):
            self.error(key, ERROR_DATE_RANGE)
            return None
        return value


def _parse_date(text: str) -> datetime.date | None:
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:  # the usual 2013-03-14, without strptime's cost (100 000 rows)
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
    text = (
        text.replace("年", "-")
        .replace("月", "-")
        .replace("日", "")
        .replace("/", "-")
        .replace(".", "-")
    )
    text = text.split(" ")[0].strip("-")
    formats = ("%Y-%m-%d", "%Y%m%d")
    for fmt in formats:
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, not a time
        except ValueError:
            continue
    return None


def _students(records: list[tuple[int, dict[str, Any]]]) -> tuple[list[StudentRow], list[RowError]]:
    by_number: dict[str, StudentRow] = {}
    errors: list[RowError] = []
    for number, values in records:
        check = _RowChecker(SHEET_STUDENTS, number, values, STUDENT_COLUMNS)
        class_name = check.text("class_name", max_length=50)
        grade = check.grade()
        student_number = check.text("student_number", max_length=32)
        if 0 < len(student_number) <= 32 and not STUDENT_NUMBER_RE.match(student_number):
            check.error("student_number", ERROR_STUDENT_NUMBER)
        name = check.text("name", max_length=50)
        gender = check.choice("gender", GENDER_VALUES, ERROR_GENDER)
        birth_date = check.date("birth_date")
        flags: list[str] = []
        for token in LIST_SPLIT_RE.split(str(values.get("disadvantages", "") or "")):
            token = token.strip()
            if not token:
                continue
            flag = DISADVANTAGE_VALUES.get(token.lower())
            if flag is None:
                check.error("disadvantages", ERROR_DISADVANTAGE, value=token)
            elif str(flag) not in flags:
                flags.append(str(flag))
        guardian = _guardian(check, number)
        errors += check.errors
        if check.errors or grade is None or gender is None or birth_date is None:
            continue
        row = StudentRow(number, student_number, name, gender, birth_date, class_name, grade, flags)
        previous = by_number.get(student_number)
        if previous is None:
            by_number[student_number] = row
            previous = row
        elif _student_key(previous) != _student_key(row):
            check.error("student_number", ERROR_STUDENT_CONFLICT, row=previous.row)
            errors += check.errors
            continue
        else:
            previous.disadvantages += [f for f in flags if f not in previous.disadvantages]
        if guardian is not None:
            previous.guardians = [
                g
                for g in previous.guardians
                if (g.name, g.relation) != (guardian.name, guardian.relation)
            ] + [guardian]
    return list(by_number.values()), errors


def _student_key(row: StudentRow) -> tuple[Any, ...]:
    return (row.name, row.gender, row.birth_date, row.class_name, row.grade)


def _guardian(check: _RowChecker, number: int) -> GuardianRow | None:
    values = check.values
    given = [
        str(values.get(k, "") or "").strip()
        for k in ("guardian_name", "guardian_relation", "guardian_phone")
    ]
    if not any(given) or "guardian_phone" in check.refused:
        return None
    if not all(given):
        check.error("guardian_name", ERROR_GUARDIAN_INCOMPLETE)
        return None
    name = check.text("guardian_name", max_length=50)
    relation = check.choice("guardian_relation", RELATION_VALUES, ERROR_RELATION)
    phone = check.phone("guardian_phone")
    if relation is None or phone is None:
        return None
    return GuardianRow(number, name, relation, phone)


def _classes(records: list[tuple[int, dict[str, Any]]]) -> tuple[list[ClassRow], list[RowError]]:
    rows: list[ClassRow] = []
    errors: list[RowError] = []
    for number, values in records:
        check = _RowChecker(SHEET_CLASSES, number, values, CLASS_COLUMNS)
        name = check.text("class_name", max_length=50)
        grade = check.grade()
        teacher = check.text("homeroom_teacher", max_length=150, required=False)
        errors += check.errors
        if not check.errors and grade is not None:
            rows.append(ClassRow(number, name, grade, teacher))
    return rows, errors


def _schools(records: list[tuple[int, dict[str, Any]]]) -> tuple[list[SchoolRow], list[RowError]]:
    rows: list[SchoolRow] = []
    errors: list[RowError] = []
    for number, values in records:
        check = _RowChecker(SHEET_SCHOOLS, number, values, SCHOOL_COLUMNS)
        code = check.text("school_code", max_length=32)
        if code and not SCHOOL_CODE_RE.match(code):
            check.error("school_code", ERROR_SCHOOL_CODE)
        name = check.text("school_name", max_length=200)
        county_code = check.text("county_code", max_length=32)
        if county_code and not COUNTY_CODE_RE.match(county_code):
            check.error("county_code", ERROR_COUNTY_CODE)
        stage = check.choice("stage", STAGE_VALUES, ERROR_STAGE)
        campuses = check.integer("campuses", low=1, high=99, template=ERROR_CAMPUSES)
        enrolled = check.integer("enrolled", low=0, high=100_000, template=ERROR_ENROLLED)
        boarding = check.boolean("boarding")
        errors += check.errors
        if not check.errors and stage is not None:
            rows.append(
                SchoolRow(number, code, name, county_code, stage, campuses, enrolled, boarding)
            )
    unique, conflicts = _one_per_key(
        SHEET_SCHOOLS,
        rows,
        key=lambda r: r.code,
        same=lambda a, b: (
            (a.name, a.county_code, a.stage, a.campuses, a.enrolled, a.is_boarding)
            == (b.name, b.county_code, b.stage, b.campuses, b.enrolled, b.is_boarding)
        ),
        column=SCHOOL_COLUMNS[0].header,
        template=ERROR_SCHOOL_CONFLICT,
    )
    return unique, errors + conflicts


_USERNAME_VALIDATOR = UnicodeUsernameValidator()


def _staff(records: list[tuple[int, dict[str, Any]]]) -> tuple[list[StaffRow], list[RowError]]:
    rows: list[StaffRow] = []
    errors: list[RowError] = []
    for number, values in records:
        check = _RowChecker(SHEET_STAFF, number, values, STAFF_COLUMNS)
        username = check.text("username", max_length=150)
        if 0 < len(username) <= 150:
            try:
                _USERNAME_VALIDATOR(username)
            except ValidationError:
                check.error("username", ERROR_USERNAME)
        display_name = check.text("display_name", max_length=100)
        email = check.text("email", max_length=254, required=False)
        if 0 < len(email) <= 254:
            try:
                validate_email(email)
            except ValidationError:
                check.error("email", ERROR_EMAIL)
        phone = check.phone("phone", required=False)
        role = check.choice("role", ROLE_VALUES, ERROR_ROLE)
        if role is not None and role not in SCHOOL_ROLES:
            check.error("role", ERROR_ROLE_NOT_SCHOOL)
        class_name = check.text("class_name", max_length=50, required=False)
        if role in CLASS_ROLES and not class_name:
            check.error("class_name", ERROR_CLASS_REQUIRED)
        elif role in SCHOOL_ROLES - CLASS_ROLES and class_name:
            check.error("class_name", ERROR_CLASS_NOT_FOR_ROLE)
        errors += check.errors
        if not check.errors and role is not None and phone is not None:
            rows.append(StaffRow(number, username, display_name, email, phone, role, class_name))
    _, conflicts = _one_per_key(
        SHEET_STAFF,
        rows,
        key=lambda r: r.username,
        same=lambda a, b: a.identity == b.identity,
        column=STAFF_COLUMNS[0].header,
        template=ERROR_STAFF_CONFLICT,
    )
    unique, _ = _one_per_key(
        SHEET_STAFF,
        rows,
        key=lambda r: (r.username, r.role, r.class_name),
        same=lambda a, b: True,
        column="",
        template=ERROR_STAFF_CONFLICT,
    )
    return unique, errors + conflicts


def _one_per_key(
    sheet: str,
    rows: list[Any],
    *,
    key: Callable[[Any], Any],
    same: Callable[[Any, Any], bool],
    column: str,
    template: Promise,
) -> tuple[list[Any], list[RowError]]:
    """Drops repeated rows; a repeated key with different data is an error on the later row."""
    first: dict[Any, Any] = {}
    errors: list[RowError] = []
    for row in rows:
        seen = first.setdefault(key(row), row)
        if seen is not row and not same(seen, row):
            errors.append(RowError(sheet, row.row, column, _message(template, row=seen.row)))
    return list(first.values()), errors


SECTION_PARSERS: dict[
    str, Callable[[list[tuple[int, dict[str, Any]]]], tuple[list[Any], list[RowError]]]
] = {
    SHEET_SCHOOLS: _schools,
    SHEET_CLASSES: _classes,
    SHEET_STUDENTS: _students,
    SHEET_STAFF: _staff,
}


def _cross_check(rows: RosterRows) -> list[RowError]:
    """A class keeps one grade, and one homeroom teacher, across the file."""
    errors: list[RowError] = []
    grades: dict[str, tuple[int, int]] = {}
    header = CLASS_COLUMNS[1].header
    for sheet, items in ((SHEET_CLASSES, rows.classes), (SHEET_STUDENTS, rows.students)):
        for item in items:
            name = item.name if isinstance(item, ClassRow) else item.class_name
            seen = grades.setdefault(name, (item.grade, item.row))
            if seen[0] != item.grade:
                errors.append(
                    RowError(
                        sheet,
                        item.row,
                        header,
                        _message(ERROR_CLASS_GRADE_CONFLICT, name=name, grade=seen[0], row=seen[1]),
                    )
                )
    homeroom: dict[str, tuple[str, str, int]] = {}
    teachers = [
        (SHEET_CLASSES, c.row, c.name, c.homeroom_teacher, CLASS_COLUMNS[2].header)
        for c in rows.classes
        if c.homeroom_teacher
    ]
    teachers += [
        (SHEET_STAFF, s.row, s.class_name, s.username, STAFF_COLUMNS[5].header)
        for s in rows.staff
        if s.role == Role.HOMEROOM_TEACHER
    ]
    for sheet, row, name, username, column in teachers:
        seen_user, seen_sheet, seen_row = homeroom.setdefault(name, (username, sheet, row))
        if seen_user != username:
            errors.append(
                RowError(
                    sheet,
                    row,
                    column,
                    _message(ERROR_HOMEROOM_CONFLICT, name=name, sheet=seen_sheet, row=seen_row),
                )
            )
    return errors


# ---------------------------------------------------------------- the template

# One example row per section, in the order of its columns.
TEMPLATE_EXAMPLES: dict[str, list[Any]] = {
    SHEET_SCHOOLS: ["3301069001", "西湖区示范小学", "330106", "小学", 1, 1200, "否"],
    SHEET_CLASSES: ["八(1)班", 8, ""],
    SHEET_STUDENTS: [
        "八(1)班",
        8,
        "G330106201300000001",
        "张小明",
        "男",
        datetime.date(2013, 3, 14),
        "张伟",
        "父亲",
        "13800000000",
        "留守儿童, 学业困难",
    ],
    SHEET_STAFF: ["wangfang", "王芳", "wangfang@example.com", "13900000000", "班主任", "八(1)班"],
}
# Columns Excel must keep as text (leading zeros, long digit strings).
TEMPLATE_TEXT_COLUMNS = {
    SHEET_SCHOOLS: ("school_code", "county_code"),
    SHEET_STUDENTS: ("student_number", "guardian_phone"),
    SHEET_STAFF: ("phone",),
}
# What a school's own staff import; platform admins get ``SHEETS`` minus what they may not do.
SCHOOL_SHEETS = (SHEET_STUDENTS, SHEET_CLASSES, SHEET_STAFF)


def template_workbook(sheets: Iterable[str] = SCHOOL_SHEETS) -> bytes:
    """The downloadable template: a sheet per section, Chinese + English headers, one example."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for kind in sheets:
        columns = SHEET_COLUMNS[kind]
        sheet = workbook.create_sheet(SHEET_TITLES[kind])
        sheet.append([c.header for c in columns])
        sheet.append(TEMPLATE_EXAMPLES[kind])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for position, column in enumerate(columns, start=1):
            letter = get_column_letter(position)
            sheet.column_dimensions[letter].width = 18
            if column.key in TEMPLATE_TEXT_COLUMNS.get(kind, ()):
                sheet[f"{letter}2"].number_format = "@"
            elif column.key == "birth_date":
                sheet[f"{letter}2"].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
