"""Reading a lesson file (Excel or CSV) through the kernel import framework: one sheet of lessons,
its header found below title rows and matched in Chinese or English, each cell normalised (NFKC:
full-width digits and brackets become half-width), and every row checked. Parsing never touches
the database; ``services.lesson_import`` resolves the classes and stores all rows or none."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext_lazy as _

from mhcare.core.imports.headers import find_header, identifier_problem, match_header
from mhcare.core.imports.limits import FileRefused
from mhcare.core.imports.normalise import excel_serial_date, normalize_text
from mhcare.core.imports.readers import ERROR_SEVERAL_SHEETS, ERROR_UNKNOWN_SHEET, read_workbook
from mhcare.core.spreadsheets import (
    EXAMPLE_HEADER,
    HEADER_FONT,
    is_example_row,
    workbook_bytes,
    write_example_row,
    write_row,
)
from mhcare.orgs.importers import RowError
from staffing.lessons.services import TEACHER_MAX, TOPIC_MAX, LessonRow, clean_hours

ERROR_NO_ROWS = _("The file contains no lessons.")
ERROR_MISSING_COLUMN = _("This column is missing.")
ERROR_REQUIRED = _("This field is required.")
ERROR_DATE = _("Enter a date such as 2026-10-12.")
ERROR_HOURS = _("Enter the class hours in whole or half hours, from 0.5 to %(max)s.")
ERROR_TOO_LONG = _("This value is too long (at most %(max)s characters).")

SHEET_TITLE = "心理健康课 lessons"
TEMPLATE_FILENAME = "lessons-template.xlsx"


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


COLUMNS: tuple[Column, ...] = (
    Column("class_name", "班级", "Class", aliases=("班级名称", "授课班级", "上课班级")),
    Column("given_on", "日期", "Date", aliases=("上课日期", "授课日期", "时间")),
    Column("hours", "课时", "Hours", aliases=("课时数", "class hours", "节数")),
    Column("topic", "主题", "Topic", aliases=("课题", "课程主题", "内容", "课程内容")),
    Column(
        "teacher_name",
        "授课教师",
        "Teacher",
        required=False,
        aliases=("教师", "任课教师", "老师", "教师姓名"),
    ),
    Column("school_code", "学校代码", "School code", required=False, aliases=("学校标识码",)),
)
HEADERS = {c.key: c.header for c in COLUMNS}
EXAMPLE = ["八(1)班", datetime.date(2026, 10, 12), 1, "认识情绪", "王老师", ""]


def template_workbook() -> bytes:
    """The downloadable template: Chinese + English headers and one grey example row that is
    never imported."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    write_row(sheet, [*(c.header for c in COLUMNS), EXAMPLE_HEADER], font=HEADER_FONT)
    write_example_row(sheet, EXAMPLE, text_columns=[0, 5])
    for position in range(1, len(COLUMNS) + 2):
        sheet.column_dimensions[get_column_letter(position)].width = 18
    sheet["B2"].number_format = "yyyy-mm-dd"
    return workbook_bytes(workbook)


def _score(cells: list[Any]) -> int:
    return len(match_header(cells, COLUMNS))


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return normalize_text(value)


_DATE_SPLIT = re.compile(r"[年月./\-]")


def parse_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    serial = excel_serial_date(value)
    if serial is not None:
        return serial
    if isinstance(value, int | float):
        return None
    text = normalize_text(value).replace("日", "").split(" ")[0].strip()
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    parts = [p for p in _DATE_SPLIT.split(text) if p]
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    try:
        return datetime.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def _hours(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            value = Decimal(str(value))
        except InvalidOperation:
            return None
    text = _text(value).replace("课时", "").replace("节", "").strip()
    return clean_hours(text)


def parse_lessons(
    upload: IO[bytes] | bytes, filename: str
) -> tuple[list[LessonRow], list[RowError]]:
    """The file's lessons and every error found. A file with any error stores nothing."""
    from staffing.lessons.calendar import max_hours

    data = upload if isinstance(upload, bytes) else upload.read()
    try:
        sheets = [s for s in read_workbook(data, filename) if s.has_data]
        if not sheets:
            return [], [RowError("", 0, "", str(ERROR_NO_ROWS))]
        found = []
        for sheet in sheets:
            header_row, header, rest = find_header(sheet.rows(), _score)
            index = match_header(header, COLUMNS) if header_row else {}
            if len(index) < 2:
                return [], [
                    RowError(sheet.name, 0, "", str(ERROR_UNKNOWN_SHEET) % {"sheet": sheet.name})
                ]
            found.append((sheet.name, header_row, index, rest))
        if len(found) > 1:
            names = ", ".join(name for name, *_ in found)
            return [], [RowError("", 0, "", str(ERROR_SEVERAL_SHEETS) % {"sheets": names})]
        name, header_row, index, rest = found[0]
        return _rows(name, header_row, index, rest, max_hours())
    except FileRefused as refusal:
        return [], [RowError("", 0, "", refusal.message)]


def _rows(
    sheet: str,
    header_row: int,
    index: dict[str, int],
    table: Iterator[tuple[int, list[Any]]],
    most: Decimal,
) -> tuple[list[LessonRow], list[RowError]]:
    missing = [
        RowError(sheet, header_row, c.header, str(ERROR_MISSING_COLUMN))
        for c in COLUMNS
        if c.required and c.key not in index
    ]
    if missing:
        return [], missing
    rows: list[LessonRow] = []
    errors: list[RowError] = []
    for number, raw in table:
        if is_example_row(raw):
            continue
        values = {key: raw[pos] if pos < len(raw) else "" for key, pos in index.items()}
        if all(v in ("", None) for v in values.values()):
            continue
        row_errors: list[RowError] = []

        def error(
            key: str, message: str, row_errors: list[RowError] = row_errors, n: int = number
        ) -> None:
            row_errors.append(RowError(sheet, n, HEADERS[key], message))

        class_name = _text(values.get("class_name"))
        if not class_name:
            error("class_name", str(ERROR_REQUIRED))
        raw_date = values.get("given_on")
        given_on = None
        if raw_date in ("", None):
            error("given_on", str(ERROR_REQUIRED))
        else:
            given_on = parse_date(raw_date)
            if given_on is None:
                error("given_on", str(ERROR_DATE))
        raw_hours = values.get("hours")
        hours = None
        if raw_hours in ("", None):
            error("hours", str(ERROR_REQUIRED))
        else:
            hours = _hours(raw_hours)
            if hours is None:
                error("hours", str(ERROR_HOURS) % {"max": most})
        topic = _text(values.get("topic"))
        if not topic:
            error("topic", str(ERROR_REQUIRED))
        elif len(topic) > TOPIC_MAX:
            error("topic", str(ERROR_TOO_LONG) % {"max": TOPIC_MAX})
        teacher = _text(values.get("teacher_name"))
        if len(teacher) > TEACHER_MAX:
            error("teacher_name", str(ERROR_TOO_LONG) % {"max": TEACHER_MAX})
        school_code = ""
        if "school_code" in values:
            raw_code = values["school_code"]
            problem = identifier_problem(raw_code)
            if problem is not None:
                error("school_code", problem)
            else:
                school_code = _text(raw_code)
        if row_errors:
            errors += row_errors
            continue
        assert given_on is not None  # noqa: S101 - checked above
        assert hours is not None  # noqa: S101 - checked above
        rows.append(
            LessonRow(
                row=number,
                class_name=class_name,
                given_on=given_on,
                hours=hours,
                topic=topic,
                teacher_name=teacher,
                school_code=school_code,
            )
        )
    if not rows and not errors:
        errors.append(RowError(sheet, 0, "", str(ERROR_NO_ROWS)))
    return rows, errors
