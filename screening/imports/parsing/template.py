"""The results template (whole campaign or one class), with its example row marked."""

from __future__ import annotations

from typing import Any

from mhcare.core.spreadsheets import (
    EXAMPLE_HEADER,
    HEADER_FONT,
    workbook_bytes,
    write_example_row,
    write_row,
)
from screening.imports.parsing.common import (
    CLASS_HEADER,
    all_columns,
)
from screening.scoring import localized


def template_headers(instrument: Any) -> list[str]:
    return [c.header for c in all_columns(instrument)]


def instrument_label(instrument: Any) -> str:
    return localized({"zh": instrument.name, "en": instrument.name_en})


def template_workbook(instrument: Any, students: list[tuple[str, str, str]] | None = None) -> bytes:
    """The template of an instrument: bilingual headers, the student number column as text, a
    class column (for the reader; the import ignores it), then the answer columns. With
    ``students`` (student number, name, class name), one row each, to be filled in; rows left
    blank are students not screened. Without, one example row, marked as such and never
    imported."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(instrument.code)
    headers = template_headers(instrument)
    headers = [headers[0], headers[1], CLASS_HEADER, *headers[2:]]
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 14
    blanks = [None] * (len(headers) - 3)
    if students is None:
        write_row(sheet, [*headers, EXAMPLE_HEADER], font=HEADER_FONT)
        write_example_row(
            sheet, ["G330106201300000001", "张小明", "八(1)班", *blanks], text_columns=[0]
        )
    else:
        write_row(sheet, headers, font=HEADER_FONT)
        for number, name, class_name in students:
            write_row(sheet, [number, name, class_name, *blanks], text_columns=[0])
    return workbook_bytes(workbook)
