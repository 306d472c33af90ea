"""Reading a results file (Excel or CSV) in one streaming pass.

The pass normalises every cell (NFKC: full-width digits become ASCII; whitespace trimmed),
validates the answers against the instrument and yields one line of PostgreSQL COPY text per row.
Item-level instruments whose scoring compiles to SQL (``sqlscore``) stage the answers only
(``SQL_STAGING_COLUMNS``) and are scored set-based by ``services``; other instruments are scored
here (``Scorer``, ``scoring.score_entered``) and stage the outcome too (``STAGING_COLUMNS``).
Checks that need the database (unknown student, student outside the school, name mismatch, grade
not covered, duplicate row) are made set-based on the staging table by ``services``.

Errors are ``RowError`` (row number as the spreadsheet shows it — the header is row 1 — column
header, reason in the user's language). Messages are module constants the tests import.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mhcare.core.imports import readers
from mhcare.core.imports.headers import find_header, identifier_problem, match_header
from mhcare.core.imports.limits import FileRefused
from mhcare.core.imports.normalise import normalize_text
from mhcare.core.spreadsheets import (
    EXAMPLE_HEADER,
    HEADER_FONT,
    is_example_row,
    workbook_bytes,
    write_example_row,
    write_row,
)
from screening import risk, scoring
from screening.scoring import ScoreOutcome, localized

ERROR_UNREADABLE = _("The file could not be read as an Excel workbook or a CSV file.")
ERROR_NO_ROWS = _("The file contains no data rows.")
ERROR_MISSING_COLUMN = _("This column is missing; use the template.")
ERROR_UNKNOWN_STUDENT = _("No student has this student number.")
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

# Staging columns, in COPY order (services creates the table with these names). Rows scored in
# SQL stage the first four only.
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

SQL_STAGING_COLUMNS = STAGING_COLUMNS[:4]

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


def normalize_name(value: Any) -> str:
    """Names compare without any whitespace (``张 小明`` is ``张小明``)."""
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


# ---------------------------------------------------------------- reading rows
# (``mhcare.core.imports``: limits before parsing, every sheet, encodings, normalisation)


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


def _guarded(
    rows: Iterator[tuple[int, list[Any]]],
    number_at: int,
    number_header: str,
    result: ParseResult,
) -> Iterator[tuple[int, list[Any]]]:
    """The rows, minus those whose student number Excel stored as a number (each refused with
    how to fix it); a refusal while reading (a cell too long) is a ``FileError``."""
    try:
        for row_no, raw in rows:
            number = raw[number_at] if number_at < len(raw) else ""
            if number.__class__ is not str or ("E" in number or "e" in number):
                problem = identifier_problem(number)
                if problem is not None:
                    result.total_rows += 1
                    result.add(RowError(row_no, number_header, problem))
                    continue
            yield row_no, raw
    except FileRefused as exc:
        raise FileError([RowError(0, "", exc.message)]) from exc


# ---------------------------------------------------------------- scoring, precomputed


class Scorer:
    """Scores one row of an instrument. Simple item-level definitions (sum of items, bands by
    total range, critical rules on an item or a band) are precomputed into lookup tables — a row
    costs a few dict lookups; anything else goes through ``scoring.score`` /
    ``scoring.score_entered``, cached by the answers. Proposed levels (``risk.propose``) are
    cached by (total, critical codes) / answers."""

    def __init__(self, instrument: Any) -> None:
        self.instrument = instrument
        self.code = instrument.code
        self.definition = definition = instrument.definition
        self.rules = risk.active_rules()
        self.is_score_level = instrument.kind == "score"
        items = [] if self.is_score_level else definition.get("items", [])
        self.items = items
        # Per item: text of an allowed value → value (so "1" → 1 without int()).
        self.lookups: list[dict[str, int]] = [
            {str(v): v for v in scoring.item_values(definition, item)} for item in items
        ]
        self.allowed_text = [
            ", ".join(str(v) for v in scoring.item_values(definition, item)) for item in items
        ]
        self.refusable = [scoring.is_refusable(definition, item) for item in items]
        self.fast = (not self.is_score_level) and self._precompute()
        self._cache: dict[Any, tuple[int, str, bool, str, str]] = {}

    def _precompute(self) -> bool:
        definition = self.definition
        if definition.get("scoring", {}).get("method", "sum") != "sum" or any(self.refusable):
            return False
        bands = definition.get("bands", [])
        if any("when" in b for b in bands):
            return False
        rules = definition.get("critical", [])
        if any("item" not in r and "bands" not in r for r in rules):
            return False
        weights: list[dict[int, int]] = []
        for item in self.items:
            values = scoring.item_values(definition, item)
            if item.get("reverse"):
                low, high = min(values), max(values)
                weights.append({v: low + high - v for v in values})
            else:
                weights.append({v: v for v in values})
        self.weights = weights
        self.has_reverse = any(item.get("reverse") for item in self.items)
        low = sum(min(w.values()) for w in weights)
        high = sum(max(w.values()) for w in weights)
        self.total_low = low
        self.band_by_total = [scoring.band_for(definition, t) for t in range(low, high + 1)]
        positions = {int(item["number"]): i for i, item in enumerate(self.items)}
        self.item_rules = [
            (positions[int(r["item"])], int(r.get("min_value", 1)), str(r["code"]))
            for r in rules
            if "item" in r
        ]
        self.band_rules = [(set(r["bands"]), str(r["code"])) for r in rules if "bands" in r]
        marked = {b["code"] for b in bands if b.get("critical")}
        self.marked_bands = marked | scoring.province_critical_bands(self.code)
        return True

    def proposal(self, outcome: ScoreOutcome) -> tuple[str, str]:
        proposal = risk.propose(self.code, outcome, self.rules)
        if proposal is None:
            return "", ""
        return str(proposal.level), "{" + ",".join(proposal.reasons) + "}"

    def score_fast(self, values: list[int]) -> tuple[int, str, bool, str, str]:
        if self.has_reverse:
            total = sum(w[v] for w, v in zip(self.weights, values, strict=True))
        else:
            total = sum(values)
        band = self.band_by_total[total - self.total_low]
        codes: tuple[str, ...] = ()
        for position, minimum, code in self.item_rules:
            if values[position] >= minimum:
                codes += (code,)
        for bands, code in self.band_rules:
            if band in bands:
                codes += (code,)
        if band in self.marked_bands:
            codes += (f"band_{band}",)
        key = (total, codes)
        cached = self._cache.get(key)
        if cached is None:
            outcome = ScoreOutcome(
                total=total, band=band, is_critical=bool(codes), critical_codes=list(codes)
            )
            level, reasons = self.proposal(outcome)
            cached = (total, band, bool(codes), level, reasons)
            self._cache[key] = cached
        return cached

    def score_items(self, values: list[int | None]) -> tuple[int, str, bool, str, str]:
        key = tuple(values)
        cached = self._cache.get(key)
        if cached is None:
            outcome = scoring.score(self.definition, values, instrument_code=self.code)
            level, reasons = self.proposal(outcome)
            cached = (outcome.total, outcome.band, outcome.is_critical, level, reasons)
            if len(self._cache) < 200_000:
                self._cache[key] = cached
        return cached


# ---------------------------------------------------------------- the streaming pass


@dataclass
class ParseResult:
    total_rows: int = 0
    staged_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    # Set by ``services`` once staged: two rows have the same student number.
    has_duplicates: bool = False
    # Rows not imported on purpose: students not screened (number, no answer at all) and the
    # template's example rows. ``total_rows`` counts the first, not the second.
    blank_rows: int = 0
    example_rows: int = 0
    # Per kind: [rows with an error of this kind, errors of this kind].
    kinds: dict[str, list[int]] = field(default_factory=dict)
    _last_row: dict[str, int] = field(default_factory=dict)

    def add(self, error: RowError) -> None:
        self.error_count += 1
        counts = self.kinds.setdefault(error.kind, [0, 0])
        if self._last_row.get(error.kind) != error.row:
            self._last_row[error.kind] = error.row
            counts[0] += 1
        counts[1] += 1
        if len(self.errors) < MAX_ERRORS or counts[0] <= ROWS_PER_KIND:
            self.errors.append(error)


class FileError(Exception):
    """The file as a whole cannot be imported (unreadable, no header, missing columns)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(errors)
        self.errors = errors


def _copy_text(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def _plain_text(text: str) -> str:
    return text


def _may_need_escapes(data: bytes, filename: str) -> bool:
    """Whether a cell of the file can hold a character COPY text must escape. A CSV without a
    backslash, a tab or a quote cannot (a line break inside a cell needs quotes); then the
    per-cell check is skipped. (A GBK trail byte may look like a backslash: escaping then is
    merely unneeded.)"""
    if not is_csv(filename):
        return True
    return b"\\" in data or b"\t" in data or b'"' in data


def _common_values(scorer: Scorer) -> frozenset[str] | None:
    """The answer texts every item accepts as they are, when all items share them."""
    if not scorer.lookups:
        return None
    first = set(scorer.lookups[0])
    if any(set(lookup) != first for lookup in scorer.lookups[1:]):
        return None
    return frozenset(first)


def parse_lines(
    data: bytes, filename: str, instrument: Any, result: ParseResult, *, sql_scoring: bool = False
) -> Iterator[str]:
    """Yield one COPY text line per row — ``SQL_STAGING_COLUMNS`` when ``sql_scoring`` (an
    item-level instrument scored by the database), else ``STAGING_COLUMNS`` — and add every
    error to ``result``. A row with bad values is staged too (answers NULL), so that its student
    is still checked against the database. Raises ``FileError`` when the file cannot be read."""
    columns = all_columns(instrument)
    answer_columns = columns[2:]
    try:
        # The header is the row with the most known headers among the first rows (title rows
        # above it are skipped); without one, the first row is taken as the header.
        table = _results_sheet(data, filename).rows()
        header_row, header, rows = find_header(table, lambda c: len(match_header(c, columns)))
        if not header_row:
            header_row, header = next(rows, (0, []))
    except FileRefused as exc:
        raise FileError([RowError(0, "", exc.message)]) from exc
    except Exception as exc:  # any reader failure means "not a results file"
        raise FileError([RowError(0, "", format_message(ERROR_UNREADABLE))]) from exc
    if not header_row:
        raise FileError([RowError(0, "", format_message(ERROR_NO_ROWS))])
    index = match_header(header, columns)
    rows = _guarded(rows, index.get("student_number", 0), columns[0].header, result)
    missing = [c for c in columns if c.key not in index]
    if missing:
        raise FileError(
            [RowError(header_row, c.header, format_message(ERROR_MISSING_COLUMN)) for c in missing]
        )
    number_at, name_at = index["student_number"], index["name"]
    answer_at = [index[c.key] for c in answer_columns]
    width = max(index.values()) + 1
    headers = [c.header for c in answer_columns]
    number_header = columns[0].header
    scorer = Scorer(instrument)
    escape = _copy_text if _may_need_escapes(data, filename) else _plain_text
    if sql_scoring and not scorer.is_score_level:
        yield from _answer_lines(
            rows, scorer, index, answer_at, headers, number_header, result, escape
        )
        _check_rows(result)
        return
    lookups = scorer.lookups
    fast = scorer.fast
    score_level = scorer.is_score_level
    try:
        for row_no, raw in rows:
            if len(raw) < width:
                raw = list(raw) + [""] * (width - len(raw))
            cells = [raw[i] for i in answer_at]
            number = raw[number_at]
            if not isinstance(number, str) or not number.isascii():
                number = normalize(number)
            else:
                number = number.strip()
            name = raw[name_at]
            if is_example_row(raw):
                result.example_rows += 1
                continue
            if not number:
                if not normalize(name) and _unanswered(cells):
                    continue  # a blank line (a formula dragged down another column is no data)
                result.total_rows += 1
                result.add(
                    RowError(
                        row_no,
                        number_header,
                        format_message(ERROR_UNKNOWN_STUDENT),
                        KIND_UNKNOWN_STUDENT,
                    )
                )
                continue
            result.total_rows += 1
            if score_level:
                if _unanswered(cells):
                    result.blank_rows += 1  # a student not screened
                    continue
                line = _score_level_row(scorer, cells, headers, row_no, result) or BAD_ROW
            else:
                values: list[Any] | None = []
                try:
                    values = [lk[c] for lk, c in zip(lookups, cells, strict=True)]
                except (KeyError, TypeError):
                    if _unanswered(cells):
                        result.blank_rows += 1  # a student not screened
                        continue
                    values = _slow_values(scorer, cells, headers, row_no, result)
                if values is None:
                    line = BAD_ROW
                else:
                    outcome = scorer.score_fast(values) if fast else scorer.score_items(values)
                    answers = ",".join("NULL" if v is None else str(v) for v in values)
                    line = (
                        f"{{{answers}}}\t{{}}\t{outcome[0]}\t{outcome[1]}\t"
                        f"{'t' if outcome[2] else 'f'}\t{outcome[3] or NULL}\t"
                        f"{outcome[4] or NULL}"
                    )
            # A row with bad values is staged too (without scores) so that its student is
            # still checked against the database: every problem of every row is reported.
            result.staged_rows += 1
            name_text = normalize_name(name)
            yield f"{row_no}\t{escape(number)}\t{escape(name_text)}\t{line}\n"
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FileError([RowError(0, "", format_message(ERROR_UNREADABLE))]) from exc
    _check_rows(result)


_MARKER_STARTS = frozenset("示Ee")


def _unanswered(cells: list[Any]) -> bool:
    """No answer at all: the row of a student not screened (skipped and counted, not one
    "no answer" error per item). A half-answered row is checked, and refused."""
    return not any(normalize(c) for c in cells)


def _check_rows(result: ParseResult) -> None:
    """A file with no row to import is refused, saying why."""
    if result.total_rows == 0:
        message = ERROR_ONLY_EXAMPLE if result.example_rows else ERROR_NO_ROWS
        raise FileError([RowError(0, "", format_message(message))])
    if result.blank_rows == result.total_rows:
        raise FileError([RowError(0, "", format_message(ERROR_ALL_BLANK, count=result.blank_rows))])


def _answer_lines(
    rows: Iterator[tuple[int, list[Any]]],
    scorer: Scorer,
    index: dict[str, int],
    answer_at: list[int],
    headers: list[str],
    number_header: str,
    result: ParseResult,
    escape: Any,
) -> Iterator[str]:
    """The rows of an item-level instrument scored in SQL: ``row_no``, student number, name and
    the answers as an array literal. The hot loop of a large import: a row whose answers are all
    allowed texts as they are (the usual CSV) costs one set test and one join."""
    number_at, name_at = index["student_number"], index["name"]
    width = max(index.values()) + 1
    first = answer_at[0]
    contiguous = answer_at == list(range(first, first + len(answer_at)))
    last = first + len(answer_at)
    common = _common_values(scorer)
    try:
        for row_no, raw in rows:
            if len(raw) < width:
                raw = list(raw) + [""] * (width - len(raw))
            number = raw[number_at]
            if number.__class__ is str and number.isascii():
                number = number.strip()
            else:
                number = normalize(number)
            cells = raw[first:last] if contiguous else [raw[i] for i in answer_at]
            allowed = common is not None and common.issuperset(cells)
            # The template writes its marker in the last cell of the example row: on the hot
            # path (every answer allowed) that cell is the one looked at; elsewhere, all.
            if allowed:
                tail = raw[-1]
                if tail.__class__ is str and tail[:1] in _MARKER_STARTS and is_example_row(raw):
                    result.example_rows += 1
                    continue
            elif is_example_row(raw):
                result.example_rows += 1
                continue
            if not number:
                if not normalize(raw[name_at]) and _unanswered(cells):
                    continue  # a blank line (a formula dragged down another column is no data)
                result.total_rows += 1
                result.add(
                    RowError(
                        row_no,
                        number_header,
                        format_message(ERROR_UNKNOWN_STUDENT),
                        KIND_UNKNOWN_STUDENT,
                    )
                )
                continue
            result.total_rows += 1
            if allowed:
                answers = "{" + ",".join(cells) + "}"
            elif _unanswered(cells):
                result.blank_rows += 1  # a student not screened
                continue
            else:
                answers = _answers_literal(scorer, cells, headers, row_no, result)
            result.staged_rows += 1
            yield f"{row_no}\t{escape(number)}\t{escape(normalize_name(raw[name_at]))}\t{answers}\n"
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FileError([RowError(0, "", format_message(ERROR_UNREADABLE))]) from exc


def _answers_literal(
    scorer: Scorer, cells: list[Any], headers: list[str], row_no: int, result: ParseResult
) -> str:
    """The answers of a row off the fast path as an array literal (``NULL``: refused), or
    ``\\N`` when a cell is bad (its errors are in ``result``)."""
    try:
        values: list[int | None] | None = [
            lookup[cell] for lookup, cell in zip(scorer.lookups, cells, strict=True)
        ]
    except (KeyError, TypeError):
        values = _slow_values(scorer, cells, headers, row_no, result)
    if values is None:
        return NULL
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


def _slow_values(
    scorer: Scorer, cells: list[Any], headers: list[str], row_no: int, result: ParseResult
) -> list[Any] | None:
    """Answers of a row that missed the fast lookup: normalised text (full-width digits,
    ``1.0``, spaces), refusals, and the errors of a bad row (every bad cell reported)."""
    values: list[int | None] = []
    bad = False
    for position, cell in enumerate(cells):
        text = normalize(cell)
        lookup = scorer.lookups[position]
        value = lookup.get(text)
        if value is not None:
            values.append(value)
            continue
        header = headers[position]
        if not text:
            bad = True
            result.add(
                RowError(row_no, header, format_message(ERROR_MISSING_ITEM), KIND_MISSING_ITEM)
            )
            continue
        if scorer.refusable[position] and text.lower() in REFUSED_VALUES:
            values.append(None)
            continue
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is None or number != number:  # NaN is not a number either
            bad = True
            result.add(
                RowError(
                    row_no,
                    header,
                    format_message(ERROR_NOT_A_NUMBER, value=text),
                    KIND_NOT_A_NUMBER,
                )
            )
            continue
        if number.is_integer() and int(number) in lookup.values():
            values.append(int(number))
            continue
        bad = True
        result.add(
            RowError(
                row_no,
                header,
                format_message(
                    ERROR_OUT_OF_RANGE, value=text, allowed=scorer.allowed_text[position]
                ),
                KIND_OUT_OF_RANGE,
            )
        )
    return None if bad else values


def _score_level_row(
    scorer: Scorer, cells: list[Any], headers: list[str], row_no: int, result: ParseResult
) -> str | None:
    """A score-level row: entered subscale (and total) scores, checked by ``score_entered``."""
    optional = {str(s["code"]) for s in scorer.definition.get("subscales", []) if s.get("optional")}
    keys = [c.key for c in instrument_columns(scorer.instrument)]
    by_key = dict(zip(keys, headers, strict=True))
    scores: dict[str, str] = {}
    bad = False
    for key, cell in zip(keys, cells, strict=True):
        text = normalize(cell)
        if not text:
            if key not in optional:
                bad = True
                result.add(
                    RowError(
                        row_no, by_key[key], format_message(ERROR_MISSING_ITEM), KIND_MISSING_ITEM
                    )
                )
            continue
        try:
            float(text)
        except ValueError:
            bad = True
            result.add(
                RowError(
                    row_no,
                    by_key[key],
                    format_message(ERROR_NOT_A_NUMBER, value=text),
                    KIND_NOT_A_NUMBER,
                )
            )
            continue
        scores[key] = text
    if bad:
        return None
    try:
        outcome = scoring.score_entered(scorer.definition, scores, instrument_code=scorer.code)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                for message in messages:
                    result.add(RowError(row_no, by_key.get(key, key), message, KIND_SCORE))
        else:
            for message in exc.messages:
                result.add(RowError(row_no, "", message, KIND_SCORE))
        return None
    level, reasons = scorer.proposal(outcome)
    scores_json = _copy_text(json.dumps(outcome.scores, ensure_ascii=False))
    return (
        f"{{}}\t{scores_json}\t{outcome.total}\t{outcome.band}\t"
        f"{'t' if outcome.is_critical else 'f'}\t{level or NULL}\t{reasons or NULL}"
    )


def template_headers(instrument: Any) -> list[str]:
    return [c.header for c in all_columns(instrument)]


def instrument_label(instrument: Any) -> str:
    return localized({"zh": instrument.name, "en": instrument.name_en})


def template_workbook(instrument: Any, students: list[tuple[str, str, str]] | None = None) -> bytes:
    """The template of an instrument: bilingual headers, the student number column as text, a
    class column (for the reader; the import ignores it), then the answer columns. With
    ``students`` (student number, name, class name), one row each, to be filled in; rows left
    blank are students not screened. Without, one example row, marked as such and never
    imported."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(instrument.code)
    headers = template_headers(instrument)
    headers = [headers[0], headers[1], CLASS_HEADER, *headers[2:]]
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 14
    blanks = [None] * (len(headers) - 3)
    if students is None:
        write_row(sheet, [*headers, EXAMPLE_HEADER], font=HEADER_FONT)
        write_example_row(
            sheet, ["G330106201300000001", "张小明", "八(1)班", *blanks], text_columns=[0]
        )
    else:
        write_row(sheet, headers, font=HEADER_FONT)
        for number, name, class_name in students:
            write_row(sheet, [number, name, class_name, *blanks], text_columns=[0])
    return workbook_bytes(workbook)
