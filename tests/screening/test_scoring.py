"""PHQ-9 scoring from its shipped definition: every band boundary, item 9, and invalid answers."""

import pytest
from django.core.exceptions import ValidationError

from mhcare.core.risk import RiskLevel
from screening import risk, scoring
from screening.loader import read_instrument
from screening.models import Instrument

PHQ9 = read_instrument("phq-9.json")["definition"]


def answers_for(total: int, item9: int = 0) -> list[int]:
    """Nine answers summing to ``total`` with item 9 fixed."""
    rest = total - item9
    assert 0 <= rest <= 24
    items = []
    for _ in range(8):
        value = min(3, rest)
        items.append(value)
        rest -= value
    return [*items, item9]


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (24, "severe"),
    ],
)
def test_every_band_boundary(total, band):
    outcome = scoring.score(PHQ9, answers_for(total))
    assert outcome.total == total
    assert outcome.band == band
    assert outcome.is_critical is False


def test_maximum_total_is_severe_and_critical():
    outcome = scoring.score(PHQ9, [3] * 9)
    assert (outcome.total, outcome.band, outcome.is_critical) == (27, "severe", True)


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_item_9_above_zero_is_critical_whatever_the_total(item9):
    outcome = scoring.score(PHQ9, answers_for(item9, item9=item9))
    assert outcome.total == item9
    assert outcome.band == "minimal"
    assert outcome.is_critical is True
    assert outcome.critical_codes == ["item9"]


def test_item_9_zero_is_not_critical_even_when_severe():
    outcome = scoring.score(PHQ9, [3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert outcome.is_critical is False
    assert outcome.band == "severe"


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ([0] * 8, "answer_count"),
        ([0] * 10, "answer_count"),
        ([0] * 8 + [4], "out_of_range"),
        ([0] * 8 + [-1], "out_of_range"),
        ([0] * 8 + [None], "missing"),
        ([0] * 8 + ["x"], "not_a_number"),
        ([0] * 8 + [1.5], "not_a_number"),
    ],
)
def test_invalid_answers_are_rejected_with_a_reason(answers, code):
    with pytest.raises(ValidationError) as info:
        scoring.score(PHQ9, answers)
    assert code in {error.code for error in info.value.error_list}


def test_reverse_scored_items_are_supported_by_the_definition():
    definition = {
        "options": [{"value": 0}, {"value": 1}, {"value": 2}],
        "items": [{"number": 1}, {"number": 2, "reverse": True}],
        "bands": [{"code": "low", "min": 0, "max": 2}, {"code": "high", "min": 3, "max": 4}],
    }
    assert scoring.score(definition, [2, 0]).total == 4
    assert scoring.score(definition, [0, 2]).band == "low"


def test_texts_follow_the_language():
    assert scoring.band_label(PHQ9, "moderate", "zh-hans") == "中度"
    assert scoring.band_label(PHQ9, "moderate", "en") == "Moderate"


@pytest.mark.parametrize(
    ("answers", "level", "reasons"),
    [
        (answers_for(9), None, None),
        (answers_for(10), RiskLevel.LEVEL_3, ["phq9_total_10"]),
        (answers_for(14), RiskLevel.LEVEL_3, ["phq9_total_10"]),
        (answers_for(15), RiskLevel.LEVEL_2, ["phq9_total_15"]),
        (answers_for(1, item9=1), RiskLevel.LEVEL_2, ["phq9_item9"]),
        (answers_for(12, item9=1), RiskLevel.LEVEL_2, ["phq9_item9", "phq9_total_10"]),
        (answers_for(20, item9=2), RiskLevel.LEVEL_2, ["phq9_item9", "phq9_total_15"]),
    ],
)
def test_default_risk_rules(answers, level, reasons):
    proposal = risk.propose("PHQ-9", scoring.score(PHQ9, answers))
    if level is None:
        assert proposal is None
    else:
        assert (proposal.level, proposal.reasons) == (level, reasons)


def test_the_data_migration_loaded_phq9(db):
    instrument = Instrument.objects.latest_of("PHQ-9")
    assert instrument is not None
    assert instrument.version == 1
    assert len(instrument.items) == 9
    assert instrument.definition == PHQ9
