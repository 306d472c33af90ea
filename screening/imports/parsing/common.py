"""Messages, error kinds, staging columns, the row error, and the columns of an instrument."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mhcare.core.imports.normalise import normalize_text
from screening import scoring

ERROR_UNREADABLE = _("The file could not be read as an Excel workbook or a CSV file.")
ERROR_NO_ROWS = _("The file contains no data rows.")
ERROR_MISSING_COLUMN = _("This column is missing; use the template.")
# One message whether the number is nobody's or another school's: an import must not tell a teacher
# which national student numbers exist elsewhere in the province.
ERROR_UNKNOWN_STUDENT = _("No student of this school has this student number.")
# Only for a student of the importer's own school (another school's student stays "unknown").
ERROR_CONSENT_REFUSED = _(
    "The guardian refused screening for this student: remove the row (no result is stored)."
)
ERROR_OUTSIDE_SCHOOL = _("This student is outside your school.")
ERROR_NAME_MISMATCH = _("The name does not match this student number (on record: %(expected)s).")
ERROR_OUT_OF_RANGE = _("%(value)s is out of range; allowed: %(allowed)s.")
ERROR_MISSING_ITEM = _("This item has no answer.")
ERROR_DUPLICATE = _("This student is already in row %(row)s.")
ERROR_NOT_A_NUMBER = _("“%(value)s” is not a number.")
ERROR_GRADE = _("This instrument is not used for the student's grade in this campaign.")
ERROR_MORE = _("… and %(count)s more errors.")
ERROR_ONLY_EXAMPLE = _(
    "The file holds only the template's example row (it is never imported); add the students' rows."
)
ERROR_ALL_BLANK = _(
    "No row holds answers: all %(count)s rows were left blank (students not screened). "
    "Nothing was stored."
)

# Kinds of row errors, for the summary of a long list (``ERROR_KINDS``: its labels).
KIND_FILE = "file"
KIND_UNKNOWN_STUDENT = "unknown_student"
KIND_OUTSIDE_SCHOOL = "outside_school"
KIND_NAME_MISMATCH = "name_mismatch"
KIND_OUT_OF_RANGE = "out_of_range"
KIND_MISSING_ITEM = "missing_item"
KIND_DUPLICATE = "duplicate"
KIND_NOT_A_NUMBER = "not_a_number"
KIND_GRADE = "grade"
KIND_SCORE = "score"
KIND_MORE = "more"
KIND_CONSENT_REFUSED = "consent_refused"
ERROR_KINDS = {
    KIND_FILE: _("File"),
    KIND_UNKNOWN_STUDENT: _("Student number not found"),
    KIND_OUTSIDE_SCHOOL: _("Student outside your school"),
    KIND_NAME_MISMATCH: _("Name does not match"),
    KIND_OUT_OF_RANGE: _("Answer out of range"),
    KIND_MISSING_ITEM: _("Item not answered"),
    KIND_DUPLICATE: _("Student twice in the file"),
    KIND_NOT_A_NUMBER: _("Not a number"),
    KIND_GRADE: _("Grade not covered"),
    KIND_SCORE: _("Score not valid"),
    KIND_CONSENT_REFUSED: _("Guardian refused screening"),
}
# How many rows of each kind are kept even past ``MAX_ERRORS`` (the summary shows the first ones).
ROWS_PER_KIND = 10

# How many errors a job keeps in full, for the Excel list (encrypted JSON: ~100 bytes an error).
# A school's file of any real size fits whole; only a wholly wrong file of 1 M rows goes past it,
# and then the rest is one final "… and N more" line while the counts per kind cover every error.
MAX_ERRORS = 100_000

# Cell text that means "the student refused this item" (refusable items only, e.g. ASQ 5).
REFUSED_VALUES = frozenset({"拒答", "拒绝", "refused", "r", "null"})

NUMBER_COLUMN = ("student_number", "学籍号", "Student number", ("全国学籍号", "学号", "number"))
NAME_COLUMN = ("name", "姓名", "Name", ("学生姓名", "student name"))
# In the template for the reader (which class a row is); not read by the import.
CLASS_HEADER = "班级 Class"

# Staging columns, in COPY order (services creates the table with these names).
STAGING_COLUMNS = (
    "row_no",
    "student_number",
    "name",
    "answers",
    "scores",
    "total",
    "band",
    "is_critical",
    "level",
    "reasons",
)

NULL = "\\N"  # COPY text format
BAD_ROW = "\t".join([NULL] * 7)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str
    kind: str = KIND_FILE

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message, "kind": self.kind}


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"


def format_message(template: Promise | str, **params: Any) -> str:
    text = str(template)
    return text % params if params else text


def normalize(value: Any) -> str:
    """A cell as clean text (``core.imports.normalise``: NFKC, invisible characters removed,
    trimmed); integral floats (Excel numbers) without their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return normalize_text(value)


# A name of CJK unified ideographs, the middle dot of minority names and ASCII letters and digits
# only: NFKC leaves each as it is, and it holds no whitespace, control or invisible character —
# already normalised. (The usual name: one regular expression instead of the whole normalisation,
# 30 % of the parse of a results file.)
_PLAIN_NAME = re.compile("[\u4e00-\u9fff\u00b70-9A-Za-z]+")


def normalize_name(value: Any) -> str:
    """Names compare without any whitespace (``张 小明`` is ``张小明``)."""
    if value.__class__ is str and _PLAIN_NAME.fullmatch(value):
        return value
    return "".join(normalize(value).split())


# ---------------------------------------------------------------- columns of an instrument


def instrument_columns(instrument: Any) -> list[Column]:
    """The answer columns of an instrument: items (item-level) or subscales / total (score-level),
    with bilingual headers."""
    definition = instrument.definition
    if instrument.kind == "score":
        columns = [
            Column(
                str(s["code"]),
                s.get("zh") or s["code"],
                s.get("en") or s["code"],
                (str(s["code"]),),
            )
            for s in definition.get("subscales", [])
        ]
        if definition.get("total", {}).get("from") == "entered":
            columns.append(Column(scoring.TOTAL_KEY, "总分", "Total", ("total",)))
        return columns
    columns = []
    for item in definition.get("items", []):
        n = item["number"]
        columns.append(Column(f"item_{n}", f"第{n}题", f"Item {n}", (str(n), f"q{n}", f"题{n}")))
    return columns


def all_columns(instrument: Any) -> list[Column]:
    return [
        Column(NUMBER_COLUMN[0], NUMBER_COLUMN[1], NUMBER_COLUMN[2], NUMBER_COLUMN[3]),
        Column(NAME_COLUMN[0], NAME_COLUMN[1], NAME_COLUMN[2], NAME_COLUMN[3]),
        *instrument_columns(instrument),
    ]
