"""Load the instruments shipped as JSON in ``screening/instruments/`` (called by data migrations).

An existing (code, version) is never overwritten: a version with results is immutable."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

INSTRUMENT_DIR = Path(__file__).resolve().parent / "instruments"


def read_instrument(filename: str) -> dict[str, Any]:
    with (INSTRUMENT_DIR / filename).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def load_instruments(instrument_model: Any, filenames: Iterable[str]) -> int:
    """Create the listed instrument versions that do not exist yet; returns how many were added."""
    created = 0
    for filename in filenames:
        data = read_instrument(filename)
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
