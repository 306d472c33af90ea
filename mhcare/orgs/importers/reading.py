"""Reading a roster file: every sheet that holds data, its kind decided by its columns, each
row checked into ``RosterRows`` or ``RowError``s (see ``mhcare.orgs.importers``)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.functional import Promise

from mhcare.accounts.models import CLASS_ROLES, SCHOOL_ROLES, Role
from mhcare.core.imports.headers import find_header, identifier_problem, match_header
from mhcare.core.imports.limits import FileRefused
from mhcare.core.imports.normalise import excel_serial_date, normalize_text
from mhcare.core.imports.readers import ERROR_UNKNOWN_SHEET, Sheet, read_workbook
from mhcare.core.spreadsheets import is_example_row
from mhcare.orgs.importers.columns import (
    BOOLEAN_VALUES,
    CLASS_COLUMNS,
    COUNTY_CODE_RE,
    DISADVANTAGE_VALUES,
    ERROR_BOARDING,
    ERROR_CAMPUSES,
    ERROR_CLASS_GRADE_CONFLICT,
    ERROR_CLASS_NOT_FOR_ROLE,
    ERROR_CLASS_REQUIRED,
    ERROR_COUNTY_CODE,
    ERROR_DATE,
    ERROR_DATE_RANGE,
    ERROR_DISADVANTAGE,
    ERROR_EMAIL,
    ERROR_ENROLLED,
    ERROR_GENDER,
    ERROR_GRADE,
    ERROR_GUARDIAN_INCOMPLETE,
    ERROR_HOMEROOM_CONFLICT,
    ERROR_MISSING_COLUMN,
    ERROR_NO_ROWS,
    ERROR_NO_SHEET,
    ERROR_PHONE,
    ERROR_RELATION,
    ERROR_REQUIRED,
    ERROR_ROLE,
    ERROR_ROLE_NOT_SCHOOL,
    ERROR_SCHOOL_CODE,
    ERROR_SCHOOL_CONFLICT,
    ERROR_STAFF_CONFLICT,
    ERROR_STAGE,
    ERROR_STUDENT_CONFLICT,
    ERROR_STUDENT_NUMBER,
    ERROR_TOO_LONG,
    ERROR_USERNAME,
    GENDER_VALUES,
    IDENTIFIER_KEYS,
    LIST_SPLIT_RE,
    MAX_LENGTHS,
    PHONE_RE,
    RELATION_VALUES,
    ROLE_VALUES,
    SCHOOL_CODE_RE,
    SCHOOL_COLUMNS,
    SHEET_CLASSES,
    SHEET_COLUMNS,
    SHEET_SCHOOLS,
    SHEET_STAFF,
    SHEET_STUDENTS,
    SHEETS,
    STAFF_COLUMNS,
    STAGE_VALUES,
    STUDENT_COLUMNS,
    STUDENT_NUMBER_RE,
    ClassRow,
    Column,
    GuardianRow,
    RosterRows,
    RowError,
    SchoolRow,
    StaffRow,
    StudentRow,
    _cell,
    _message,
)

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
        if is_example_row(raw):
            continue  # the template's example row: never a real student, class or account
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
