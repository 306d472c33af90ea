"""An item-level instrument's scoring and the risk rules, compiled to SQL expressions, so that the
import scores a whole file inside its ``INSERT … SELECT`` instead of row by row in Python.

The SQL mirrors ``screening.scoring.score`` and ``screening.risk.propose`` exactly (the tests
compare both over random answer vectors of every item-level instrument); a definition using
anything this module does not know raises ``UnsupportedError`` and the import scores in Python.

``scored_select(source, plan)`` wraps a query that has an ``answers smallint[]`` column
(``NULL`` entries: refused items) and adds ``total``, ``band``, ``codes`` (critical codes, in the
order of ``scoring._critical_codes``), ``is_critical``, ``level`` and ``reasons``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from screening import risk, scoring


class UnsupportedError(Exception):
    """The definition uses a form this compiler does not translate."""


@dataclass(frozen=True)
class ScoringPlan:
    total: str  # over ``answers``
    band: str  # over ``total`` and ``answers``
    codes: str  # over ``band``, ``total`` and ``answers``
    level: str  # over ``total``, ``band`` and ``codes``
    reasons: str


def _literal(value: Any) -> str:
    return sql.Literal(value).as_string(None)


def _number(value: Any) -> str:
    """A numeric constant of a definition (ints and finite floats only)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UnsupportedError(f"not a number: {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise UnsupportedError(f"not a finite number: {value!r}")
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


def _text(value: Any) -> str:
    return _literal(str(value))


def _text_array(values: Iterable[str]) -> str:
    items = [_text(v) for v in values]
    return f"ARRAY[{', '.join(items)}]::text[]" if items else "ARRAY[]::text[]"


def _collect(parts: list[str]) -> str:
    """``parts`` are ``CASE WHEN … THEN 'code' END``: the codes that fired, in order."""
    if not parts:
        return "ARRAY[]::text[]"
    return f"array_remove(ARRAY[{', '.join(parts)}]::text[], NULL)"


class _Compiler:
    def __init__(self, definition: Mapping[str, Any], instrument_code: str) -> None:
        self.definition = definition
        self.code = instrument_code
        items = definition.get("items") or []
        if not items or definition.get("subscales"):
            raise UnsupportedError("not an item-level definition")
        # Item number → 1-based position in the answers array.
        # (A repeated number means the later item, as in ``scoring.score``'s ``by_number``.)
        self.positions: dict[int, int] = {}
        for position, item in enumerate(items, start=1):
            self.positions[int(item["number"])] = position
        self.items = items

    # ------------------------------------------------------------------ pieces

    def answer(self, number: Any) -> str | None:
        """The answer to item ``number`` (``by_number.get``), None when there is no such item
        (``by_number.get(n, -1)`` is then -1)."""
        position = self.positions.get(int(number))
        return None if position is None else f"answers[{position}]"

    def answer_in(self, number: Any, values: list[Any]) -> str:
        """``by_number.get(number, -1) in values``."""
        allowed = [v for v in values if v is not None]
        for value in allowed:
            if isinstance(value, bool) or not isinstance(value, int):
                raise UnsupportedError(f"answer value {value!r}")
        answer = self.answer(number)
        if answer is None:
            return "TRUE" if -1 in allowed else "FALSE"
        checks = []
        if allowed:
            checks.append(
                f"COALESCE({answer} IN ({', '.join(_number(v) for v in allowed)}), FALSE)"
            )
        if len(allowed) < len(values):  # None in values: a refused item matches
            checks.append(f"({answer} IS NULL)")
        return f"({' OR '.join(checks)})" if checks else "FALSE"

    def condition(self, condition: Any) -> str:
        """``scoring.condition_holds`` for an item-level outcome (no subscale scores)."""
        if not isinstance(condition, Mapping):
            raise UnsupportedError(f"condition {condition!r}")
        checks: list[str] = []
        if "any" in condition:
            parts = [self.condition(c) for c in condition["any"]]
            checks.append(f"({' OR '.join(parts)})" if parts else "FALSE")
        if "all" in condition:
            parts = [self.condition(c) for c in condition["all"]]
            checks.append(f"({' AND '.join(parts)})" if parts else "TRUE")
        if "item" in condition:
            checks.append(self.answer_in(condition["item"], list(condition.get("in", []))))
        if "items" in condition:
            wanted = list(condition.get("any_in", []))
            parts = [self.answer_in(n, wanted) for n in condition["items"]]
            checks.append(f"({' OR '.join(parts)})" if parts else "FALSE")
        if "total_min" in condition:
            checks.append(f"(total >= {_number(condition['total_min'])})")
        if "total_max" in condition:
            checks.append(f"(total <= {_number(condition['total_max'])})")
        if "subscale" in condition or "any_subscale_min" in condition:
            # An item-level outcome has no subscale scores: these never hold.
            checks.append("FALSE")
        if not checks:
            return "FALSE"
        return f"({' AND '.join(checks)})"

    # ------------------------------------------------------------------ outcome

    def total(self) -> str:
        config = self.definition.get("scoring", {})
        method = config.get("method", "sum")
        terms: list[str] = []
        if method == "sum":
            for position, item in enumerate(self.items, start=1):
                answer = f"answers[{position}]"
                if item.get("reverse"):
                    allowed = scoring.item_values(dict(self.definition), item)
                    if not allowed:
                        raise UnsupportedError("reverse item without options")
                    flip = _number(min(allowed) + max(allowed))
                    terms.append(f"COALESCE({flip} - {answer}, 0)")
                else:
                    terms.append(f"COALESCE({answer}, 0)")
        elif method == "count":
            counted = {int(n) for n in config.get("items", [i["number"] for i in self.items])}
            wanted = config.get("value", 1)
            if wanted is not None and (isinstance(wanted, bool) or not isinstance(wanted, int)):
                raise UnsupportedError(f"count value {wanted!r}")
            for position, item in enumerate(self.items, start=1):
                if int(item["number"]) not in counted:
                    continue
                answer = f"answers[{position}]"
                test = f"{answer} IS NULL" if wanted is None else f"{answer} = {_number(wanted)}"
                terms.append(f"(CASE WHEN {test} THEN 1 ELSE 0 END)")
        else:
            raise UnsupportedError(f"scoring method {method!r}")
        return f"({' + '.join(terms)})::integer" if terms else "0"

    def band(self) -> str:
        branches: list[str] = []
        for band in self.definition.get("bands", []):
            code = _text(band["code"])
            if "when" in band:
                branches.append(f"WHEN {self.condition(band['when'])} THEN {code}")
            elif "min" in band and "max" in band:
                low, high = _number(band["min"]), _number(band["max"])
                branches.append(f"WHEN total >= {low} AND total <= {high} THEN {code}")
        if not branches:
            return "''::text"
        return f"(CASE {' '.join(branches)} ELSE '' END)::text"

    def codes(self) -> str:
        parts: list[str] = []
        for rule in self.definition.get("critical", []):
            code = _text(rule["code"])
            if "item" in rule:
                answer = self.answer(rule["item"])
                if answer is None:
                    continue
                minimum = int(rule.get("min_value", 1))
                fired = f"COALESCE({answer} >= {_number(minimum)}, FALSE)"
            elif "bands" in rule:
                bands = list(rule["bands"])
                if not all(isinstance(b, str) for b in bands):
                    raise UnsupportedError(f"bands {bands!r}")
                fired = f"band = ANY({_text_array(bands)})"
            elif "when" in rule:
                fired = self.condition(rule["when"])
            else:
                continue
            parts.append(f"CASE WHEN {fired} THEN {code} END")
        bands = self.definition.get("bands", [])
        marked = {b["code"] for b in bands if b.get("critical") and isinstance(b["code"], str)}
        if self.code:
            marked |= {b for b in scoring.province_critical_bands(self.code) if isinstance(b, str)}
        marked.discard("")
        if marked:
            parts.append(
                f"CASE WHEN band = ANY({_text_array(sorted(marked))}) THEN 'band_' || band END"
            )
        return _collect(parts)


def _rule_match(rule: risk.RiskRule) -> str | None:
    """``RiskRule.matches`` (for a rule of this instrument) over ``total``, ``band``, ``codes``."""
    if rule.critical:
        return f"({_text(rule.critical)} = ANY(codes))"
    if rule.band:
        return f"(band = {_text(rule.band)})"
    if rule.min_total is None and rule.max_total is None:
        return None
    checks = []
    if rule.min_total is not None:
        checks.append(f"total >= {_number(rule.min_total)}")
    if rule.max_total is not None:
        checks.append(f"total <= {_number(rule.max_total)}")
    return f"({' AND '.join(checks)})"


def compile_item_scoring(
    definition: Mapping[str, Any],
    instrument_code: str,
    rules: Iterable[risk.RiskRule] | None = None,
) -> ScoringPlan:
    """The SQL of ``scoring.score`` and ``risk.propose`` for one item-level definition."""
    compiler = _Compiler(definition, instrument_code)
    levels: list[str] = []
    reasons: list[str] = []
    for rule in rules if rules is not None else risk.active_rules():
        if rule.instrument != instrument_code:
            continue
        match = _rule_match(rule)
        if match is None:
            continue
        levels.append(f"CASE WHEN {match} THEN {_text(rule.level)} END")
        reasons.append(f"CASE WHEN {match} THEN {_text(rule.code)} END")
    return ScoringPlan(
        total=compiler.total(),
        band=compiler.band(),
        codes=compiler.codes(),
        # LEAST ignores NULLs: the most severe level of the rules that matched ("1" < "2").
        level=f"LEAST({', '.join(levels)})::varchar(1)" if levels else "NULL::varchar(1)",
        reasons=f"{_collect(reasons)}::varchar(64)[]" if reasons else "NULL::varchar(64)[]",
    )


def plan_for(instrument: Any) -> ScoringPlan | None:
    """The compiled scoring of an instrument, or None to score it in Python."""
    if instrument.kind != "item":
        return None
    try:
        return compile_item_scoring(instrument.definition, instrument.code, risk.active_rules())
    except (UnsupportedError, KeyError, TypeError, ValueError):
        return None


def scored_select(source: str, plan: ScoringPlan) -> str:
    """``source`` (a query with an ``answers`` column) with the outcome columns added. Each
    step is its own subquery (``OFFSET 0`` keeps PostgreSQL from inlining the total into every
    band test)."""
    # Compiled from the instrument's definition, every constant quoted by ``_literal``.
    outcome = f"{plan.level} AS level, {plan.reasons} AS reasons"
    return (
        "SELECT c.*, cardinality(c.codes) > 0 AS is_critical, "  # noqa: S608
        + outcome
        + f" FROM (SELECT b.*, {plan.codes} AS codes"
        + f" FROM (SELECT t.*, {plan.band} AS band"
        + f" FROM (SELECT s.*, {plan.total} AS total"
        + f" FROM ({source}) s OFFSET 0) t OFFSET 0) b OFFSET 0) c"
    )
