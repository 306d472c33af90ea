"""A generator of the files Chinese school staff really upload, for the import tests (roster and
results): CSV in every encoding Excel and WPS save (GBK, GB18030, UTF-8 with or without BOM,
UTF-16 "Unicode text", tab-separated), .xlsx with merged title rows, several sheets, numbers in
identifier columns, reordered / extra / English headers, blank and formatted-empty rows, formula
columns dragged below the data (with the cached values Excel writes), full-width and invisible
characters, Excel serial dates; and hostile files: a stray cell far away, a zip bomb, truncated
or mislabelled files. Old .xls files are committed fixtures (``fixtures/``, ``make_xls.py``)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"

ZWSP = "\u200b"
BOM = "\ufeff"
NBSP = "\u00a0"
FULL_WIDTH_SPACE = "\u3000"


def full_width(text: str) -> str:
    """ASCII letters, digits and brackets as their full-width forms (what a Chinese IME types)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def csv_bytes(
    rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8-sig", delimiter: str = ","
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode(encoding)


def unicode_text(rows: Sequence[Sequence[Any]]) -> bytes:
    """Excel's "Unicode text (*.txt)": UTF-16 LE with BOM, tab-separated."""
    return csv_bytes(rows, encoding="utf-16", delimiter="\t")


def xlsx_bytes(
    sheets: dict[str, Sequence[Sequence[Any]]],
    *,
    merged: dict[str, list[str]] | None = None,
    formatted_empty: dict[str, list[str]] | None = None,
    text_columns: dict[str, list[str]] | None = None,
    cached_formula_value: str = "0",
) -> bytes:
    """A workbook of the given sheets (a cell text starting with ``=`` is a formula, saved with
    its cached value as Excel does). ``formatted_empty``: cells that have a style and no value.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for cells in (merged or {}).get(name, []):
            sheet.merge_cells(cells)
        for ref in (formatted_empty or {}).get(name, []):
            sheet[ref].font = Font(bold=True)
        for letter in (text_columns or {}).get(name, []):
            for cell in sheet[letter]:
                cell.number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return _cache_formula_values(buffer.getvalue(), cached_formula_value)


def _cache_formula_values(data: bytes, value: str) -> bytes:
    """openpyxl writes formulas without a result; Excel always stores the last one."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                content = re.sub(rb"(</f>)<v\s*/>", rb"\1<v>" + value.encode() + rb"</v>", content)
            target.writestr(info, content)
    return out.getvalue()


def stray_cell_xlsx() -> bytes:
    """5 KB: a header, a row, and one stray cell at XFD1048576 (the last cell of a sheet)."""
    data = xlsx_bytes({"学生": [["学籍号", "姓名"], ["G330106201300000001", "张小明"]]})
    return _patch_sheet(
        data,
        lambda xml: xml.replace(
            b"</sheetData>",
            b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
            b"</sheetData>",
        ).replace(b'<dimension ref="A1:B2"', b'<dimension ref="A1:XFD1048576"'),
    )


def stray_cell_hidden_dimension_xlsx() -> bytes:
    """The same stray cell, but the sheet declares a small dimension (a crafted file lies)."""
    return stray_cell_xlsx().replace(b"A1:XFD1048576", b"A1:B2")


def _patch_sheet(data: bytes, change: Any) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                content = change(content)
            target.writestr(info, content)
    return out.getvalue()


def zip_bomb_xlsx(megabytes: int = 200) -> bytes:
    """A workbook whose sheet unpacks to ``megabytes`` MB of empty rows (a few hundred KB)."""
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t> </t></is></c></row>'
    filler = row * (megabytes * 2**20 // len(row))
    return _patch_sheet(
        xlsx_bytes({"学生": [["学籍号", "姓名"]]}),
        lambda xml: xml.replace(b"</sheetData>", filler + b"</sheetData>"),
    )


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sheet_xml(data: bytes, number: int = 1) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(f"xl/worksheets/sheet{number}.xml")
