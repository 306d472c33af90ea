"""Scoring driven by an instrument's ``definition`` (no per-instrument code).

A definition holds ``items`` (each with ``number`` and optional ``reverse`` / ``options``), shared
``options`` (values), ``scoring`` (``method: sum``, ``min``, ``max``), ``bands`` (``code``, ``min``,
``max`` on the total) and ``critical`` rules (``item`` whose answer ≥ ``min_value``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

WRONG_ANSWER_COUNT = _("Expected %(expected)s answers, got %(got)s.")
ANSWER_NOT_A_NUMBER = _("Item %(item)s: the answer must be a whole number.")
ANSWER_OUT_OF_RANGE = _("Item %(item)s: %(value)s is not one of %(allowed)s.")
ANSWER_MISSING = _("Item %(item)s has no answer.")
UNSUPPORTED_METHOD = _("This instrument's scoring method is not supported.")


@dataclass(frozen=True)
class ScoreOutcome:
    total: int
    band: str
    is_critical: bool
    critical_codes: list[str] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


def localized(entry: dict[str, Any], language: str | None = None) -> str:
    """The entry's text in the user's language (``zh`` for any Chinese variant, else ``en``)."""
    language = (language or get_language() or "zh-hans").lower()
    key = "zh" if language.startswith("zh") else "en"
    return str(entry.get(key) or entry.get("en") or entry.get("zh") or "")


def item_values(definition: dict[str, Any], item: dict[str, Any]) -> list[int]:
    options = item.get("options") or definition.get("options") or []
    return [int(option["value"]) for option in options]


def validate_answers(definition: dict[str, Any], answers: Sequence[Any]) -> list[int]:
    """The answers as ints, or a ``ValidationError`` naming every bad item (codes per error)."""
    items = definition["items"]
    if len(answers) != len(items):
        raise ValidationError(
            WRONG_ANSWER_COUNT,
            code="answer_count",
            params={"expected": len(items), "got": len(answers)},
        )
    errors: list[ValidationError] = []
    cleaned: list[int] = []
    for item, raw in zip(items, answers, strict=True):
        number = item["number"]
        if raw is None or raw == "":
            errors.append(ValidationError(ANSWER_MISSING, code="missing", params={"item": number}))
            continue
        if isinstance(raw, bool):
            raw = int(raw)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            errors.append(
                ValidationError(ANSWER_NOT_A_NUMBER, code="not_a_number", params={"item": number})
            )
            continue
        if isinstance(raw, float) and raw != value:
            errors.append(
                ValidationError(ANSWER_NOT_A_NUMBER, code="not_a_number", params={"item": number})
            )
            continue
        allowed = item_values(definition, item)
        if value not in allowed:
            errors.append(
                ValidationError(
                    ANSWER_OUT_OF_RANGE,
                    code="out_of_range",
                    params={
                        "item": number,
                        "value": value,
                        "allowed": ", ".join(str(v) for v in allowed),
                    },
                )
            )
            continue
        cleaned.append(value)
    if errors:
        raise ValidationError(errors)
    return cleaned


def band_for(definition: dict[str, Any], total: int) -> str:
    for band in definition.get("bands", []):
        if int(band["min"]) <= total <= int(band["max"]):
            return str(band["code"])
    return ""


def band_label(definition: dict[str, Any], code: str, language: str | None = None) -> str:
    for band in definition.get("bands", []):
        if band["code"] == code:
            return localized(band, language)
    return code


def critical_label(definition: dict[str, Any], code: str, language: str | None = None) -> str:
    for rule in definition.get("critical", []):
        if rule["code"] == code:
            return localized(rule, language)
    return code


def score(definition: dict[str, Any], answers: Sequence[Any]) -> ScoreOutcome:
    """Total, band and critical flags of one administration."""
    values = validate_answers(definition, answers)
    method = definition.get("scoring", {}).get("method", "sum")
    if method != "sum":
        raise ValidationError(UNSUPPORTED_METHOD, code="method")
    by_number: dict[int, int] = {}
    total = 0
    for item, value in zip(definition["items"], values, strict=True):
        by_number[int(item["number"])] = value
        if item.get("reverse"):
            allowed = item_values(definition, item)
            value = min(allowed) + max(allowed) - value
        total += value
    critical_codes = [
        str(rule["code"])
        for rule in definition.get("critical", [])
        if by_number.get(int(rule["item"]), 0) >= int(rule.get("min_value", 1))
    ]
    return ScoreOutcome(
        total=total,
        band=band_for(definition, total),
        is_critical=bool(critical_codes),
        critical_codes=critical_codes,
        answers=values,
    )
