"""What a file must pass before it is parsed, so that no upload can take a worker's memory or kill
it: its size, an .xlsx's uncompressed size and compression ratio (zip bombs), each sheet's
declared and real extent (a stray cell at XFD1048576 makes the Excel reader allocate the whole
grid: 512 GiB, and the process aborts where no handler can catch it), the number of rows, and the
length of a cell. Each refusal is a ``FileRefused`` with a message in the user's language."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ERROR_UNREADABLE = _("The file could not be read as an Excel workbook or a CSV file.")
ERROR_TOO_BIG = _("The file is larger than %(mb)s MB; split it into smaller files.")
ERROR_UNCOMPRESSED = _(
    "The workbook unpacks to more than %(mb)s MB; it cannot be read. Save it again in Excel or "
    "split it."
)
ERROR_RATIO = _(
    "The workbook is compressed in a way real spreadsheets never are; it is refused. Save it "
    "again in Excel or as CSV."
)
ERROR_EXTENT = _(
    "Sheet %(sheet)s reaches cell %(cell)s: it has more than %(rows)s rows or %(columns)s columns. "
    "Delete the rows and columns beyond your data (a stray cell far away counts), or split the "
    "file."
)
ERROR_CELLS = _(
    "Sheet %(sheet)s spans %(cells)s cells (up to %(max)s can be read); delete the rows and "
    "columns beyond your data, or save the sheet as CSV."
)
ERROR_ROWS = _("The file has more than %(max)s rows; split it into smaller files.")
ERROR_CELL_LENGTH = _(
    "Sheet %(sheet)s, row %(row)s: a cell holds more than %(max)s characters, more than Excel "
    "allows; the file is damaged or not a spreadsheet."
)


@dataclass(frozen=True)
class Limits:
    # The largest upload any import accepts (each form may ask for less).
    upload_bytes: int = 200 * 1024 * 1024
    # An .xlsx: the sum of its parts unpacked, and the ratio a part may be compressed by.
    uncompressed_bytes: int = 768 * 1024 * 1024
    ratio: int = 150
    # Ratios are checked for parts at least this large (tiny parts compress by anything).
    ratio_from_bytes: int = 1024 * 1024
    # Rows of a sheet / CSV, and columns of a sheet.
    rows: int = 1_500_000
    columns: int = 256
    # Cells of an Excel sheet's grid (its rectangle from the first to the last cell): the reader
    # allocates 32 bytes for each, so this caps its memory at about 200 MB.
    cells: int = 6_000_000
    # Characters of one cell: Excel's own limit (each import checks its columns' lengths, which
    # are far shorter, row by row).
    cell_chars: int = 32_767


LIMITS = Limits()


class FileRefused(Exception):  # noqa: N818 - a refusal, not a program error
    """The file as a whole is refused before (or while) it is read, with a message for people."""

    def __init__(self, template: Promise | str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = str(self.template)
        return text % self.params if self.params else text


def check_upload_size(size: int, limits: Limits = LIMITS) -> None:
    if size > limits.upload_bytes:
        raise FileRefused(ERROR_TOO_BIG, mb=limits.upload_bytes // 2**20)


def column_letters(index: int) -> str:
    """1 → A, 16384 → XFD."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_extent(sheet: str, rows: int, columns: int, limits: Limits = LIMITS) -> None:
    """``rows`` and ``columns`` are the last row and column used (1-based)."""
    if rows > limits.rows or columns > limits.columns:
        raise FileRefused(
            ERROR_EXTENT,
            sheet=sheet,
            cell=f"{column_letters(columns)}{rows}",
            rows=limits.rows,
            columns=limits.columns,
        )


def check_cells(sheet: str, cells: int, limits: Limits = LIMITS) -> None:
    if cells > limits.cells:
        raise FileRefused(ERROR_CELLS, sheet=sheet, cells=cells, max=limits.cells)
