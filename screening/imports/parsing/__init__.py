"""Reading a results file (Excel or CSV) in one streaming pass.

The pass normalises every cell (NFKC: full-width digits become ASCII; whitespace trimmed),
validates the answers against the instrument, scores them (``Scorer``; ``scoring.score_entered``
for score-level instruments) and yields one line of PostgreSQL COPY text per row: the row, its
answers and their outcome (``STAGING_COLUMNS``).
Checks that need the database (unknown student, student outside the school, name mismatch, grade
not covered, duplicate row) are made set-based on the staging table by ``services``.

Errors are ``RowError`` (row number as the spreadsheet shows it — the header is row 1 — column
header, reason in the user's language). Messages are module constants the tests import.

The package: ``common`` (messages, kinds, columns), ``reading``, ``scorer``, ``lines`` (the pass),
``template``; callers import from ``screening.imports.parsing``. How many errors a job keeps is
``common.MAX_ERRORS`` (read there, so a test may lower it).
"""

from screening.imports.parsing import common
from screening.imports.parsing.common import (
    BAD_ROW,
    CLASS_HEADER,
    ERROR_ALL_BLANK,
    ERROR_CONSENT_REFUSED,
    ERROR_DUPLICATE,
    ERROR_GRADE,
    ERROR_KINDS,
    ERROR_MISSING_COLUMN,
    ERROR_MISSING_ITEM,
    ERROR_MORE,
    ERROR_NAME_MISMATCH,
    ERROR_NO_ROWS,
    ERROR_NOT_A_NUMBER,
    ERROR_ONLY_EXAMPLE,
    ERROR_OUT_OF_RANGE,
    ERROR_OUTSIDE_SCHOOL,
    ERROR_UNKNOWN_STUDENT,
    ERROR_UNREADABLE,
    KIND_CONSENT_REFUSED,
    KIND_DUPLICATE,
    KIND_FILE,
    KIND_GRADE,
    KIND_MISSING_ITEM,
    KIND_MORE,
    KIND_NAME_MISMATCH,
    KIND_NOT_A_NUMBER,
    KIND_OUT_OF_RANGE,
    KIND_OUTSIDE_SCHOOL,
    KIND_SCORE,
    KIND_UNKNOWN_STUDENT,
    NAME_COLUMN,
    NULL,
    NUMBER_COLUMN,
    REFUSED_VALUES,
    STAGING_COLUMNS,
    Column,
    RowError,
    all_columns,
    format_message,
    instrument_columns,
    normalize,
    normalize_name,
)
from screening.imports.parsing.lines import (
    FileError,
    ParseResult,
    parse_lines,
)
from screening.imports.parsing.reading import (
    count_rows,
    is_csv,
    iter_table,
    xlsx_rows,
)
from screening.imports.parsing.scorer import (
    Scorer,
)
from screening.imports.parsing.template import (
    instrument_label,
    template_headers,
    template_workbook,
)

__all__ = [
    "common",
    "BAD_ROW",
    "CLASS_HEADER",
    "Column",
    "ERROR_ALL_BLANK",
    "ERROR_DUPLICATE",
    "ERROR_GRADE",
    "ERROR_KINDS",
    "ERROR_MISSING_COLUMN",
    "ERROR_MISSING_ITEM",
    "ERROR_MORE",
    "ERROR_NAME_MISMATCH",
    "ERROR_NOT_A_NUMBER",
    "ERROR_NO_ROWS",
    "ERROR_ONLY_EXAMPLE",
    "ERROR_OUTSIDE_SCHOOL",
    "ERROR_OUT_OF_RANGE",
    "ERROR_CONSENT_REFUSED",
    "ERROR_UNKNOWN_STUDENT",
    "ERROR_UNREADABLE",
    "FileError",
    "KIND_DUPLICATE",
    "KIND_FILE",
    "KIND_GRADE",
    "KIND_MISSING_ITEM",
    "KIND_MORE",
    "KIND_NAME_MISMATCH",
    "KIND_NOT_A_NUMBER",
    "KIND_OUTSIDE_SCHOOL",
    "KIND_OUT_OF_RANGE",
    "KIND_SCORE",
    "KIND_CONSENT_REFUSED",
    "KIND_UNKNOWN_STUDENT",
    "NAME_COLUMN",
    "NULL",
    "NUMBER_COLUMN",
    "ParseResult",
    "REFUSED_VALUES",
    "RowError",
    "STAGING_COLUMNS",
    "Scorer",
    "all_columns",
    "count_rows",
    "format_message",
    "instrument_columns",
    "instrument_label",
    "is_csv",
    "iter_table",
    "normalize",
    "normalize_name",
    "parse_lines",
    "template_headers",
    "template_workbook",
    "xlsx_rows",
]
