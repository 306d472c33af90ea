"""Headers and identifiers: the header row found below title rows, columns matched by their
header in any order (Chinese or English, normalised), and identifier cells that Excel stored as
numbers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from mhcare.core.imports.normalise import normalize_text

ERROR_NUMBER_IDENTIFIER = _(
    "Excel stored this identifier as a number (%(value)s), which loses leading zeros and long "
    "digits. Format the column as text (设置单元格格式 → 文本) and enter it again."
)
# How many non-blank rows at the top of a sheet may hold titles before the header.
HEADER_SCAN_ROWS = 20

Row = tuple[int, list[Any]]


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
