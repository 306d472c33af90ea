"""What an .xlsx or .xls holds, learned without letting the Excel reader allocate anything: an
.xlsx's sheets are streamed (1 MB at a time) for the extent of their cells and the rows that
only hold formula results; an .xls's DIMENSIONS records are read (opening an .xls reads every
sheet's grid at once)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from operator import itemgetter
from xml.etree import ElementTree

from mhcare.core.imports.limits import (
    ERROR_RATIO,
    ERROR_ROWS,
    ERROR_UNCOMPRESSED,
    ERROR_UNREADABLE,
    FileRefused,
    Limits,
    check_cells,
    check_extent,
)

_SHEET_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


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
class SheetScan:
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


class Xlsx:
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

    def scan(self, name: str, path: str) -> SheetScan:
        """The sheet's real extent, streamed 1 MB at a time: the cells that hold a value, as
        the reader will place them in its grid. (The ``<dimension>`` a sheet declares is not
        trusted either way: a crafted file declares A1:B2 around a stray cell at XFD1048576,
        and Excel declares cells that only have a style — a border far below the data — which
        the reader leaves out of its grid.)"""
        limits = self.limits
        scan = SheetScan()
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

    def _scan_rows(self, name: str, block: bytes, scan: SheetScan, previous: int) -> int:
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

    def _check_totals(self, name: str, scan: SheetScan) -> None:
        check_cells(name, self._cells(scan), self.limits)
        if scan.rows > self.limits.rows:
            raise FileRefused(ERROR_ROWS, max=self.limits.rows)

    def _scan_rows_one_by_one(self, name: str, block: bytes, scan: SheetScan, previous: int) -> int:
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
    def _cells(scan: SheetScan) -> int:
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


def check_xls(data: bytes, limits: Limits, names: list[str]) -> None:
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


def drain(workbook: Xlsx, path: str) -> None:
    """Unpack a part only to count its real size against the budget."""
    with workbook.zip.open(path) as part:
        while chunk := part.read(_CHUNK):
            workbook.budget[0] -= len(chunk)
            if workbook.budget[0] < 0:
                raise FileRefused(
                    ERROR_UNCOMPRESSED, mb=workbook.limits.uncompressed_bytes // 2**20
                )
