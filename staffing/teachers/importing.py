"""Reading an MH-teacher file (Excel or CSV) through the kernel import framework
(``mhcare.core.imports``): limits, encodings (GBK, BOM), NFKC normalisation, headers below title
rows, identifier cells refused when Excel stored them as numbers.

One row is one post (a person at the school from a start date). Parsing never touches the
database; ``services.teacher_import`` checks what needs it and writes all or nothing. Every
problem is a ``RowError`` (row number as the spreadsheet shows it, column header, reason in the
user's language).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mhcare.core.imports.headers import find_header, identifier_problem, match_header
from mhcare.core.imports.limits import FileRefused
from mhcare.core.imports.normalise import excel_serial_date, normalize_text
from mhcare.core.imports.readers import read_workbook
from mhcare.core.spreadsheets import (
    EXAMPLE_HEADER,
    HEADER_FONT,
    is_example_row,
    workbook_bytes,
    write_example_row,
    write_row,
)
from staffing.models import CertificateLevel, MHTeacher, PostKind

ERROR_NO_HEADER = _("No header row of MH teachers was found; use the template.")
ERROR_NO_ROWS = _("The file contains no data rows.")
ERROR_SEVERAL_SHEETS = _("Put the teachers on one sheet (this file has data on %(count)s sheets).")
ERROR_MISSING_COLUMN = _("This column is missing.")
ERROR_REQUIRED = _("This field is required.")
ERROR_TOO_LONG = _("This value is too long (at most %(max)s characters).")
ERROR_KIND = _("Enter 专职 or 兼职 (full-time / part-time).")
ERROR_DATE = _("Enter a date such as 2024-09-01.")
ERROR_DATE_RANGE = _("This date is not plausible (2000 to 2100).")
ERROR_END_BEFORE_START = _("The end date cannot be before the start date.")
ERROR_YES_NO = _("Enter 是 / 否 (yes / no, 1 / 0).")
ERROR_CERTIFICATE = _("Enter the certificate level: A, B or C (or leave it empty).")
ERROR_CERTIFICATE_DATE = _("A certificate date needs a certificate level.")
ERROR_USERNAME = _("A user name has at most 150 letters, digits and @ . + - _ characters.")
ERROR_DUPLICATE = _("The same person and start date are already in row %(row)s.")
ERROR_OVERLAP_IN_FILE = _("This post overlaps the post of the same person in row %(row)s.")


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
    Column("name", "姓名", "Name", aliases=("教师姓名", "teacher")),
    Column("kind", "岗位类型", "Post", aliases=("专兼职", "类型", "专职兼职", "post type")),
    Column(
        "start_date", "任职日期", "Start date", aliases=("开始日期", "任职开始日期", "到岗日期")
    ),
    Column(
        "end_date", "离任日期", "End date", required=False, aliases=("结束日期", "任职结束日期")
    ),
    Column(
        "psychology_degree",
        "心理学专业",
        "Psychology degree",
        required=False,
        aliases=("心理学学历", "是否心理学专业"),
    ),
    Column(
        "certificate_level",
        "证书等级",
        "Certificate level",
        required=False,
        aliases=("心理健康教育教师证书", "资格证书等级", "证书"),
    ),
    Column(
        "certificate_date",
        "证书日期",
        "Certificate date",
        required=False,
        aliases=("发证日期", "取证日期"),
    ),
    Column(
        "homeroom_equal_treatment",
        "班主任同等待遇",
        "Treated as homeroom teacher",
        required=False,
        aliases=("享受班主任待遇", "同等待遇"),
    ),
    Column("username", "账号", "Username", required=False, aliases=("用户名", "登录名")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
IDENTIFIER_KEYS = frozenset({"username"})
KIND_VALUES = {
    "专职": PostKind.FULLTIME,
    "full-time": PostKind.FULLTIME,
    "fulltime": PostKind.FULLTIME,
    "full time": PostKind.FULLTIME,
    "兼职": PostKind.PARTTIME,
    "part-time": PostKind.PARTTIME,
    "parttime": PostKind.PARTTIME,
    "part time": PostKind.PARTTIME,
}
YES_NO = {
    "是": True,
    "否": False,
    "yes": True,
    "no": False,
    "1": True,
    "0": False,
    "有": True,
    "无": False,
}
CERTIFICATE_RE = re.compile(r"^([ABC])(?:级|级证书|证)?$", re.IGNORECASE)
USERNAME_RE = re.compile(r"^[\w.@+-]{1,150}$")
MAX_LENGTHS = {"name": MHTeacher._meta.get_field("name").max_length or 50, "username": 150}
TEXT_COLUMNS = ("username",)
EXAMPLE = ["王芳", "专职", "2024-09-01", "", "是", "B", "2023-06-30", "是", "wangfang"]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class TeacherRow:
    row: int
    name: str
    kind: str
    start_date: datetime.date
    end_date: datetime.date | None
    psychology_degree: bool
    certificate_level: str
    certificate_date: datetime.date | None
    homeroom_equal_treatment: bool
    username: str


def _message(template: Promise | str, **params: Any) -> str:
    text = str(template)
    return text % params if params else text


def _score(cells: list[Any]) -> int:
    return len(match_header(cells, COLUMNS))


def parse_teachers(
    upload: IO[bytes] | bytes, filename: str
) -> tuple[list[TeacherRow], list[RowError]]:
    """Every post of the file, or the errors (all of them) that refuse it."""
    data = upload if isinstance(upload, bytes) else upload.read()
    try:
        sheets = [s for s in read_workbook(data, filename) if s.has_data]
        if len(sheets) > 1:
            return [], [RowError(0, "", _message(ERROR_SEVERAL_SHEETS, count=len(sheets)))]
        if not sheets:
            return [], [RowError(0, "", _message(ERROR_NO_ROWS))]
        return parse_rows(sheets[0].rows())
    except FileRefused as refusal:
        return [], [RowError(0, "", refusal.message)]


def parse_rows(rows: Any) -> tuple[list[TeacherRow], list[RowError]]:
    header_row, header, rest = find_header(iter(rows), _score)
    index = match_header(header, COLUMNS) if header_row else {}
    if len(index) < 2:
        return [], [RowError(0, "", _message(ERROR_NO_HEADER))]
    missing = [c for c in COLUMNS if c.required and c.key not in index]
    if missing:
        return [], [RowError(header_row, c.header, _message(ERROR_MISSING_COLUMN)) for c in missing]
    parsed: list[TeacherRow] = []
    errors: list[RowError] = []
    for number, raw in rest:
        if is_example_row(raw):
            continue
        values = {k: raw[p] if p < len(raw) else "" for k, p in index.items()}
        if all(v in ("", None) for v in values.values()):
            continue
        row, row_errors = _row(number, values)
        errors += row_errors
        if row is not None:
            parsed.append(row)
    if not errors and not parsed:
        errors.append(RowError(0, "", _message(ERROR_NO_ROWS)))
    if not errors:
        errors += _cross_check(parsed)
    return parsed, errors


def _row(number: int, values: dict[str, Any]) -> tuple[TeacherRow | None, list[RowError]]:
    errors: list[RowError] = []

    def error(key: str, template: Promise | str, **params: Any) -> None:
        errors.append(RowError(number, COLUMN_BY_KEY[key].header, _message(template, **params)))

    def text(key: str) -> str:
        value = values.get(key, "")
        if key in IDENTIFIER_KEYS:
            problem = identifier_problem(value)
            if problem is not None:
                error(key, problem)
                return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return normalize_text(value if value is not None else "").strip()

    def date(key: str, *, required: bool) -> datetime.date | None:
        raw = values.get(key, "")
        if isinstance(raw, datetime.datetime):
            value: datetime.date | None = raw.date()
        elif isinstance(raw, datetime.date):
            value = raw
        elif excel_serial_date(raw) is not None:
            value = excel_serial_date(raw)
        else:
            raw_text = text(key)
            if not raw_text:
                if required:
                    error(key, ERROR_REQUIRED)
                return None
            value = _parse_date(raw_text)
            if value is None:
                error(key, ERROR_DATE)
                return None
        if value is not None and not datetime.date(2000, 1, 1) <= value <= datetime.date(
            2100, 12, 31
        ):
            error(key, ERROR_DATE_RANGE)
            return None
        return value

    def yes_no(key: str) -> bool:
        raw = text(key).lower()
        if not raw:
            return False
        if raw not in YES_NO:
            error(key, ERROR_YES_NO)
            return False
        return YES_NO[raw]

    name = text("name")
    if not name:
        error("name", ERROR_REQUIRED)
    elif len(name) > MAX_LENGTHS["name"]:
        error("name", ERROR_TOO_LONG, max=MAX_LENGTHS["name"])
    kind_text = text("kind").lower()
    kind = KIND_VALUES.get(kind_text, "")
    if not kind_text:
        error("kind", ERROR_REQUIRED)
    elif not kind:
        error("kind", ERROR_KIND)
    start = date("start_date", required=True)
    end = date("end_date", required=False)
    if start and end and end < start:
        error("end_date", ERROR_END_BEFORE_START)
    degree = yes_no("psychology_degree")
    level_text = text("certificate_level").upper()
    level = ""
    if level_text:
        match = CERTIFICATE_RE.match(level_text)
        if match is None:
            error("certificate_level", ERROR_CERTIFICATE)
        else:
            level = CertificateLevel(match.group(1).upper()).value
    certificate_date = date("certificate_date", required=False)
    if certificate_date and not level_text:
        error("certificate_date", ERROR_CERTIFICATE_DATE)
    equal = yes_no("homeroom_equal_treatment")
    username = text("username")
    if username and not USERNAME_RE.match(username):
        error("username", ERROR_USERNAME)
    if errors or start is None:
        return None, errors
    return (
        TeacherRow(
            row=number,
            name=name,
            kind=kind,
            start_date=start,
            end_date=end,
            psychology_degree=degree,
            certificate_level=level,
            certificate_date=certificate_date,
            homeroom_equal_treatment=equal,
            username=username,
        ),
        [],
    )


def _parse_date(text: str) -> datetime.date | None:
    cleaned = (
        text.replace("年", "-")
        .replace("月", "-")
        .replace("日", "")
        .replace("/", "-")
        .replace(".", "-")
    )
    cleaned = cleaned.split(" ")[0].strip("-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(cleaned, fmt).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    return None


def _cross_check(rows: list[TeacherRow]) -> list[RowError]:
    """The same post twice, or two posts of one person that overlap, inside the file."""
    errors: list[RowError] = []
    by_name: dict[str, list[TeacherRow]] = {}
    for row in rows:
        by_name.setdefault(row.name, []).append(row)
    for posts in by_name.values():
        posts.sort(key=lambda r: (r.start_date, r.row))
        for earlier, later in zip(posts, posts[1:], strict=False):
            if earlier.start_date == later.start_date:
                errors.append(
                    RowError(
                        later.row,
                        COLUMN_BY_KEY["start_date"].header,
                        _message(ERROR_DUPLICATE, row=earlier.row),
                    )
                )
            elif earlier.end_date is None or earlier.end_date >= later.start_date:
                errors.append(
                    RowError(
                        later.row,
                        COLUMN_BY_KEY["start_date"].header,
                        _message(ERROR_OVERLAP_IN_FILE, row=earlier.row),
                    )
                )
    return sorted(errors, key=lambda e: e.row)


def template_workbook() -> bytes:
    """The downloadable template: Chinese + English headers, one example row (never imported)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet = workbook.create_sheet("心理教师 MH teachers")
    write_row(sheet, [*(c.header for c in COLUMNS), EXAMPLE_HEADER], font=HEADER_FONT)
    write_example_row(
        sheet, EXAMPLE, text_columns=[i for i, c in enumerate(COLUMNS) if c.key in TEXT_COLUMNS]
    )
    for position in range(1, len(COLUMNS) + 2):
        sheet.column_dimensions[get_column_letter(position)].width = 18
    return workbook_bytes(workbook)
