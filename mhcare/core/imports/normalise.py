"""The one normalisation of text read from a file (and, by migration, of text already stored), so
that what a person typed compares equal however Excel, WPS or an input method encoded it."""

from __future__ import annotations

import datetime
import unicodedata
from typing import Any

# Removed outright: zero-width space / non-joiner / joiner, word joiner, BOM (zero-width no-break
# space), soft hyphen, and the bidirectional marks input methods leave behind.
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x200E, 0x200F, *range(0x202A, 0x202F)]
)
# Line breaks and tabs inside a cell become a space; every other control character (NUL …) goes.
_CONTROLS: dict[int, str | None] = dict.fromkeys([*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)])
_CONTROLS.update({0x09: " ", 0x0A: " ", 0x0D: " ", 0x0B: " ", 0x0C: " "})
_TABLE = {**_CONTROLS, **_INVISIBLE, 0x00A0: " ", 0x3000: " "}


def normalize_text(value: Any) -> str:
    """A cell as clean text: Unicode NFKC (full-width digits, letters, brackets and spaces become
    half-width), zero-width characters and BOMs removed, NBSP a space, control characters (NUL,
    line breaks) removed or spaced, outer whitespace trimmed. ``None`` is ``""``."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isascii() and text.isprintable():
        return text.strip()
    text = unicodedata.normalize("NFKC", text.translate(_TABLE))
    # NFKC can itself produce a character of the table (e.g. U+2028 stays; U+FE00 variants no).
    return text.translate(_TABLE).strip()


def normalize_cell(value: Any) -> Any:
    """A cell normalised but keeping its type: text through ``normalize_text``, numbers, dates
    and booleans as they are (an identifier column needs to know a number was a number)."""
    if isinstance(value, str):
        if value.isascii() and value.isprintable():
            return value.strip()
        return normalize_text(value)
    if value is None:
        return ""
    return value


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value)


# Excel's day 0 (its serial 60 is the 1900-02-29 that never was; serials used for birth dates
# are far above it).
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def excel_serial_date(value: Any) -> datetime.date | None:
    """The date an Excel serial number (a date cell saved as a number, or its digits in a CSV)
    stands for; None when the value is not a plausible serial."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not value.isdigit() or len(value) > 5:
            return None
        value = int(value)
    if isinstance(value, float):
        value = int(value)  # a date-time serial: its day
    if not isinstance(value, int) or not 61 <= value <= 2_958_465:
        return None
    return _EXCEL_EPOCH + datetime.timedelta(days=value)
