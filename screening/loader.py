"""Load the instruments shipped as JSON in ``screening/instruments/`` (called by data migrations
and by the test fixture that restores them after a flush).

An existing (code, version) is skipped, never overwritten: a version with results is immutable
(see ``screening.services.instrument_new_version`` for how a change becomes a new version)."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

INSTRUMENT_DIR = Path(__file__).resolve().parent / "instruments"

# Every instrument version shipped with the app (data migrations load them by name).
SHIPPED_FILES = (
    "phq-9.json",
    "phq-a.json",
    "gad-7.json",
    "asq.json",
    "sdq.json",
    "mht.json",
    "mssmhs.json",
    "scl-90.json",
)


@functools.cache
def _read(filename: str) -> dict[str, Any]:
    with (INSTRUMENT_DIR / filename).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def read_instrument(filename: str) -> dict[str, Any]:
    """The parsed JSON file (a fresh copy each call)."""
    return copy.deepcopy(_read(filename))


def load_instruments(instrument_model: Any, filenames: Iterable[str] | None = None) -> int:
    """Create the listed instrument versions (default: all shipped) that do not exist yet, by
    (code, version); existing versions are skipped. Returns how many were added."""
    files = [read_instrument(name) for name in (SHIPPED_FILES if filenames is None else filenames)]
    wanted = {(data["code"], int(data["version"])) for data in files}
    existing = set(
        instrument_model.objects.filter(code__in={code for code, _ in wanted}).values_list(
            "code", "version"
        )
    )
    created = 0
    for data in files:
        if (data["code"], int(data["version"])) in existing:
            continue
        _, was_created = instrument_model.objects.get_or_create(
            code=data["code"],
            version=data["version"],
            defaults={
                "name": data["name"],
                "name_en": data.get("name_en", ""),
                "kind": data["kind"],
                "definition": data["definition"],
            },
        )
        created += int(was_created)
    return created
