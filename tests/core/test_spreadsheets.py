"""The kernel's spreadsheet writer: stored text never becomes a formula; example rows are
recognised; every workbook the app writes goes through it."""

import io
import pathlib
import re

import pytest
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook

from mhcare.core.spreadsheets import (
    EXAMPLE_MARKER,
    is_example_row,
    workbook_bytes,
    write_example_row,
    write_row,
)

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def read_back(data):
    return load_workbook(io.BytesIO(data)).worksheets[0]


@pytest.mark.parametrize("write_only", [True, False])
def test_text_that_a_spreadsheet_would_evaluate_is_written_as_text(write_only):
    book = Workbook(write_only=write_only)
    if not write_only:
        book.remove(book.active)
    sheet = book.create_sheet("x")
    write_row(sheet, [*HOSTILE, "张小明", 7, None])
    cells = list(read_back(workbook_bytes(book)).iter_rows())[0]
    for cell, text in zip(cells, HOSTILE, strict=False):
        # the exact text, no quote added (XML reads a lone CR back as LF)
        assert cell.value == text.replace("\r", "\n")
        assert cell.data_type == "s"
        assert cell.quotePrefix
    assert cells[len(HOSTILE)].value == "张小明"
    assert cells[len(HOSTILE) + 1].value == 7
    assert cells[len(HOSTILE) + 1].data_type == "n"


def test_the_file_holds_no_formula_element():
    import zipfile

    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    write_row(sheet, HOSTILE)
    data = workbook_bytes(book)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    assert "<f " not in xml


def test_lazy_translations_are_written_as_text():
    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    write_row(sheet, [gettext_lazy("Level")])
    assert read_back(workbook_bytes(book))["A1"].value == "Level"


def test_example_rows_are_recognised_only_by_the_marker():
    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    write_example_row(sheet, ["G1", "张小明"])
    row = [c.value for c in list(read_back(workbook_bytes(book)).iter_rows())[0]]
    assert row[-1] == EXAMPLE_MARKER
    assert is_example_row(row)
    assert is_example_row(["G1", 3.0, None, "  示例行"])
    assert is_example_row(["G1", "Example row: delete"])
    assert not is_example_row(["G1", "张小明", 1.0, None])
    assert not is_example_row(["G1", "示例小学", "备注: 示例行"])  # not at a cell's start


def test_every_workbook_the_app_writes_goes_through_the_kernel_helper():
    """A module that builds an openpyxl workbook writes its cells with ``write_row`` /
    ``safe_cell``: a plain ``sheet.append`` of stored text would write formulas."""
    root = pathlib.Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "tests", "bench", "node_modules"} or "migrations" in (
            relative.parts
        ):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"from openpyxl import .*Workbook|xlsxwriter", text) and (
            "mhcare.core.spreadsheets" not in text or re.search(r"\bsheet\.append\(", text)
        ):
            offenders.append(str(relative))
    assert offenders == []
