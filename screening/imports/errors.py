"""The errors of a failed import, as people read them: summarised by kind (how many rows, the
first rows of each) on the page, and the whole list as an Excel workbook."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from mhcare.core.spreadsheets import HEADER_FONT, workbook_bytes, write_row
from screening.imports import parsing
from screening.models import ImportJob

# Rows of each kind shown on the page (the workbook has them all).
ROWS_SHOWN = 5


@dataclass
class ErrorKind:
    kind: str
    label: str
    rows: int
    errors: int
    first: list[dict[str, Any]] = field(default_factory=list)


def _label(kind: str) -> str:
    label = parsing.ERROR_KINDS.get(kind)
    return str(label) if label is not None else _("Other problems")


def error_summary(job: ImportJob) -> list[ErrorKind]:
    """One entry per kind of error, most rows first, each with its first rows. Counts come from
    ``job.error_counts`` (every error of the file), else from the errors kept (older jobs)."""
    kept = [e for e in job.errors or [] if e.get("kind") != parsing.KIND_MORE]
    counts: dict[str, list[int]] = dict(job.error_counts or {})
    if not counts:
        for error in kept:
            count = counts.setdefault(error.get("kind") or parsing.KIND_FILE, [0, 0])
            count[1] += 1
        for kind in counts:
            rows = {e.get("row") for e in kept if (e.get("kind") or parsing.KIND_FILE) == kind}
            counts[kind][0] = len(rows)
    summary = {
        kind: ErrorKind(kind, _label(kind), rows, errors) for kind, (rows, errors) in counts.items()
    }
    for error in kept:
        kind = error.get("kind") or parsing.KIND_FILE
        shown = summary.get(kind)
        if shown is None:
            shown = summary[kind] = ErrorKind(kind, _label(kind), 0, 0)
        if len(shown.first) < ROWS_SHOWN:
            shown.first.append(error)
    # Most rows first; a tie in the order the file shows them.
    return sorted(
        summary.values(),
        key=lambda e: (-e.rows, min((x.get("row") or 0 for x in e.first), default=0)),
    )


def errors_workbook(job: ImportJob) -> bytes:
    """Every error kept for the job, one per line: row, column, kind, problem; then the count
    of each kind. Every cell is written as text that cannot become a formula."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Errors"))
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 24
    sheet.column_dimensions["C"].width = 22
    sheet.column_dimensions["D"].width = 80
    write_row(sheet, [job.filename])
    write_row(sheet, [_("Row"), _("Column"), _("Kind"), _("Problem")], font=HEADER_FONT)
    for error in job.errors or []:
        kind = error.get("kind") or parsing.KIND_FILE
        label = "" if kind == parsing.KIND_MORE else _label(kind)
        row = error.get("row")
        write_row(sheet, [row or None, error.get("column", ""), label, error.get("message", "")])
    counts = workbook.create_sheet(_("Summary"))
    counts.column_dimensions["A"].width = 28
    write_row(counts, [_("Kind"), _("Rows"), _("Errors")], font=HEADER_FONT)
    for entry in error_summary(job):
        write_row(counts, [entry.label, entry.rows, entry.errors])
    return workbook_bytes(workbook)
