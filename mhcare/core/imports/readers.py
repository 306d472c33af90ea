"""Reading a spreadsheet upload: .xlsx, .xls (old Excel and WPS) and CSV (UTF-8 with or without
BOM, GBK / GB18030, UTF-16 with BOM — what Excel saves as "Unicode text", tab-separated).

``read_workbook`` checks the limits first (``limits``), then gives every sheet of the file
(``Sheet``): its name, whether it holds data, and its rows as (spreadsheet row number, cells),
each text cell normalised (``normalise.normalize_text``), numbers, dates and booleans kept as
the file typed them (so that an identifier column can tell a number from text). Blank rows —
empty, formatted-empty, or whose only values are formula results (a 总分 ``=SUM()`` dragged far
below the data) — are skipped. The limits are checked first (``limits``; an Excel file's real
extent by ``excel``), headers are found and matched by ``headers``."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from unicodedata import is_normalized

from django.utils.translation import gettext_lazy as _

from mhcare.core.imports.excel import SheetScan, Xlsx, check_xls, drain
from mhcare.core.imports.headers import HEADER_SCAN_ROWS
from mhcare.core.imports.limits import (
    ERROR_CELL_LENGTH,
    ERROR_ROWS,
    ERROR_UNREADABLE,
    LIMITS,
    FileRefused,
    Limits,
    check_extent,
    check_upload_size,
)
from mhcare.core.imports.normalise import normalize_cell

ERROR_SEVERAL_SHEETS = _(
    "Data was found in several sheets (%(sheets)s); put it in one sheet, or delete the others."
)
ERROR_UNKNOWN_SHEET = _(
    "Sheet %(sheet)s holds data but none of its columns is known; use the template's headers "
    "or delete the sheet."
)

CSV_SUFFIXES = (".csv", ".txt")
# What ``normalize_text`` removes or replaces besides NFKC (kept in step with normalise._TABLE).
_UNCLEAN = re.compile("[\x00-\x1f\x7f-\xa0\u00ad\u200b-\u200f\u202a-\u202e\u2060\u3000\ufeff]")
XLS_SUFFIX = ".xls"


Row = tuple[int, list[Any]]


def is_csv(filename: str) -> bool:
    return filename.lower().endswith(CSV_SUFFIXES)


def is_xls(data: bytes) -> bool:
    """Old binary Excel (an OLE compound file), whatever the name says."""
    return data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# ---------------------------------------------------------------- CSV


def detect_encoding(data: bytes) -> str:
    """UTF-16 or UTF-8 by their BOM; UTF-8 when the whole file decodes as UTF-8; else GB18030
    (a superset of GBK, what Excel saves on a Chinese Windows). Decoded incrementally."""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), 1 << 20):
            decoder.decode(view[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def csv_line_count(data: bytes, encoding: str | None = None) -> int:
    """Physical lines of a CSV (an upper bound of its records), without decoding it."""
    encoding = encoding or detect_encoding(data)
    if encoding == "utf-16":
        newline = b"\n\x00" if data[:2] == codecs.BOM_UTF16_LE else b"\x00\n"
    else:
        newline = b"\n"
    lines = data.count(newline)
    return lines + (0 if data.rstrip(b"\x00").endswith(b"\n") or not data else 1)


def _csv_rows(data: bytes, encoding: str) -> Iterator[Row]:
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    head = "".join(stream.readline() for _ in range(HEADER_SCAN_ROWS))
    stream.seek(0)
    # Excel's "Unicode text" is tab-separated; a CSV saved with a Chinese locale may use ";".
    # Counted over the first lines, as the first may be a title.
    delimiter = max((",", "\t", ";"), key=lambda d: (head.count(d), d == ","))
    yield from enumerate(csv.reader(stream, delimiter=delimiter), start=1)


# ---------------------------------------------------------------- sheets


@dataclass
class Sheet:
    """One sheet of an upload (a CSV is one sheet named after the file)."""

    name: str
    has_data: bool
    _rows: Callable[[], Iterator[Row]]
    # Rows whose only values are formula results (.xlsx only).
    formula_rows: frozenset[int] = frozenset()
    limits: Limits = LIMITS
    # Rows with a value, when known without reading the sheet (.xlsx: from the scan).
    row_count: int | None = None

    def rows(self) -> Iterator[Row]:
        """(row number as the spreadsheet shows it, cells) of every row that is not blank, text
        normalised; a cell longer than the limit refuses the file."""
        most = self.limits.cell_chars
        skip = self.formula_rows
        for number, cells in self._rows():
            if skip and number in skip:
                continue
            try:
                joined = "".join(cells)
            except TypeError:
                joined = None
            # Whole-row checks first: most rows are text that is already clean (ASCII, or
            # Chinese in NFKC without an invisible or control character).
            if joined is not None and (
                (joined.isascii() and joined.isprintable())
                or (is_normalized("NFKC", joined) and not _UNCLEAN.search(joined))
            ):
                if not joined or joined.isspace():
                    continue
                if len(joined) > most and any(len(c) > most for c in cells):
                    raise FileRefused(ERROR_CELL_LENGTH, sheet=self.name, row=number, max=most)
                if " " in joined:
                    cells = [c.strip() for c in cells]
                yield number, cells
                continue
            cells = [normalize_cell(c) for c in cells]
            if all(c == "" for c in cells):
                continue
            if any(isinstance(c, str) and len(c) > most for c in cells):
                raise FileRefused(ERROR_CELL_LENGTH, sheet=self.name, row=number, max=most)
            yield number, cells


def read_workbook(data: bytes, filename: str, *, limits: Limits = LIMITS) -> list[Sheet]:
    """Every sheet of the file, after the limits are checked. Raises ``FileRefused``."""
    check_upload_size(len(data), limits)
    if is_csv(filename):
        return [_csv_sheet(data, filename, limits)]
    if data[:2] == b"PK":
        return _xlsx_sheets(data, limits)
    if is_xls(data):
        return _calamine_sheets(data, limits, {}, check=check_xls)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise FileRefused(ERROR_UNREADABLE)
    # An unknown name: a CSV if it decodes as one.
    return [_csv_sheet(data, filename, limits)]


def _csv_sheet(data: bytes, filename: str, limits: Limits) -> Sheet:
    encoding = detect_encoding(data)
    if csv_line_count(data, encoding) > limits.rows + 1:
        raise FileRefused(ERROR_ROWS, max=limits.rows)

    def rows() -> Iterator[Row]:
        try:
            yield from _csv_rows(data, encoding)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise FileRefused(ERROR_UNREADABLE) from exc

    has_data = bool(data.strip(b"\r\n\t ,;\x00\xef\xbb\xbf\xff\xfe"))
    return Sheet(filename, has_data, rows, limits=limits)


def _xlsx_sheets(data: bytes, limits: Limits) -> list[Sheet]:
    workbook = Xlsx(data, limits)
    try:
        scans = {name: workbook.scan(name, path) for name, path in workbook.sheets}
        # Every other part is unpacked once too, to count what it really holds (a part may
        # declare a small size and unpack to gigabytes).
        scanned = {path for _, path in workbook.sheets}
        for info in workbook.zip.infolist():
            if info.filename not in scanned and not info.is_dir():
                drain(workbook, info.filename)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise FileRefused(ERROR_UNREADABLE) from exc
    return _calamine_sheets(data, limits, scans)


def _calamine_sheets(
    data: bytes,
    limits: Limits,
    scans: dict[str, SheetScan],
    check: Callable[[bytes, Limits, list[str]], None] | None = None,
) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    if check is not None:
        # Before opening: opening an .xls reads every sheet's cells into its grid.
        check(data, limits, [])
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
    except Exception as exc:  # noqa: BLE001 - any reader failure means "not a workbook"
        raise FileRefused(ERROR_UNREADABLE) from exc
    sheets = []
    for name in names:
        scan = scans.get(name)
        if scans and scan is None:
            continue  # a chart sheet

        def rows(name: str = name) -> Iterator[Row]:
            try:
                sheet = book.get_sheet_by_name(name)
                first = (sheet.start or (0, 0))[0] + 1
                yield from enumerate(sheet.iter_rows(), start=first)
            except FileRefused:
                raise
            except Exception as exc:  # noqa: BLE001
                raise FileRefused(ERROR_UNREADABLE) from exc

        count = None
        if scan is not None:
            has_data = scan.has_data
            formula_rows = frozenset(scan.formula_rows)
            count = scan.rows - len(scan.formula_rows)
        else:  # .xls: the extent was checked on its DIMENSIONS records
            try:
                sheet = book.get_sheet_by_name(name)
            except Exception as exc:  # noqa: BLE001
                raise FileRefused(ERROR_UNREADABLE) from exc
            check_extent(name, sheet.height, sheet.width, limits)
            has_data = sheet.height > 0 and any(
                any(not (c == "" or c is None) for c in r) for r in sheet.iter_rows()
            )
            formula_rows = frozenset()
            count = sheet.height
        sheets.append(Sheet(name, has_data, rows, formula_rows, limits, count))
    return sheets


def data_sheets(sheets: list[Sheet]) -> list[Sheet]:
    return [s for s in sheets if s.has_data]
