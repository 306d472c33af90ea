"""Reading a spreadsheet upload: .xlsx, .xls (old Excel and WPS) and CSV (UTF-8 with or without
BOM, GBK / GB18030, UTF-16 with BOM — what Excel saves as "Unicode text", tab-separated).

``read_workbook`` checks the limits first (``limits``), then gives every sheet of the file
(``Sheet``): its name, whether it holds data, and its rows as (spreadsheet row number, cells),
each text cell normalised (``normalise.normalize_text``), numbers, dates and booleans kept as
the file typed them (so that an identifier column can tell a number from text). Blank rows —
empty, formatted-empty, or whose only values are formula results (a 总分 ``=SUM()`` dragged far
below the data) — are skipped. ``find_header`` finds the header row below title rows, and
``match_header`` matches columns by their header in any order, Chinese or English."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any, Protocol
from unicodedata import is_normalized
from xml.etree import ElementTree

from django.utils.translation import gettext_lazy as _

from mhcare.core.imports.limits import (
    ERROR_CELL_LENGTH,
    ERROR_RATIO,
    ERROR_ROWS,
    ERROR_UNCOMPRESSED,
    LIMITS,
    FileRefused,
    Limits,
    check_cells,
    check_extent,
    check_upload_size,
)
from mhcare.core.imports.normalise import normalize_cell, normalize_text

ERROR_UNREADABLE = _("The file could not be read as an Excel workbook or a CSV file.")
ERROR_NUMBER_IDENTIFIER = _(
    "Excel stored this identifier as a number (%(value)s), which loses leading zeros and long "
    "digits. Format the column as text (设置单元格格式 → 文本) and enter it again."
)
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
# How many non-blank rows at the top of a sheet may hold titles before the header.
HEADER_SCAN_ROWS = 20
_SHEET_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


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


# ---------------------------------------------------------------- .xlsx, checked before reading

_ROW_START = re.compile(rb"<([A-Za-z_][\w.-]*:)?row\b")
_ROW = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?row\b([^>]*?)(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?row>)", re.DOTALL
)
_CELL = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?c>)", re.DOTALL
)
_R_ATTR = re.compile(rb'\br="([A-Z]{0,3})([0-9]*)"')
# The reference of a cell that has content (the reader leaves cells with a style only, such as
# a border drawn far below the data, out of its grid: they do not count).
_CELL_REF = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]+)"[^>]*?(?<!/)>(?!</)'
)
_CELL_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|is)\b")
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f\b")
_CHUNK = 1 << 20
# The most a single row's XML may take (a row of 256 long cells is far smaller).
_MAX_ROW_XML = 64 << 20


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.lstrip(b"@"):
        number = number * 26 + letter - 64
    return number


@dataclass
class _SheetScan:
    """What the XML of one sheet holds, learned without loading it."""

    rows: int = 0  # rows with a cell (formatted-empty ones included: an upper bound)
    has_value: bool = False
    first_row: int = 0
    last_row: int = 0
    first_column: int = 0
    last_column: int = 0
    formula_rows: set[int] = field(default_factory=set)

    @property
    def has_data(self) -> bool:
        return self.has_value


class _Xlsx:
    def __init__(self, data: bytes, limits: Limits) -> None:
        self.data = data
        self.limits = limits
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise FileRefused(ERROR_UNREADABLE) from exc
        total = sum(i.file_size for i in infos)
        if total > limits.uncompressed_bytes:
            raise FileRefused(ERROR_UNCOMPRESSED, mb=limits.uncompressed_bytes // 2**20)
        for info in infos:
            if info.file_size >= limits.ratio_from_bytes and info.file_size > limits.ratio * max(
                info.compress_size, 1
            ):
                raise FileRefused(ERROR_RATIO)
        # What is really unpacked is counted too: a part may lie about its size.
        self.budget = [limits.uncompressed_bytes]
        self.sheets = self._sheet_parts()

    def _read_small(self, path: str, most: int = 16 << 20) -> bytes:
        info = self.zip.getinfo(path)
        if info.file_size > most:
            raise FileRefused(ERROR_UNCOMPRESSED, mb=self.limits.uncompressed_bytes // 2**20)
        with self.zip.open(info) as part:
            content = part.read(most + 1)
        if len(content) > most:
            raise FileRefused(ERROR_UNCOMPRESSED, mb=self.limits.uncompressed_bytes // 2**20)
        return content

    def _sheet_parts(self) -> list[tuple[str, str]]:
        """(name, part path) of each worksheet, in workbook order."""
        try:
            workbook = ElementTree.fromstring(self._read_small("xl/workbook.xml"))  # noqa: S314 - size-capped; expat refuses entity expansion bombs
            rels = ElementTree.fromstring(self._read_small("xl/_rels/workbook.xml.rels"))  # noqa: S314
        except (KeyError, ElementTree.ParseError) as exc:
            raise FileRefused(ERROR_UNREADABLE) from exc
        targets = {}
        for rel in rels.iter(f"{{{_PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id")] = target
        parts = []
        for sheet in workbook.iter(f"{{{_SHEET_MAIN}}}sheet"):
            target = targets.get(sheet.get(f"{{{_REL_NS}}}id"), "")
            if "worksheets/" in target and target in self.zip.namelist():
                parts.append((sheet.get("name", ""), target))
        return parts

    def scan(self, name: str, path: str) -> _SheetScan:
        """The sheet's real extent, streamed 1 MB at a time: the cells that hold a value, as
        the reader will place them in its grid. (The ``<dimension>`` a sheet declares is not
        trusted either way: a crafted file declares A1:B2 around a stray cell at XFD1048576,
        and Excel declares cells that only have a style — a border far below the data — which
        the reader leaves out of its grid.)"""
        limits = self.limits
        scan = _SheetScan()
        with self.zip.open(path) as part:
            buffer = b""
            row_end = b""
            previous_row = 0
            while True:
                chunk = part.read(_CHUNK)
                self.budget[0] -= len(chunk)
                if self.budget[0] < 0:
                    raise FileRefused(ERROR_UNCOMPRESSED, mb=limits.uncompressed_bytes // 2**20)
                buffer += chunk
                if not row_end:
                    start = _ROW_START.search(buffer)
                    if start:
                        row_end = b"</" + (start.group(1) or b"") + b"row>"
                end = buffer.rfind(row_end) if chunk and row_end else -1
                if chunk and end < 0:
                    if len(buffer) > _MAX_ROW_XML:
                        raise FileRefused(ERROR_UNREADABLE)
                    continue
                cut = end + len(row_end) if chunk else len(buffer)
                block, buffer = buffer[:cut], buffer[cut:]
                previous_row = self._scan_rows(name, block, scan, previous_row)
                if not chunk:
                    break
        return scan

    def _scan_rows(self, name: str, block: bytes, scan: _SheetScan, previous: int) -> int:
        """Learn the extent of a block of whole rows. The usual block (every cell with its
        reference, no formula) is read with a few C-speed passes; others row by row."""
        refs = _CELL_REF.findall(block)
        if (
            refs
            and block.count(b'<c r="') == len(_CELL_START.findall(block))
            and not _FORMULA.search(block)
        ):
            if _VALUE.search(block):
                scan.has_value = True
            letters = {letter.rjust(3, b"@") for letter in map(itemgetter(0), refs)}
            numbers = set(map(int, map(itemgetter(1), refs)))
            first_row, last_row = min(numbers), max(numbers)
            first, last = _column_number(min(letters)), _column_number(max(letters))
            check_extent(name, last_row, last, self.limits)
            scan.rows += len(numbers)
            scan.first_row = min(scan.first_row or first_row, first_row)
            scan.last_row = max(scan.last_row, last_row)
            scan.first_column = min(scan.first_column or first, first)
            scan.last_column = max(scan.last_column, last)
            self._check_totals(name, scan)
            return max(previous, last_row)
        return self._scan_rows_one_by_one(name, block, scan, previous)

    def _check_totals(self, name: str, scan: _SheetScan) -> None:
        check_cells(name, self._cells(scan), self.limits)
        if scan.rows > self.limits.rows:
            raise FileRefused(ERROR_ROWS, max=self.limits.rows)

    def _scan_rows_one_by_one(
        self, name: str, block: bytes, scan: _SheetScan, previous: int
    ) -> int:
        limits = self.limits
        for row in _ROW.finditer(block):
            attrs, body = row.group(1), row.group(2) or b""
            ref = _R_ATTR.search(attrs)
            number = int(ref.group(2)) if ref and ref.group(2) else previous + 1
            previous = number
            if not body:
                continue
            if not _VALUE.search(body):
                continue  # formatted-empty
            cells = _CELL_REF.findall(body)
            if cells:
                # Cells are in order, but a crafted file need not be: the widest letters win.
                letters = [c[0].rjust(3, b"@") for c in cells]
                first, last = _column_number(min(letters)), _column_number(max(letters))
            else:
                first, last = 1, body.count(b"<c") or 1
            check_extent(name, number, last, limits)
            scan.has_value = True
            if _FORMULA.search(body) and self._formula_only(body):
                scan.formula_rows.add(number)
            scan.rows += 1
            scan.first_row = scan.first_row or number
            scan.last_row = number
            scan.first_column = min(scan.first_column or first, first)
            scan.last_column = max(scan.last_column, last)
        self._check_totals(name, scan)
        return previous

    @staticmethod
    def _cells(scan: _SheetScan) -> int:
        if not scan.rows:
            return 0
        height = scan.last_row - scan.first_row + 1
        return height * (scan.last_column - scan.first_column + 1)

    @staticmethod
    def _formula_only(body: bytes) -> bool:
        """Whether every cell of the row that has a value is a formula's result."""
        for cell in _CELL.finditer(body):
            content = cell.group(2) or b""
            if _VALUE.search(content) and not _FORMULA.search(content):
                return False
        return True


# ---------------------------------------------------------------- .xls, checked before reading

_XLS_DIMENSIONS = re.compile(rb"\x00\x02\x0e\x00(.{4})(.{4})(.{2})(.{2})\x00\x00", re.DOTALL)


def _check_xls(data: bytes, limits: Limits, names: list[str]) -> None:
    """The extent every sheet declares in its DIMENSIONS record, in sheet order (the .xls grid
    is at most 65 536 × 256, so the cell budget is what can be exceeded)."""
    found = total = 0
    for match in _XLS_DIMENSIONS.finditer(data):
        first_row = int.from_bytes(match.group(1), "little")
        end_row = int.from_bytes(match.group(2), "little")  # one past the last
        first_col = int.from_bytes(match.group(3), "little")
        end_col = int.from_bytes(match.group(4), "little")
        if end_row < first_row or end_col < first_col or end_col > 256 or end_row > 65536:
            continue  # not a DIMENSIONS record after all
        name = names[found] if found < len(names) else str(found + 1)
        found += 1
        check_extent(name, end_row, end_col, limits)
        check_cells(name, (end_row - first_row) * (end_col - first_col), limits)
        # every sheet is read at once: their grids count together
        total += (end_row - first_row) * (end_col - first_col)
        check_cells(name, total, limits)


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
        return _calamine_sheets(data, limits, {}, check=_check_xls)
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
    workbook = _Xlsx(data, limits)
    try:
        scans = {name: workbook.scan(name, path) for name, path in workbook.sheets}
        # Every other part is unpacked once too, to count what it really holds (a part may
        # declare a small size and unpack to gigabytes).
        scanned = {path for _, path in workbook.sheets}
        for info in workbook.zip.infolist():
            if info.filename not in scanned and not info.is_dir():
                _drain(workbook, info.filename)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise FileRefused(ERROR_UNREADABLE) from exc
    return _calamine_sheets(data, limits, scans)


def _drain(workbook: _Xlsx, path: str) -> None:
    """Unpack a part only to count its real size against the budget."""
    with workbook.zip.open(path) as part:
        while chunk := part.read(_CHUNK):
            workbook.budget[0] -= len(chunk)
            if workbook.budget[0] < 0:
                raise FileRefused(
                    ERROR_UNCOMPRESSED, mb=workbook.limits.uncompressed_bytes // 2**20
                )


def _calamine_sheets(
    data: bytes,
    limits: Limits,
    scans: dict[str, _SheetScan],
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


# ---------------------------------------------------------------- headers


class HeaderColumn(Protocol):
    """What the apps' column descriptions have in common (read-only)."""

    @property
    def key(self) -> str: ...
    @property
    def zh(self) -> str: ...
    @property
    def en(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...


_HEADER_DROP = re.compile(r"[\s_\-/()\[\]【】（）:：*.#]+")


def header_key(text: Any) -> str:
    """A header as compared: normalised, lower case, without spaces and punctuation."""
    return _HEADER_DROP.sub("", normalize_text(text)).lower()


def header_names(column: HeaderColumn) -> set[str]:
    zh, en = header_key(column.zh), header_key(column.en)
    return {zh, en, zh + en, en + zh, header_key(column.key)} | {
        header_key(a) for a in column.aliases
    }


def match_header(cells: Sequence[Any], columns: Iterable[HeaderColumn]) -> dict[str, int]:
    """Column key → position of its header (the first one, when a header repeats)."""
    names = [(column.key, header_names(column)) for column in columns]
    found: dict[str, int] = {}
    for position, cell in enumerate(cells):
        if not isinstance(cell, str):
            continue
        key = header_key(cell)
        if not key:
            continue
        for column_key, known in names:
            if key in known and column_key not in found:
                found[column_key] = position
                break
    return found


def find_header(
    rows: Iterator[Row], score: Callable[[list[Any]], int], *, scan: int = HEADER_SCAN_ROWS
) -> tuple[int, list[Any], Iterator[Row]]:
    """The header row among the first ``scan`` non-blank rows: the one ``score`` rates highest
    (the most known headers), the first of equals; title rows above it are dropped. Returns
    (its row number or 0 when no row scores, its cells, the rows after it)."""
    seen: list[Row] = []
    best, best_at = 0, -1
    for row in rows:
        seen.append(row)
        points = score(row[1])
        if points > best:
            best, best_at = points, len(seen) - 1
        if len(seen) >= scan:
            break
    if best_at < 0:
        return 0, [], chain(seen, rows)
    number, cells = seen[best_at]
    return number, cells, chain(seen[best_at + 1 :], rows)


def data_sheets(sheets: list[Sheet]) -> list[Sheet]:
    return [s for s in sheets if s.has_data]


# ---------------------------------------------------------------- identifiers

_SCIENTIFIC = re.compile(r"^[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+$")


def identifier_problem(value: Any) -> str | None:
    """The refusal for an identifier cell (student number, ID, phone) that Excel stored as a
    number — or a CSV carries in Excel's ``1.23457E+17`` form — else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        shown = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        return str(ERROR_NUMBER_IDENTIFIER) % {"value": shown}
    if isinstance(value, str) and _SCIENTIFIC.match(value):
        return str(ERROR_NUMBER_IDENTIFIER) % {"value": value}
    return None
