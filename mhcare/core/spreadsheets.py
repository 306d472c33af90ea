"""Writing spreadsheets safely: the one place every workbook the app writes goes through.

Stored text is data, never a formula. openpyxl writes a ``str`` that starts with ``=`` as a
formula, and Excel, WPS and LibreOffice evaluate text that starts with ``= + - @`` (or a tab / CR
before one of them) when the cell is edited or the file is re-saved as CSV (CSV/formula
injection: a student named ``=HYPERLINK("http://…","点击")`` becomes a live link in a teacher's
export). ``safe_cell`` keeps the exact text (a re-imported template must still match the names
on record) but stores it as an inline string with Excel's "quote prefix" flag: shown and kept as
text, never evaluated.

Template example rows carry ``EXAMPLE_MARKER`` in a trailing column; every importer skips a row
that holds it (``is_example_row``), so the example never becomes a student, an account or a
result.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.functional import Promise
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

# First characters that make a spreadsheet evaluate a text cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")

# Written in the example row of every template; a row holding it is never imported. Bilingual so
# that it reads in either language; matched on its first characters only.
EXAMPLE_MARKER = "示例行 Example row — 不会导入, never imported"
EXAMPLE_HEADER = "说明 Note"
_EXAMPLE_PREFIXES = ("示例行", "example row")

EXAMPLE_FONT = Font(italic=True, color="808080")
HEADER_FONT = Font(bold=True)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def safe_cell(
    sheet: Worksheet,
    value: Any,
    *,
    number_format: str | None = None,
    font: Font | None = None,
) -> Cell:
    """A cell for ``sheet`` (write-only or normal) holding ``value``; text that a spreadsheet
    would evaluate is stored as a quote-prefixed string."""
    if isinstance(value, Promise):
        value = str(value)  # a lazy translation
    cell = WriteOnlyCell(sheet, value=value)
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    if number_format is not None:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def write_row(
    sheet: Worksheet,
    values: Iterable[Any],
    *,
    font: Font | None = None,
    text_columns: Iterable[int] = (),
) -> None:
    """Append one row; every cell through ``safe_cell``. ``text_columns``: 0-based positions
    formatted as text (``@``) so that Excel keeps leading zeros when the user types there."""
    as_text = set(text_columns)
    sheet.append(
        [
            safe_cell(sheet, value, font=font, number_format="@" if i in as_text else None)
            for i, value in enumerate(values)
        ]
    )


def write_rows(sheet: Worksheet, rows: Iterable[Iterable[Any]], **options: Any) -> None:
    for values in rows:
        write_row(sheet, values, **options)


def write_example_row(
    sheet: Worksheet, values: Iterable[Any], *, text_columns: Iterable[int] = ()
) -> None:
    """The template's example row: grey italics and ``EXAMPLE_MARKER`` in a trailing column."""
    write_row(sheet, [*values, EXAMPLE_MARKER], font=EXAMPLE_FONT, text_columns=text_columns)


def is_example_row(cells: Sequence[Any]) -> bool:
    """Whether a row read from a file is a template's example row (never imported): a cell
    starts with the marker. Cheap enough for every row of a large file: one join, two substring
    searches, and the per-cell test only when the marker's text is somewhere in the row."""
    try:
        joined = "\x1f".join(cells)
    except TypeError:
        joined = "\x1f".join(c for c in cells if isinstance(c, str))
    if "示例行" not in joined and "xample row" not in joined:
        return False
    return any(
        isinstance(c, str) and c.strip()[:11].lower().startswith(_EXAMPLE_PREFIXES) for c in cells
    )


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
