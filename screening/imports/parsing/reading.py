"""Reading a results file: the kernel reader (``mhcare.core.imports``: limits before parsing,
every sheet, encodings, normalisation) with the results file's header."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mhcare.core.imports import readers
from mhcare.core.imports.limits import FileRefused
from screening.imports.parsing.common import (
    ERROR_NO_ROWS,
)


def count_rows(data: bytes, filename: str) -> int:
    """The number of data rows (for the progress bar), cheaply."""
    if is_csv(filename):
        return max(0, readers.csv_line_count(data) - 1)
    return -1


def is_csv(filename: str) -> bool:
    return readers.is_csv(filename)


def _results_sheet(data: bytes, filename: str) -> readers.Sheet:
    """The one sheet that holds data; results in several sheets are refused naming them (row
    numbers would be ambiguous), never read in part."""
    sheets = readers.read_workbook(data, filename)
    with_data = readers.data_sheets(sheets)
    if len(with_data) > 1:
        names = "、".join(s.name for s in with_data)
        raise FileRefused(readers.ERROR_SEVERAL_SHEETS, sheets=names)
    if not with_data:
        raise FileRefused(ERROR_NO_ROWS)
    return with_data[0]


def iter_table(data: bytes, filename: str) -> Iterator[tuple[int, list[Any]]]:
    """(spreadsheet row number, cells) of the sheet that holds data, blank rows skipped."""
    yield from _results_sheet(data, filename).rows()


def xlsx_rows(data: bytes) -> int:
    sheet = _results_sheet(data, "upload.xlsx")
    return max(0, (sheet.row_count or 0) - 1)
