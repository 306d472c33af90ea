"""The streaming pass: every row checked and turned into a line of PostgreSQL COPY text."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from mhcare.core.imports.headers import find_header, identifier_problem, match_header
from mhcare.core.imports.limits import FileRefused
from mhcare.core.spreadsheets import (
    is_example_row,
)
from screening import scoring
from screening.imports.parsing import common
from screening.imports.parsing.common import (
    _COPY_ESCAPES,
    BAD_ROW,
    ERROR_ALL_BLANK,
    ERROR_MISSING_COLUMN,
    ERROR_MISSING_ITEM,
    ERROR_NO_ROWS,
    ERROR_NOT_A_NUMBER,
    ERROR_ONLY_EXAMPLE,
    ERROR_OUT_OF_RANGE,
    ERROR_UNKNOWN_STUDENT,
    ERROR_UNREADABLE,
    KIND_MISSING_ITEM,
    KIND_NOT_A_NUMBER,
    KIND_OUT_OF_RANGE,
    KIND_SCORE,
    KIND_UNKNOWN_STUDENT,
    NULL,
    REFUSED_VALUES,
    RowError,
    all_columns,
    format_message,
    instrument_columns,
    normalize,
    normalize_name,
)
from screening.imports.parsing.reading import (
    _results_sheet,
    is_csv,
)
from screening.imports.parsing.scorer import (
    Scorer,
)

# ---------------------------------------------------------------- the streaming pass


# At most this many hashes are kept (≈ 64 MB: an int and a slot each); a larger file is checked by
# the database (its peak at the 1.5 M-row limit: 475 MB keeping them all, the goal ≤ 500 MB).
HASHED_NUMBERS = 1_000_000


@dataclass
class ParseResult:
    total_rows: int = 0
    staged_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    # Two staged rows may have the same student number: two of their numbers have the same hash
    # (``note_number``). Without it there is no duplicate row; with it ``services`` looks.
    maybe_duplicates: bool = False
    # Set by ``services`` once staged: two rows have the same student number.
    has_duplicates: bool = False
    # Rows not imported on purpose: students not screened (number, no answer at all) and the
    # template's example rows. ``total_rows`` counts the first, not the second.
    blank_rows: int = 0
    example_rows: int = 0
    # Per kind: [rows with an error of this kind, errors of this kind].
    kinds: dict[str, list[int]] = field(default_factory=dict)
    _last_row: dict[str, int] = field(default_factory=dict)
    # The hashes of the staged student numbers, while no two are equal (the database's unique
    # index on 1 M staged numbers cost it 0.4–0.5 s on every import), up to ``HASHED_NUMBERS``.
    _hashes: set[int] = field(default_factory=set, repr=False)

    def note_number(self, number: str) -> None:
        """Note a staged row's student number (``maybe_duplicates``)."""
        if self.maybe_duplicates:
            return
        key = hash(number)
        if key in self._hashes or len(self._hashes) >= HASHED_NUMBERS:
            self.maybe_duplicates = True
            self._hashes = set()
        else:
            self._hashes.add(key)

    def forget_numbers(self) -> None:
        self._hashes = set()

    def add(self, error: RowError) -> None:
        self.error_count += 1
        counts = self.kinds.setdefault(error.kind, [0, 0])
        if self._last_row.get(error.kind) != error.row:
            self._last_row[error.kind] = error.row
            counts[0] += 1
        counts[1] += 1
        if len(self.errors) < common.MAX_ERRORS or counts[0] <= common.ROWS_PER_KIND:
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


def parse_lines(data: bytes, filename: str, instrument: Any, result: ParseResult) -> Iterator[str]:
    """Yield one COPY text line (``STAGING_COLUMNS``: the row, its answers and their scored
    outcome) per row and add every error to ``result``. A row with bad values is staged too
    (answers and outcome NULL), so that its student is still checked against the database.
    Raises ``FileError`` when the file cannot be read."""
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
    if not scorer.is_score_level:
        yield from _answer_lines(
            rows, scorer, index, answer_at, headers, number_header, result, escape
        )
        _check_rows(result)
        return
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
            if _unanswered(cells):
                result.blank_rows += 1  # a student not screened
                continue
            line = _score_level_row(scorer, cells, headers, row_no, result) or BAD_ROW
            # A row with bad values is staged too (without scores) so that its student is
            # still checked against the database: every problem of every row is reported.
            result.staged_rows += 1
            result.note_number(number)
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
    """The rows of an item-level instrument: ``row_no``, student number, name, the answers as an
    array literal and their outcome (``Scorer``: total, band, critical flag, proposed level and
    reasons). The hot loop of a large import: a row whose answers are all allowed texts as they
    are (the usual CSV) costs one set test, one join and one dict lookup — the outcome's COPY
    text is kept per answer vector (a file repeats few of them)."""
    number_at, name_at = index["student_number"], index["name"]
    width = max(index.values()) + 1
    first = answer_at[0]
    contiguous = answer_at == list(range(first, first + len(answer_at)))
    last = first + len(answer_at)
    common = _common_values(scorer)
    lookups = scorer.lookups
    # Answers literal → the literal and its outcome's COPY text.
    lines: dict[str, str] = {}

    def scored(answers: str, values: list[Any]) -> str:
        total, band, critical, level, reasons = (
            scorer.score_fast(values) if scorer.fast else scorer.score_items(values)
        )
        line = _outcome_text(answers, "{}", total, band, critical, level, reasons)
        if len(lines) < SCORED_KEPT:
            lines[answers] = line
        return line

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
                line = lines.get(answers) or scored(
                    answers, [lookup[c] for lookup, c in zip(lookups, cells, strict=True)]
                )
            elif _unanswered(cells):
                result.blank_rows += 1  # a student not screened
                continue
            else:
                values = _answer_values(scorer, cells, headers, row_no, result)
                if values is None:
                    line = BAD_ROW
                else:
                    answers = "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"
                    line = lines.get(answers) or scored(answers, values)
            # A row with bad values is staged too (without scores) so that its student is
            # still checked against the database: every problem of every row is reported.
            result.staged_rows += 1
            result.note_number(number)
            yield f"{row_no}\t{escape(number)}\t{escape(normalize_name(raw[name_at]))}\t{line}\n"
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FileError([RowError(0, "", format_message(ERROR_UNREADABLE))]) from exc


# Answer vectors whose COPY text ``_answer_lines`` keeps (≈ 100 bytes each); beyond, scored again
# (the ``Scorer`` keeps its own outcomes).
SCORED_KEPT = 100_000


def _answer_values(
    scorer: Scorer, cells: list[Any], headers: list[str], row_no: int, result: ParseResult
) -> list[Any] | None:
    """The answers of a row off the fast path (``None``: refused), or ``None`` when a cell is
    bad (its errors are in ``result``)."""
    try:
        return [lookup[cell] for lookup, cell in zip(scorer.lookups, cells, strict=True)]
    except (KeyError, TypeError):
        return _slow_values(scorer, cells, headers, row_no, result)


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
    return _outcome_text(
        "{}", scores_json, outcome.total, outcome.band, outcome.is_critical, level, reasons
    )


def _outcome_text(
    answers: str, scores: str, total: Any, band: str, critical: bool, level: str, reasons: str
) -> str:
    """The COPY text of a staged row after its number and name (``STAGING_COLUMNS``)."""
    return (
        f"{answers}\t{scores}\t{total}\t{band}\t{'t' if critical else 'f'}\t"
        f"{level or NULL}\t{reasons or NULL}"
    )


_DIGITS = frozenset("0123456789")


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
            # (Excel's scientific form starts with a digit: a number like "BE0012" or
            # "G3301…E" is text, not looked at again.)
            if number.__class__ is not str or (
                number[:1] in _DIGITS and ("E" in number or "e" in number)
            ):
                problem = identifier_problem(number)
                if problem is not None:
                    result.total_rows += 1
                    result.add(RowError(row_no, number_header, problem))
                    continue
            yield row_no, raw
    except FileRefused as exc:
        raise FileError([RowError(0, "", exc.message)]) from exc
