"""Scoring in the streaming pass, precomputed per instrument."""

from __future__ import annotations

from typing import Any

from screening import risk, scoring
from screening.scoring import ScoreOutcome

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
