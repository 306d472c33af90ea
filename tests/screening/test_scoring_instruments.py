"""Scoring vectors for every shipped instrument: PHQ-A, GAD-7 and ASQ (item-level), and the
score-level SDQ, MHT, MSSMHS and SCL-90; the default risk rules for them."""

import pytest
from django.core.exceptions import ValidationError

from mhcare.core.risk import RiskLevel
from screening import risk, scoring
from screening.loader import read_instrument
from screening.models import Instrument

PHQA = read_instrument("phq-a.json")["definition"]
GAD7 = read_instrument("gad-7.json")["definition"]
ASQ = read_instrument("asq.json")["definition"]
SDQ = read_instrument("sdq.json")["definition"]
MHT = read_instrument("mht.json")["definition"]
MSSMHS = read_instrument("mssmhs.json")["definition"]
SCL90 = read_instrument("scl-90.json")["definition"]


def spread(total: int, count: int, last: int = 0) -> list[int]:
    """``count`` answers of 0–3 summing to ``total`` with the last item fixed to ``last``."""
    rest = total - last
    values = []
    for _ in range(count - 1):
        value = min(3, rest)
        values.append(value)
        rest -= value
    assert rest == 0
    return [*values, last]


def codes(info) -> set[str]:
    return {error.code for error in info.value.error_list}


# --- PHQ-A ---------------------------------------------------------------------------------


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
def test_phqa_band_boundaries(total, band):
    outcome = scoring.score(PHQA, spread(total, 9))
    assert (outcome.total, outcome.band, outcome.is_critical) == (total, band, False)


def test_phqa_adolescent_wording_grades_and_maximum():
    assert "irritable" in PHQA["items"][0]["en"]
    assert "烦躁" in PHQA["items"][0]["zh"]
    assert PHQA["grades"] == {"min": 7, "max": 12}
    outcome = scoring.score(PHQA, [3] * 9)
    assert (outcome.total, outcome.band, outcome.is_critical) == (27, "severe", True)


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phqa_item_9_is_critical_whatever_the_total(item9):
    outcome = scoring.score(PHQA, spread(item9, 9, last=item9))
    assert outcome.band == "minimal"
    assert outcome.critical_codes == ["item9"]


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ([0] * 8, "answer_count"),
        ([0] * 10, "answer_count"),
        ([0] * 8 + [None], "missing"),
        ([0] * 8 + [4], "out_of_range"),
    ],
)
def test_phqa_rejects_bad_answers(answers, code):
    with pytest.raises(ValidationError) as info:
        scoring.score(PHQA, answers)
    assert code in codes(info)


@pytest.mark.parametrize(
    ("answers", "level", "reasons"),
    [
        (spread(9, 9), None, None),
        (spread(10, 9), RiskLevel.LEVEL_3, ["phqa_total_10"]),
        (spread(14, 9), RiskLevel.LEVEL_3, ["phqa_total_10"]),
        (spread(15, 9), RiskLevel.LEVEL_2, ["phqa_total_15"]),
        (spread(1, 9, last=1), RiskLevel.LEVEL_2, ["phqa_item9"]),
    ],
)
def test_phqa_risk_rules_are_those_of_phq9(answers, level, reasons):
    proposal = risk.propose("PHQ-A", scoring.score(PHQA, answers))
    assert (proposal and (proposal.level, proposal.reasons)) == (
        (level, reasons) if level else None
    )


# --- GAD-7 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_boundaries(total, band):
    outcome = scoring.score(GAD7, spread(total, 7, last=min(3, max(0, total - 18))))
    assert (outcome.total, outcome.band, outcome.is_critical) == (total, band, False)


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ([0] * 6, "answer_count"),
        ([0] * 6 + [None], "missing"),
        ([0] * 6 + [-1], "out_of_range"),
        ([0] * 6 + ["2a"], "not_a_number"),
    ],
)
def test_gad7_rejects_bad_answers(answers, code):
    with pytest.raises(ValidationError) as info:
        scoring.score(GAD7, answers)
    assert code in codes(info)


@pytest.mark.parametrize(
    ("total", "level", "reasons"),
    [
        (9, None, None),
        (10, RiskLevel.LEVEL_3, ["gad7_total_10"]),
        (14, RiskLevel.LEVEL_3, ["gad7_total_10"]),
        (15, RiskLevel.LEVEL_2, ["gad7_total_15"]),
        (21, RiskLevel.LEVEL_2, ["gad7_total_15"]),
    ],
)
def test_gad7_risk_rules(total, level, reasons):
    outcome = scoring.score(GAD7, spread(total, 7, last=min(3, max(0, total - 18))))
    proposal = risk.propose("GAD-7", outcome)
    assert (proposal and (proposal.level, proposal.reasons)) == (
        (level, reasons) if level else None
    )
    assert risk.reason_label("gad7_total_15") == "GAD-7 total ≥ 15"


# --- ASQ -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "total", "band", "critical"),
    [
        ([0, 0, 0, 0, 0], 0, "negative", False),
        ([0, 0, 0, 0, None], 0, "negative", False),  # item 5 not asked on a negative screen
        ([1, 0, 0, 0, 0], 1, "non_acute", True),
        ([0, 0, 0, 1, 0], 1, "non_acute", True),
        ([0, None, 0, 0, 0], 0, "non_acute", True),  # refusal on items 1–4 is positive
        ([None, None, None, None, None], 0, "non_acute", True),
        ([1, 1, 1, 1, 0], 4, "non_acute", True),
        ([1, 1, 0, 0, 1], 2, "acute", True),
        ([0, 0, 0, 0, 1], 0, "acute", True),  # item 5 yes is acute on its own
        ([None, 0, 0, 0, 1], 0, "acute", True),
    ],
)
def test_asq_vectors(answers, total, band, critical):
    outcome = scoring.score(ASQ, answers)
    assert (outcome.total, outcome.band, outcome.is_critical) == (total, band, critical)
    assert outcome.answers == answers
    if critical:
        assert "positive" in outcome.critical_codes
    assert ("acute" in outcome.critical_codes) == (band == "acute")


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ([0, 0, 0, 0], "answer_count"),
        ([0, 0, 0, 0, 0, 0], "answer_count"),
        ([0, 0, 2, 0, 0], "out_of_range"),
        ([0, 0, "", 0, 0], "missing"),  # empty is not a refusal: refusal is null
    ],
)
def test_asq_rejects_bad_answers(answers, code):
    with pytest.raises(ValidationError) as info:
        scoring.score(ASQ, answers)
    assert code in codes(info)


def test_refusal_is_accepted_only_where_the_definition_allows_it():
    with pytest.raises(ValidationError) as info:
        scoring.score(GAD7, [None] * 7)
    assert codes(info) == {"missing"}


@pytest.mark.parametrize(
    ("answers", "level", "reasons"),
    [
        ([0, 0, 0, 0, 0], None, None),
        ([1, 0, 0, 0, 0], RiskLevel.LEVEL_2, ["asq_non_acute"]),
        ([0, None, 0, 0, 0], RiskLevel.LEVEL_2, ["asq_non_acute"]),
        ([1, 0, 0, 0, 1], RiskLevel.LEVEL_1, ["asq_acute"]),
    ],
)
def test_asq_risk_rules(answers, level, reasons):
    proposal = risk.propose("ASQ", scoring.score(ASQ, answers))
    assert (proposal and (proposal.level, proposal.reasons)) == (
        (level, reasons) if level else None
    )


def test_reverse_items_in_a_count_free_definition_and_province_rules(settings):
    settings.SCREENING_RISK_RULES = [
        {"code": "gad7_mild", "instrument": "GAD-7", "level": "3", "band": "mild", "label": "Mild"}
    ]
    proposal = risk.propose("GAD-7", scoring.score(GAD7, spread(6, 7)))
    assert (proposal.level, proposal.reasons) == ("3", ["gad7_mild"])
    assert risk.reason_label("gad7_mild") == "Mild"
    assert risk.propose("GAD-7", scoring.score(GAD7, [3] * 7)) is None


# --- score-level ---------------------------------------------------------------------------

SDQ_OK = {"emotional": 4, "conduct": 4, "hyperactivity": 4, "peer": 3, "prosocial": 9}


@pytest.mark.parametrize(
    ("peer", "total", "band"),
    [(3, 15, "normal"), (4, 16, "borderline"), (7, 19, "borderline"), (8, 20, "abnormal")],
)
def test_sdq_total_excludes_prosocial_and_bands_at_both_sides(peer, total, band):
    outcome = scoring.score_entered(SDQ, {**SDQ_OK, "peer": peer})
    assert (outcome.total, outcome.band, outcome.is_critical) == (total, band, False)
    assert outcome.scores["total"] == total
    assert outcome.answers == []


def test_sdq_extremes():
    low = scoring.score_entered(SDQ, dict.fromkeys(SDQ_OK, 0))
    high = scoring.score_entered(SDQ, dict.fromkeys(SDQ_OK, 10))
    assert (low.total, low.band, high.total, high.band) == (0, "normal", 40, "abnormal")


@pytest.mark.parametrize(
    ("scores", "field", "code"),
    [
        ({k: v for k, v in SDQ_OK.items() if k != "peer"}, "peer", "missing"),
        ({**SDQ_OK, "peer": 11}, "peer", "out_of_range"),
        ({**SDQ_OK, "peer": -1}, "peer", "out_of_range"),
        ({**SDQ_OK, "peer": "x"}, "peer", "not_a_number"),
        ({**SDQ_OK, "peer": 2.5}, "peer", "not_a_number"),
        ({**SDQ_OK, "extra": 1}, "extra", "unknown"),
    ],
)
def test_score_level_validation_names_the_subscale(scores, field, code):
    with pytest.raises(ValidationError) as info:
        scoring.score_entered(SDQ, scores)
    assert [e.code for e in info.value.error_dict[field]] == [code]


def test_several_bad_subscales_are_all_reported():
    with pytest.raises(ValidationError) as info:
        scoring.score_entered(SDQ, {"emotional": 11})
    assert set(info.value.error_dict) == {
        "emotional",
        "conduct",
        "hyperactivity",
        "peer",
        "prosocial",
    }


def test_item_answers_and_scores_do_not_mix():
    with pytest.raises(ValidationError):
        scoring.score(SDQ, [1, 2])
    with pytest.raises(ValidationError):
        scoring.score_entered(GAD7, {"total": 3})


MHT_BASE = {
    "learning_anxiety": 10,
    "social_anxiety": 6,
    "loneliness": 6,
    "self_blame": 6,
    "sensitivity": 6,
    "somatic": 9,
    "phobia": 6,
    "impulsivity": 6,
    "lie": 2,
}  # total 55


@pytest.mark.parametrize(
    ("extra", "total", "band"),
    [(0, 55, "normal"), (1, 56, "elevated"), (9, 64, "elevated"), (10, 65, "high")],
)
def test_mht_total_excludes_the_lie_scale(extra, total, band):
    scores = dict(MHT_BASE)
    for code, room in (("learning_anxiety", 5), ("impulsivity", 4), ("phobia", 4)):
        step = min(extra, room)
        scores[code] += step
        extra -= step
    outcome = scoring.score_entered(MHT, scores)
    assert (outcome.total, outcome.band) == (total, band)
    assert outcome.notes == []


def test_mht_lie_scale_note():
    assert scoring.score_entered(MHT, {**MHT_BASE, "lie": 6}).notes == []
    assert scoring.score_entered(MHT, {**MHT_BASE, "lie": 7}).notes == ["lie_high"]


def factors(definition, value, **overrides):
    return {s["code"]: overrides.get(s["code"], value) for s in definition["subscales"]}


@pytest.mark.parametrize(
    ("value", "stored", "band"),
    [
        ("1.00", 100, "none"),
        ("1.99", 199, "none"),
        ("2.00", 200, "mild"),
        ("2.99", 299, "mild"),
        ("3.00", 300, "moderate"),
        ("3.99", 399, "moderate"),
        ("4.00", 400, "severe"),
        ("4.99", 499, "severe"),
        ("5", 500, "very_severe"),
    ],
)
def test_mssmhs_mean_of_factors_bands(value, stored, band):
    outcome = scoring.score_entered(MSSMHS, factors(MSSMHS, value))
    assert (outcome.total, outcome.band) == (stored, band)


def test_mssmhs_mean_rounds_to_hundredths_and_rejects_finer_steps():
    outcome = scoring.score_entered(MSSMHS, factors(MSSMHS, 2, obsessive=1.95))
    assert outcome.scores["total"] == 2.0  # 19.95 / 10 = 1.995 → 2.00 (half-even)
    with pytest.raises(ValidationError) as info:
        scoring.score_entered(MSSMHS, factors(MSSMHS, 2, obsessive="1.955"))
    assert list(info.value.error_dict) == ["obsessive"]


def scl(total=150, positive=30, factor="1.5", **overrides):
    scores = factors(SCL90, factor, **overrides)
    scores.update(positive_items=positive, total=total)
    return scores


@pytest.mark.parametrize(
    ("scores", "band"),
    [
        (scl(), "normal"),
        (scl(total=160, positive=43, factor="1.99"), "normal"),
        (scl(total=161), "positive"),
        (scl(positive=44), "positive"),
        (scl(depression="2.00"), "positive"),
        (scl(depression="2.99"), "positive"),
        (scl(depression="3.00"), "marked"),
    ],
)
def test_scl90_positive_screen(scores, band):
    outcome = scoring.score_entered(SCL90, scores)
    assert outcome.band == band
    assert outcome.total == scores["total"]


def test_scl90_total_is_entered_and_checked():
    with pytest.raises(ValidationError) as info:
        scoring.score_entered(SCL90, scl(total=89))
    assert [e.code for e in info.value.error_dict["total"]] == ["out_of_range"]


def test_a_band_the_province_marks_is_critical(settings, db):
    instrument = Instrument.objects.latest_of("SDQ")
    assert scoring.outcome_for(instrument, scores={**SDQ_OK, "peer": 8}).is_critical is False
    settings.SCREENING_CRITICAL_BANDS = {"SDQ": ["abnormal"]}
    outcome = scoring.outcome_for(instrument, scores={**SDQ_OK, "peer": 8})
    assert (outcome.is_critical, outcome.critical_codes) == (True, ["band_abnormal"])
    assert scoring.critical_label(SDQ, "band_abnormal", "en") == "Abnormal"


def test_a_band_marked_critical_in_the_definition():
    definition = {
        "subscales": [{"code": "a", "min": 0, "max": 9}],
        "bands": [
            {"code": "ok", "min": 0, "max": 5},
            {"code": "bad", "min": 6, "max": 9, "critical": True},
        ],
    }
    assert scoring.score_entered(definition, {"a": 5}).is_critical is False
    assert scoring.score_entered(definition, {"a": 6}).critical_codes == ["band_bad"]
