"""The import scores item-level rows in its parser (``parsing.parse_lines``: the ``Scorer``'s
precomputed tables, and the COPY text it keeps per answer vector): what it stages must be exactly
what ``scoring.score`` and ``risk.propose`` give, for every instrument and every form of the
definition language, over many answer vectors, as typed in a file (full-width digits, spaces,
refusals) and with the province's own bands and rules."""

import csv
import io
import itertools
import random

import pytest

from screening import risk, scoring
from screening.imports import parsing
from screening.models import Instrument

pytestmark = pytest.mark.django_db

ITEM_LEVEL = ["PHQ-9", "PHQ-A", "GAD-7", "ASQ"]


def typed(rng, value):
    """An answer as a person may type it."""
    if value is None:
        return rng.choice(["拒答", "refused", "NULL"])
    text = str(value)
    forms = [text, text, f" {text} "]
    if 0 <= value < 10:
        forms.append(chr(0xFF10 + value))  # full-width digit
    return rng.choice(forms)


def staged_outcomes(instrument, vectors, seed=5):
    """(total, band, is_critical, level, reasons) of each vector, as the parser stages it."""
    rng = random.Random(seed)
    columns = parsing.all_columns(instrument)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in columns])
    for n, vector in enumerate(vectors):
        # Half the rows exactly as the template asks (the fast path), half typed by hand.
        cells = [str(v) if n % 2 and v is not None else typed(rng, v) for v in vector]
        writer.writerow([f"S{n:06d}", "张三", *cells])
    result = parsing.ParseResult()
    lines = list(parsing.parse_lines(buffer.getvalue().encode(), "x.csv", instrument, result))
    assert not result.errors, result.errors[:3]
    assert len(lines) == len(vectors)
    outcomes = []
    for line in lines:
        fields = dict(zip(parsing.STAGING_COLUMNS, line.rstrip("\n").split("\t"), strict=True))
        assert fields["scores"] == "{}"
        level = None if fields["level"] == parsing.NULL else fields["level"]
        reasons = None if fields["reasons"] == parsing.NULL else fields["reasons"]
        outcomes.append(
            (int(fields["total"]), fields["band"], fields["is_critical"] == "t", level, reasons)
        )
    return outcomes


def expected_outcomes(definition, code, vectors):
    out = []
    for vector in vectors:
        outcome = scoring.score(definition, vector, instrument_code=code)
        proposal = risk.propose(code, outcome)
        out.append(
            (
                outcome.total,
                outcome.band,
                outcome.is_critical,
                proposal.level if proposal else None,
                "{" + ",".join(proposal.reasons) + "}" if proposal else None,
            )
        )
    return out


def answer_domains(definition):
    return [
        scoring.item_values(definition, item)
        + ([None] if scoring.is_refusable(definition, item) else [])
        for item in definition["items"]
    ]


def vectors_for(definition, count=1500, seed=11):
    """Random vectors, every vector when there are few, and for a sum each total from the lowest
    to the highest (every band boundary)."""
    rng = random.Random(seed)
    domains = answer_domains(definition)
    vectors = [[rng.choice(domain) for domain in domains] for _ in range(count)]
    size = 1
    for domain in domains:
        size *= len(domain)
    if size <= 5000:
        vectors += [list(v) for v in itertools.product(*domains)]
    if definition.get("scoring", {}).get("method", "sum") == "sum":
        low = [min(v for v in d if v is not None) for d in domains]
        high = [max(v for v in d if v is not None) for d in domains]
        for target in range(sum(low), sum(high) + 1):
            vector, rest = list(low), target - sum(low)
            for i in range(len(vector)):
                step = min(rest, high[i] - low[i])
                vector[i] += step
                rest -= step
            for candidate in (vector, list(reversed(vector))):
                if all(v in d for v, d in zip(candidate, domains, strict=True)):
                    vectors.append(candidate)
    return vectors


@pytest.mark.parametrize("code", ITEM_LEVEL)
def test_staged_outcome_is_what_scoring_gives(code):
    instrument = Instrument.objects.latest_of(code)
    vectors = vectors_for(instrument.definition)
    expected = expected_outcomes(instrument.definition, code, vectors)
    assert staged_outcomes(instrument, vectors) == expected


@pytest.mark.parametrize("code", ITEM_LEVEL)
def test_staged_outcome_follows_the_provinces_bands_and_rules(code, settings):
    # given a province that marks bands of the instrument critical and has its own rules
    instrument = Instrument.objects.latest_of(code)
    bands = [b["code"] for b in instrument.definition["bands"]]
    settings.SCREENING_CRITICAL_BANDS = {code: bands[-2:]}
    settings.SCREENING_RISK_RULES = [
        {"code": "own_low", "instrument": code, "level": "3", "max_total": 2},
        {"code": "own_band", "instrument": code, "level": "1", "band": bands[-1]},
        {"code": "own_critical", "instrument": code, "level": "2", "critical": f"band_{bands[-2]}"},
        {"code": "other", "instrument": "XYZ", "level": "1", "min_total": 0},
        {"code": "no_threshold", "instrument": code, "level": "1"},
    ]
    vectors = vectors_for(instrument.definition, count=600)
    expected = expected_outcomes(instrument.definition, code, vectors)
    assert any(level for *_, level, _reasons in expected)
    assert staged_outcomes(instrument, vectors) == expected


# Every form of the definition language an item-level instrument may use.
SYNTHETIC = {
    "options": [{"value": 0}, {"value": 1}, {"value": 2}],
    "refusable": True,
    "items": [
        {"number": 1},
        {"number": 2, "reverse": True},
        {"number": 3, "options": [{"value": 1}, {"value": 5}]},
        {"number": 4, "refusable": False},
        {"number": 5},
    ],
    "bands": [
        {"code": "refused_first", "when": {"item": 1, "in": [None]}},
        {"code": "combo", "when": {"all": [{"item": 3, "in": [5]}, {"total_min": 6}]}},
        {"code": "either", "when": {"any": [{"items": [4, 5], "any_in": [2]}, {"total_max": 1}]}},
        {"code": "never", "when": {"subscale": "x", "min": 0}},
        {"code": "missing_item", "when": {"item": 9, "in": [-2, 0]}},
        {"code": "empty_any", "when": {"any": []}},
        {"code": "low", "min": 0, "max": 4.5},
        {"code": "high", "min": 5, "max": 20, "critical": True},
    ],
    "critical": [
        {"code": "first", "item": 1, "min_value": 2},
        {"code": "absent", "item": 7},
        {"code": "banded", "bands": ["combo", "either"]},
        {"code": "cond", "when": {"items": [2, 3], "any_in": [None, 5]}},
        {"code": "no_such_item", "when": {"all": [{"item": 9, "in": [-1]}, {"total_min": 7}]}},
        {"code": "nothing"},
    ],
}


@pytest.mark.parametrize(
    "scoring_config",
    [
        {"method": "sum"},
        {"method": "count", "value": 2, "items": [1, 2, 5]},
        {"method": "count", "value": None},
    ],
)
def test_staged_outcome_of_every_form_of_definition(scoring_config, settings):
    settings.SCREENING_RISK_RULES = [
        {"code": "r_crit", "instrument": "SYN", "level": "2", "critical": "cond"},
        {"code": "r_band", "instrument": "SYN", "level": "3", "band": "low"},
        {"code": "r_range", "instrument": "SYN", "level": "1", "min_total": 3, "max_total": 4},
        {"code": "r_marked", "instrument": "SYN", "level": "3", "critical": "band_high"},
    ]
    definition = {**SYNTHETIC, "scoring": scoring_config}
    instrument = Instrument(code="SYN", version=1, kind="item", definition=definition)
    vectors = vectors_for(definition)
    expected = expected_outcomes(definition, "SYN", vectors)
    assert len({e[1] for e in expected}) >= 3  # the vectors reach several bands
    assert staged_outcomes(instrument, vectors) == expected


def test_a_file_of_more_answer_vectors_than_kept_is_scored_alike(monkeypatch):
    # given the parser keeps the COPY text of only a few answer vectors
    monkeypatch.setattr(parsing.lines, "SCORED_KEPT", 3)
    instrument = Instrument.objects.latest_of("PHQ-9")
    vectors = vectors_for(instrument.definition, count=300)
    # then the rows past those are scored all the same
    expected = expected_outcomes(instrument.definition, "PHQ-9", vectors)
    assert staged_outcomes(instrument, vectors) == expected
