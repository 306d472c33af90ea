"""Scoring driven by an instrument's ``definition`` (no per-instrument code).

Item-level definitions hold ``items`` (each with ``number`` and optional ``reverse`` /
``options`` / ``refusable``), shared ``options`` (values), ``scoring`` (``method`` ``sum`` — the
default — or ``count``: how many of ``items`` were answered ``value``; ``min``, ``max``),
``bands`` and ``critical`` rules.

Bands are tried in order; a band matches by a total range (``min``/``max``) or by a condition
(``when``, see ``condition_holds``). A band may be ``"critical": true`` (the province marks it).

Critical rules fire on an item answer (``item`` whose answer ≥ ``min_value``), on a band
(``bands``: list of band codes) or on a condition (``when``).

Score-level definitions (licensed scales whose items are never embedded) hold ``subscales``
(``code``, ``min``, ``max``, optional ``step``) and ``total`` (``from``: ``sum`` / ``mean`` of
``subscales`` or ``entered``; ``min``, ``max``; optional ``multiplier`` for storing a mean as a
whole number), with bands on the total; see ``score_entered``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

WRONG_ANSWER_COUNT = _("Expected %(expected)s answers, got %(got)s.")
ANSWER_NOT_A_NUMBER = _("Item %(item)s: the answer must be a whole number.")
ANSWER_OUT_OF_RANGE = _("Item %(item)s: %(value)s is not one of %(allowed)s.")
ANSWER_MISSING = _("Item %(item)s has no answer.")
UNSUPPORTED_METHOD = _("This instrument's scoring method is not supported.")
SCORES_NOT_A_MAPPING = _("Scores must be given per subscale.")
SCORE_MISSING = _("%(subscale)s: no score entered.")
SCORE_NOT_A_NUMBER = _("%(subscale)s: the score must be a number.")
SCORE_OUT_OF_RANGE = _("%(subscale)s: %(value)s is outside %(min)s–%(max)s.")
SCORE_UNKNOWN = _("%(subscale)s is not a subscale of this instrument.")
SCORE_NOT_WHOLE = _("%(subscale)s: the score must be a whole number.")
NOT_ITEM_LEVEL = _("This instrument is entered as scores, not item answers.")
NOT_SCORE_LEVEL = _("This instrument is entered as item answers, not scores.")

TOTAL_KEY = "total"


@dataclass(frozen=True)
class ScoreOutcome:
    total: int
    band: str
    is_critical: bool
    critical_codes: list[str] = field(default_factory=list)
    answers: list[int | None] = field(default_factory=list)
    # Score-level instruments: the entered scores, normalised (numbers as given, total included).
    scores: dict[str, Any] = field(default_factory=dict)
    # Codes of remarks that do not change the band (e.g. a validity scale above its limit).
    notes: list[str] = field(default_factory=list)


def localized(entry: dict[str, Any], language: str | None = None) -> str:
    """The entry's text in the user's language (``zh`` for any Chinese variant, else ``en``)."""
    language = (language or get_language() or "zh-hans").lower()
    key = "zh" if language.startswith("zh") else "en"
    return str(entry.get(key) or entry.get("en") or entry.get("zh") or "")


def item_values(definition: dict[str, Any], item: dict[str, Any]) -> list[int]:
    options = item.get("options") or definition.get("options") or []
    return [int(option["value"]) for option in options]


def is_refusable(definition: dict[str, Any], item: dict[str, Any]) -> bool:
    return bool(item.get("refusable", definition.get("refusable", False)))


def validate_answers(definition: dict[str, Any], answers: Sequence[Any]) -> list[int | None]:
    """The answers as ints (None where the item allows refusal and was refused), or a
    ``ValidationError`` naming every bad item (codes per error)."""
    items = definition.get("items") or []
    if not isinstance(answers, (list, tuple)):
        raise ValidationError(
            WRONG_ANSWER_COUNT, code="answer_count", params={"expected": len(items), "got": 0}
        )
    if len(answers) != len(items):
        raise ValidationError(
            WRONG_ANSWER_COUNT,
            code="answer_count",
            params={"expected": len(items), "got": len(answers)},
        )
    errors: list[ValidationError] = []
    cleaned: list[int | None] = []
    for item, raw in zip(items, answers, strict=True):
        number = item["number"]
        if raw is None or raw == "":
            if raw is None and is_refusable(definition, item):
                cleaned.append(None)
                continue
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


def condition_holds(
    condition: Mapping[str, Any],
    *,
    by_number: Mapping[int, int | None],
    total: float,
    scores: Mapping[str, Any] | None = None,
) -> bool:
    """A band / critical condition. Forms (combinable keys are ANDed):
    ``{"any": [...]}``, ``{"all": [...]}``, ``{"item": n, "in": [values, null]}``,
    ``{"items": [n, ...], "any_in": [values, null]}``, ``{"total_min": x, "total_max": y}``,
    ``{"subscale": code, "min": x, "max": y}``, ``{"any_subscale_min": x, "subscales": [...]}``."""
    scores = scores or {}
    checks: list[bool] = []
    if "any" in condition:
        checks.append(
            any(
                condition_holds(c, by_number=by_number, total=total, scores=scores)
                for c in condition["any"]
            )
        )
    if "all" in condition:
        checks.append(
            all(
                condition_holds(c, by_number=by_number, total=total, scores=scores)
                for c in condition["all"]
            )
        )
    if "item" in condition:
        checks.append(by_number.get(int(condition["item"]), -1) in condition.get("in", []))
    if "items" in condition:
        wanted = condition.get("any_in", [])
        checks.append(any(by_number.get(int(n), -1) in wanted for n in condition["items"]))
    if "total_min" in condition:
        checks.append(total >= condition["total_min"])
    if "total_max" in condition:
        checks.append(total <= condition["total_max"])
    if "subscale" in condition:
        value = scores.get(condition["subscale"])
        ok = value is not None
        if ok and "min" in condition:
            ok = value >= condition["min"]
        if ok and "max" in condition:
            ok = value <= condition["max"]
        checks.append(ok)
    if "any_subscale_min" in condition:
        codes = condition.get("subscales") or list(scores)
        checks.append(
            any(
                scores.get(code) is not None and scores[code] >= condition["any_subscale_min"]
                for code in codes
            )
        )
    return bool(checks) and all(checks)


def band_for(
    definition: dict[str, Any],
    total: float,
    *,
    by_number: Mapping[int, int | None] | None = None,
    scores: Mapping[str, Any] | None = None,
) -> str:
    for band in definition.get("bands", []):
        if "when" in band:
            if condition_holds(band["when"], by_number=by_number or {}, total=total, scores=scores):
                return str(band["code"])
            continue
        if "min" in band and "max" in band and band["min"] <= total <= band["max"]:
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
    if code.startswith("band_"):
        return band_label(definition, code.removeprefix("band_"), language)
    return code


def province_critical_bands(instrument_code: str) -> set[str]:
    """Bands the province marks critical for an instrument (``SCREENING_CRITICAL_BANDS``)."""
    configured = getattr(settings, "SCREENING_CRITICAL_BANDS", None) or {}
    return set(configured.get(instrument_code, ()))


def _critical_codes(
    definition: dict[str, Any],
    *,
    band: str,
    total: float,
    by_number: Mapping[int, int | None],
    scores: Mapping[str, Any] | None = None,
    instrument_code: str = "",
) -> list[str]:
    codes: list[str] = []
    for rule in definition.get("critical", []):
        if "item" in rule:
            answer = by_number.get(int(rule["item"]))
            fired = answer is not None and answer >= int(rule.get("min_value", 1))
        elif "bands" in rule:
            fired = band in rule["bands"]
        elif "when" in rule:
            fired = condition_holds(rule["when"], by_number=by_number, total=total, scores=scores)
        else:
            fired = False
        if fired:
            codes.append(str(rule["code"]))
    marked = {b["code"] for b in definition.get("bands", []) if b.get("critical")}
    if instrument_code:
        marked |= province_critical_bands(instrument_code)
    if band and band in marked:
        codes.append(f"band_{band}")
    return codes


def score(
    definition: dict[str, Any], answers: Sequence[Any], *, instrument_code: str = ""
) -> ScoreOutcome:
    """Total, band and critical flags of one administration of an item-level instrument.
    ``instrument_code`` adds the bands the province marks critical (settings)."""
    if definition.get("subscales") and not definition.get("items"):
        raise ValidationError(NOT_ITEM_LEVEL, code="kind")
    values = validate_answers(definition, answers)
    config = definition.get("scoring", {})
    method = config.get("method", "sum")
    by_number: dict[int, int | None] = {}
    total = 0
    if method == "sum":
        for item, value in zip(definition["items"], values, strict=True):
            by_number[int(item["number"])] = value
            if value is None:
                continue
            if item.get("reverse"):
                allowed = item_values(definition, item)
                value = min(allowed) + max(allowed) - value
            total += value
    elif method == "count":
        counted = {int(n) for n in config.get("items", [i["number"] for i in definition["items"]])}
        wanted = config.get("value", 1)
        for item, value in zip(definition["items"], values, strict=True):
            by_number[int(item["number"])] = value
            if int(item["number"]) in counted and value == wanted:
                total += 1
    else:
        raise ValidationError(UNSUPPORTED_METHOD, code="method")
    band = band_for(definition, total, by_number=by_number)
    codes = _critical_codes(
        definition, band=band, total=total, by_number=by_number, instrument_code=instrument_code
    )
    return ScoreOutcome(
        total=total,
        band=band,
        is_critical=bool(codes),
        critical_codes=codes,
        answers=values,
    )


def _number(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def score_entered(
    definition: dict[str, Any], scores: Mapping[str, Any], *, instrument_code: str = ""
) -> ScoreOutcome:
    """Validate entered subscale (and, when configured, total) scores of a score-level instrument
    and return total, band and critical flags. Every missing, unknown or out-of-range score is
    named in one ``ValidationError`` (``error_dict`` keyed by subscale code)."""
    subscales = definition.get("subscales")
    if not subscales:
        raise ValidationError(NOT_SCORE_LEVEL, code="kind")
    if not isinstance(scores, Mapping):
        raise ValidationError(SCORES_NOT_A_MAPPING, code="not_a_mapping")
    config = definition.get("total", {})
    source = config.get("from", "sum")
    expected = [dict(s) for s in subscales]
    if source == "entered":
        expected.append(
            {
                "code": TOTAL_KEY,
                "min": config["min"],
                "max": config["max"],
                "step": config.get("step", 1),
                "en": "Total",
                "zh": "总分",
            }
        )
    errors: dict[str, list[ValidationError]] = {}
    known = {s["code"] for s in expected}
    for code in scores:
        if code not in known:
            errors.setdefault(str(code), []).append(
                ValidationError(SCORE_UNKNOWN, code="unknown", params={"subscale": code})
            )
    cleaned: dict[str, Decimal] = {}
    for spec in expected:
        code = spec["code"]
        label = localized(spec) or code
        raw = scores.get(code)
        if raw is None or raw == "":
            if spec.get("optional"):
                continue
            errors.setdefault(code, []).append(
                ValidationError(SCORE_MISSING, code="missing", params={"subscale": label})
            )
            continue
        value = _number(raw)
        if value is None:
            errors.setdefault(code, []).append(
                ValidationError(SCORE_NOT_A_NUMBER, code="not_a_number", params={"subscale": label})
            )
            continue
        step = Decimal(str(spec.get("step", 1)))
        if value % step != 0:
            errors.setdefault(code, []).append(
                ValidationError(SCORE_NOT_WHOLE, code="not_a_number", params={"subscale": label})
            )
            continue
        low, high = Decimal(str(spec["min"])), Decimal(str(spec["max"]))
        if not low <= value <= high:
            errors.setdefault(code, []).append(
                ValidationError(
                    SCORE_OUT_OF_RANGE,
                    code="out_of_range",
                    params={
                        "subscale": label,
                        "value": _plain(value),
                        "min": _plain(low),
                        "max": _plain(high),
                    },
                )
            )
            continue
        cleaned[code] = value
    if errors:
        raise ValidationError(errors)
    if source == "entered":
        total_value = cleaned[TOTAL_KEY]
    else:
        parts = [cleaned[c] for c in config.get("subscales", [s["code"] for s in subscales])]
        if source == "sum":
            total_value = sum(parts, Decimal(0))
        elif source == "mean":
            total_value = (sum(parts, Decimal(0)) / len(parts)).quantize(Decimal("0.01"))
        else:
            raise ValidationError(UNSUPPORTED_METHOD, code="method")
    plain_scores = {code: _plain(value) for code, value in cleaned.items()}
    plain_scores[TOTAL_KEY] = _plain(total_value)
    total_plain = _plain(total_value)
    band = band_for(definition, total_plain, scores=plain_scores)
    codes = _critical_codes(
        definition,
        band=band,
        total=total_plain,
        by_number={},
        scores=plain_scores,
        instrument_code=instrument_code,
    )
    notes = [
        str(rule["code"])
        for rule in definition.get("notes", [])
        if condition_holds(rule["when"], by_number={}, total=total_plain, scores=plain_scores)
    ]
    multiplier = Decimal(str(config.get("multiplier", 1)))
    stored_total = int((total_value * multiplier).to_integral_value())
    return ScoreOutcome(
        total=stored_total,
        band=band,
        is_critical=bool(codes),
        critical_codes=codes,
        scores=plain_scores,
        notes=notes,
    )


def outcome_for(
    instrument: Any,
    *,
    answers: Sequence[Any] | None = None,
    scores: Mapping[str, Any] | None = None,
) -> ScoreOutcome:
    """Score an ``Instrument`` by its kind (item answers or entered scores), with the province's
    critical bands applied. The one entry point for services and importers."""
    if instrument.kind == "score":
        if answers:
            raise ValidationError(NOT_ITEM_LEVEL, code="kind")
        return score_entered(instrument.definition, scores or {}, instrument_code=instrument.code)
    if scores:
        raise ValidationError(NOT_SCORE_LEVEL, code="kind")
    return score(instrument.definition, answers or [], instrument_code=instrument.code)
