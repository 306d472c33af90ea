"""Reading and validating a roster file (Excel or CSV): classes, and students with their guardians.

Parsing never touches the database; checks that need it (a student number that belongs to another
school, an unknown homeroom teacher) are made by ``services.roster_import`` before it writes
anything.
Every problem is reported as a ``RowError`` (sheet, row number as the spreadsheet shows it, column,
reason in the user's language); a file with any error stores nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mhcare.orgs.models import Disadvantage, Gender, GuardianRelation

SHEET_STUDENTS = "students"
SHEET_CLASSES = "classes"

ERROR_UNREADABLE = _("The file could not be read as an Excel workbook or a CSV file.")
ERROR_NO_SHEET = _("No sheet of students or classes was found; use the template.")
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
    Column("student_number", "学籍号", "Student number", aliases=("全国学籍号", "学号")),
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
SHEET_COLUMNS = {SHEET_STUDENTS: STUDENT_COLUMNS, SHEET_CLASSES: CLASS_COLUMNS}
SHEET_TITLES = {SHEET_STUDENTS: "学生 students", SHEET_CLASSES: "班级 classes"}

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
for _choices, _values in (
    (Gender, GENDER_VALUES),
    (GuardianRelation, RELATION_VALUES),
    (Disadvantage, DISADVANTAGE_VALUES),
):
    for _member in _choices:  # type: ignore[attr-defined]
        _values.setdefault(str(_member.value).lower(), _member)
        _values.setdefault(str(_member.label).lower(), _member)

STUDENT_NUMBER_RE = re.compile(r"^[A-Za-z0-9]{6,32}$")
PHONE_RE = re.compile(r"^\+?[0-9]{7,20}$")
LIST_SPLIT_RE = re.compile(r"[,，、;；/]+")
MAX_ROWS = 50_000


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
class RosterRows:
    classes: list[ClassRow] = field(default_factory=list)
    students: list[StudentRow] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.classes or self.students)


def _message(template: Promise | str, **params: Any) -> str:
    text = str(template)
    return text % params if params else text


def _norm(text: Any) -> str:
    return re.sub(r"[\s_\-/()（）:：*]+", "", str(text or "")).lower()


def _match_header(header: Any, columns: Iterable[Column]) -> Column | None:
    h = _norm(header)
    if not h:
        return None
    for column in columns:
        zh, en = _norm(column.zh), _norm(column.en)
        if h in {zh, en, zh + en, en + zh, _norm(column.key)} | {_norm(a) for a in column.aliases}:
            return column
    return None


def _cell(value: Any) -> Any:
    """Excel cells arrive typed: integral floats are numbers typed into text columns (phones)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    return value


# ---------------------------------------------------------------- reading files


def read_tables(data: bytes, filename: str) -> dict[str, list[list[Any]]]:
    """The file's sheets as lists of rows (a CSV is one sheet named after the file)."""
    if filename.lower().endswith(".csv"):
        return {filename: _read_csv(data)}
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}


def _read_csv(data: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return list(csv.reader(io.StringIO(text)))
    raise ValueError("undecodable")


def _sheet_kind(name: str, header: list[Any]) -> str | None:
    lowered = name.lower()
    if "学生" in lowered or "student" in lowered:
        return SHEET_STUDENTS
    if "班级" in lowered or "class" in lowered:
        return SHEET_CLASSES
    keys = {c.key for c in (_match_header(h, STUDENT_COLUMNS) for h in header) if c}
    if "student_number" in keys:
        return SHEET_STUDENTS
    keys = {c.key for c in (_match_header(h, CLASS_COLUMNS) for h in header) if c}
    if "class_name" in keys:
        return SHEET_CLASSES
    return None


def parse_roster(upload: IO[bytes] | bytes, filename: str) -> tuple[RosterRows, list[RowError]]:
    """Parse and validate a roster file. Returns the rows and every error found."""
    data = upload if isinstance(upload, bytes) else upload.read()
    try:
        tables = read_tables(data, filename)
    except Exception:  # noqa: BLE001 - any reader failure is "this is not a roster file"
        return RosterRows(), [RowError("", 0, "", _message(ERROR_UNREADABLE))]
    return parse_tables(tables)


def parse_tables(tables: dict[str, list[list[Any]]]) -> tuple[RosterRows, list[RowError]]:
    rows = RosterRows()
    errors: list[RowError] = []
    found = False
    for name, table in tables.items():
        table = [[_cell(v) for v in row] for row in table[: MAX_ROWS + 1]]
        while table and not any(table[0]):
            table.pop(0)
        if not table:
            continue
        kind = _sheet_kind(name, table[0])
        if kind is None:
            continue
        found = True
        records, sheet_errors = _records(kind, table)
        errors += sheet_errors
        if kind == SHEET_STUDENTS:
            students, student_errors = _students(records)
            rows.students += students
            errors += student_errors
        else:
            classes, class_errors = _classes(records)
            rows.classes += classes
            errors += class_errors
    if not found:
        errors.append(RowError("", 0, "", _message(ERROR_NO_SHEET)))
    elif not errors and not rows:
        errors.append(RowError("", 0, "", _message(ERROR_NO_ROWS)))
    if not errors:
        errors += _cross_check(rows)
    return rows, errors


def _records(
    kind: str, table: list[list[Any]]
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """Rows as dicts by column key, with their spreadsheet row numbers; blank rows skipped."""
    columns = SHEET_COLUMNS[kind]
    header = table[0]
    index: dict[str, int] = {}
    for position, cell in enumerate(header):
        column = _match_header(cell, columns)
        if column and column.key not in index:
            index[column.key] = position
    errors = [
        RowError(kind, 1, c.header, _message(ERROR_MISSING_COLUMN))
        for c in columns
        if c.required and c.key not in index
    ]
    if errors:
        return [], errors
    records = []
    for number, raw in enumerate(table[1:], start=2):
        if not any(str(v).strip() for v in raw if v is not None):
            continue
        values = {key: raw[pos] if pos < len(raw) else "" for key, pos in index.items()}
        records.append((number, values))
    return records, []


class _RowChecker:
    """Collects the errors of one row; each ``get_*`` returns a clean value or None."""

    def __init__(self, sheet: str, row: int, values: dict[str, Any], columns: tuple[Column, ...]):
        self.sheet, self.row, self.values = sheet, row, values
        self.columns = {c.key: c for c in columns}
        self.errors: list[RowError] = []

    def error(self, key: str, template: Promise | str, **params: Any) -> None:
        column = self.columns[key].header if key in self.columns else ""
        self.errors.append(RowError(self.sheet, self.row, column, _message(template, **params)))

    def text(self, key: str, *, max_length: int, required: bool = True) -> str:
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

    def date(self, key: str) -> datetime.date | None:
        raw = self.values.get(key, "")
        if isinstance(raw, datetime.date):
            value = raw
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
    if not any(given):
        return None
    if not all(given):
        check.error("guardian_name", ERROR_GUARDIAN_INCOMPLETE)
        return None
    name = check.text("guardian_name", max_length=50)
    relation = check.choice("guardian_relation", RELATION_VALUES, ERROR_RELATION)
    phone = re.sub(r"[\s\-()（）]", "", given[2])
    if not PHONE_RE.match(phone):
        check.error("guardian_phone", ERROR_PHONE)
        return None
    if relation is None:
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


def _cross_check(rows: RosterRows) -> list[RowError]:
    """A class keeps one grade across the file."""
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
    return errors


# ---------------------------------------------------------------- the template


def template_workbook() -> bytes:
    """The downloadable template: a sheet per section, Chinese + English headers, one example."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    students = workbook.active
    students.title = SHEET_TITLES[SHEET_STUDENTS]
    students.append([c.header for c in STUDENT_COLUMNS])
    students.append(
        [
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
        ]
    )
    classes = workbook.create_sheet(SHEET_TITLES[SHEET_CLASSES])
    classes.append([c.header for c in CLASS_COLUMNS])
    classes.append(["八(1)班", 8, ""])
    for sheet in (students, classes):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for letter in "ABCDEFGHIJ":
            sheet.column_dimensions[letter].width = 18
    students["F2"].number_format = "yyyy-mm-dd"
    students["C2"].number_format = "@"
    students["I2"].number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
