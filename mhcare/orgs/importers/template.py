"""The downloadable roster template."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from typing import Any

from mhcare.orgs.importers.columns import (
    SHEET_CLASSES,
    SHEET_COLUMNS,
    SHEET_SCHOOLS,
    SHEET_STAFF,
    SHEET_STUDENTS,
    SHEET_TITLES,
)

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
