"""The downloadable roster template."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from mhcare.core.spreadsheets import (
    EXAMPLE_HEADER,
    HEADER_FONT,
    workbook_bytes,
    write_example_row,
    write_row,
)
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
    """The downloadable template: a sheet per section, Chinese + English headers, one example
    row marked as such (grey, ``EXAMPLE_MARKER`` in a last column): it is never imported."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for kind in sheets:
        columns = SHEET_COLUMNS[kind]
        sheet = workbook.create_sheet(SHEET_TITLES[kind])
        text_keys = TEMPLATE_TEXT_COLUMNS.get(kind, ())
        write_row(sheet, [*(c.header for c in columns), EXAMPLE_HEADER], font=HEADER_FONT)
        write_example_row(
            sheet,
            TEMPLATE_EXAMPLES[kind],
            text_columns=[i for i, c in enumerate(columns) if c.key in text_keys],
        )
        for position, column in enumerate(columns, start=1):
            letter = get_column_letter(position)
            sheet.column_dimensions[letter].width = 18
            if column.key == "birth_date":
                sheet[f"{letter}2"].number_format = "yyyy-mm-dd"
        sheet.column_dimensions[get_column_letter(len(columns) + 1)].width = 40
    return workbook_bytes(workbook)
