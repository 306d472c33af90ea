"""Risk rules: a screening outcome proposes a risk level (DESIGN.md "Risk levels").

A rule matches an instrument's outcome by a critical code (``critical``), by a band (``band``)
or by a total range (``min_total`` / ``max_total``). The proposal takes the most severe matching
level and keeps every matching rule as a reason. The province configures its own rules
(``SCREENING_RISK_RULES`` in settings: a list of dicts with the fields of ``RiskRule``, replacing
the defaults); these are the defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mhcare.core.risk import RiskLevel
from screening.scoring import ScoreOutcome


@dataclass(frozen=True)
class RiskRule:
    code: str
    instrument: str  # instrument code, e.g. "PHQ-9"
    level: str  # a RiskLevel value
    critical: str = ""  # matches when this critical code fired
    band: str = ""  # matches when the outcome is in this band
    min_total: int | None = None
    max_total: int | None = None
    label: str = ""  # the province's own reason text (for rules not in REASON_LABELS)

    def matches(self, instrument_code: str, outcome: ScoreOutcome) -> bool:
        if instrument_code != self.instrument:
            return False
        if self.critical:
            return self.critical in outcome.critical_codes
        if self.band:
            return outcome.band == self.band
        if self.min_total is not None and outcome.total < self.min_total:
            return False
        if self.max_total is not None and outcome.total > self.max_total:
            return False
        return self.min_total is not None or self.max_total is not None


DEFAULT_RULES: tuple[RiskRule, ...] = (
    RiskRule(code="phq9_item9", instrument="PHQ-9", level=RiskLevel.LEVEL_2, critical="item9"),
    RiskRule(code="phq9_total_15", instrument="PHQ-9", level=RiskLevel.LEVEL_2, min_total=15),
    RiskRule(
        code="phq9_total_10",
        instrument="PHQ-9",
        level=RiskLevel.LEVEL_3,
        min_total=10,
        max_total=14,
    ),
    # PHQ-A is scored and banded as PHQ-9, and proposes the same levels.
    RiskRule(code="phqa_item9", instrument="PHQ-A", level=RiskLevel.LEVEL_2, critical="item9"),
    RiskRule(code="phqa_total_15", instrument="PHQ-A", level=RiskLevel.LEVEL_2, min_total=15),
    RiskRule(
        code="phqa_total_10",
        instrument="PHQ-A",
        level=RiskLevel.LEVEL_3,
        min_total=10,
        max_total=14,
    ),
    RiskRule(code="gad7_total_15", instrument="GAD-7", level=RiskLevel.LEVEL_2, min_total=15),
    RiskRule(
        code="gad7_total_10",
        instrument="GAD-7",
        level=RiskLevel.LEVEL_3,
        min_total=10,
        max_total=14,
    ),
    RiskRule(code="asq_acute", instrument="ASQ", level=RiskLevel.LEVEL_1, band="acute"),
    RiskRule(code="asq_non_acute", instrument="ASQ", level=RiskLevel.LEVEL_2, band="non_acute"),
)

REASON_LABELS = {
    "phq9_item9": _("PHQ-9 item 9 > 0 (thoughts of death or self-harm)"),
    "phq9_total_15": _("PHQ-9 total ≥ 15"),
    "phq9_total_10": _("PHQ-9 total 10–14"),
    "phqa_item9": _("PHQ-A item 9 > 0 (thoughts of death or self-harm)"),
    "phqa_total_15": _("PHQ-A total ≥ 15"),
    "phqa_total_10": _("PHQ-A total 10–14"),
    "gad7_total_15": _("GAD-7 total ≥ 15"),
    "gad7_total_10": _("GAD-7 total 10–14"),
    "asq_acute": _("ASQ acute positive (thoughts of suicide right now)"),
    "asq_non_acute": _("ASQ non-acute positive"),
}


def reason_label(code: str) -> str:
    """The reason's label in the user's language; a province rule's own ``label`` otherwise."""
    if code in REASON_LABELS:
        return str(REASON_LABELS[code])
    for rule in active_rules():
        if rule.code == code and rule.label:
            return rule.label
    return code


def active_rules() -> tuple[RiskRule, ...]:
    configured = getattr(settings, "SCREENING_RISK_RULES", None)
    if not configured:
        return DEFAULT_RULES
    return tuple(RiskRule(**rule) for rule in configured)


@dataclass(frozen=True)
class Proposal:
    level: str
    reasons: list[str]


def propose(
    instrument_code: str, outcome: ScoreOutcome, rules: Iterable[RiskRule] | None = None
) -> Proposal | None:
    """The proposed level for an outcome, or None when it is below every threshold."""
    matched = [rule for rule in (rules or active_rules()) if rule.matches(instrument_code, outcome)]
    if not matched:
        return None
    # "1" is the most severe level; the string values sort the same way.
    level = min(rule.level for rule in matched)
    return Proposal(level=level, reasons=[rule.code for rule in matched])


SUMMARY_REASON = _("Needs attention: %(level)s proposed")
SUMMARY_REASON_WITH_BAND = _("Needs attention: %(level)s proposed (%(instrument)s: %(band)s)")


def _screening_reason_codes() -> set[str]:
    return {rule.code for rule in DEFAULT_RULES} | {rule.code for rule in active_rules()}


def sees_items_at(actor: Any, school_id: int) -> bool:
    """Whether the actor may read item answers and scores (``RecordKind.SCORE``) of students of
    the school: the psychology teacher and the county center, not a school leader (whose
    summary is the level and band). No query unless the actor holds both kinds of roles."""
    from mhcare.accounts import scope
    from mhcare.accounts.scope import ROLE_KINDS, RecordKind

    grants = scope.grants(actor)
    with_items = [g for g in grants if RecordKind.SCORE in ROLE_KINDS.get(g.role, frozenset())]
    if not with_items:
        return False
    if all(RecordKind.SCORE in ROLE_KINDS.get(g.role, frozenset()) for g in grants):
        return True
    cached = getattr(actor, "_mhcare_score_schools", None)
    if cached is None:
        cached = set(scope.schools(actor, RecordKind.SCORE).values_list("pk", flat=True))
        actor._mhcare_score_schools = cached
    return school_id in cached


def _labels(actor: Any, proposal: Any, band: tuple[str, str] | None) -> list[str]:
    if sees_items_at(actor, proposal.school_id):
        return [reason_label(code) for code in proposal.reasons]
    screening_codes = _screening_reason_codes()
    labels = [reason_label(code) for code in proposal.reasons if code not in screening_codes]
    if len(labels) < len(proposal.reasons):
        level = proposal.get_level_display()
        if band is not None:
            summary = SUMMARY_REASON_WITH_BAND % {
                "level": level,
                "instrument": band[0],
                "band": band[1],
            }
        else:
            summary = SUMMARY_REASON % {"level": level}
        labels.insert(0, str(summary))
    return labels


def proposal_reason_labels_many(actor: Any, proposals: Iterable[Any]) -> dict[int, list[str]]:
    """The reasons of each proposal as ``actor`` may read them, by proposal id. A screening rule
    names an item or a total ("PHQ-9 item 9 > 0 …"): only for roles that see item answers at the
    student's school (psychology teacher, county center). The others — a school leader, whose
    view of scores is the summary — read the level and the band of the result that raised it:
    "Needs attention: 二级 proposed (PHQ-9: moderately severe)". Other reasons (a teacher's
    observation) stay as they are. One query for the bands, none when every proposal is
    readable in full."""
    from mhcare.accounts import scope
    from mhcare.accounts.scope import RecordKind
    from screening.models import ScreeningResult

    proposals = list(proposals)
    result_ids = {
        p.source_result_id
        for p in proposals
        if p.source_result_id and not sees_items_at(actor, p.school_id)
    }
    bands: dict[int, tuple[str, str]] = {}
    if result_ids:
        results = (
            scope.scoped(actor, ScreeningResult, kind=RecordKind.SCORE_SUMMARY)
            .filter(pk__in=result_ids)
            .select_related("instrument")
            .only("id", "band", "instrument__code", "instrument__definition")
        )
        bands = {r.pk: (r.instrument.code, r.band_label) for r in results if r.band}
    return {p.pk: _labels(actor, p, bands.get(p.source_result_id)) for p in proposals}


def proposal_reason_labels(actor: Any, proposal: Any) -> list[str]:
    """:func:`proposal_reason_labels_many` for one proposal."""
    return proposal_reason_labels_many(actor, [proposal])[proposal.pk]
