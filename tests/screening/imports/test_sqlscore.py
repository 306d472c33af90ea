"""The import scores item-level instruments in SQL (``sqlscore``): the SQL must give exactly what
``scoring.score`` and ``risk.propose`` give, for every instrument, over many answer vectors."""

import itertools
import random

import pytest
from django.db import connection

from screening import risk, scoring
from screening.imports import sqlscore
from screening.models import Instrument

pytestmark = pytest.mark.django_db

ITEM_LEVEL = ["PHQ-9", "PHQ-A", "GAD-7", "ASQ"]


def sql_outcomes(plan, vectors):
    """(total, band, is_critical, codes, level, reasons) of each answer vector, scored by the
    database."""
    literals = [
        "{" + ",".join("NULL" if v is None else str(v) for v in vector) + "}" for vector in vectors
    ]
    source = (
        "SELECT ord, a::smallint[] AS answers FROM unnest(%s::text[]) WITH ORDINALITY AS u(a, ord)"
    )
    with connection.cursor() as cursor:
        query = sqlscore.scored_select(source, plan)
        cursor.execute(
            f"SELECT total, band, is_critical, codes, level, reasons FROM ({query}) x ORDER BY ord",  # noqa: S608
            [literals],
        )
        rows = cursor.fetchall()
    return [
        (total, band, critical, list(codes), level, list(reasons) if level else None)
        for total, band, critical, codes, level, reasons in rows
    ]


def python_outcomes(definition, code, vectors, rules=None):
    out = []
    for vector in vectors:
        outcome = scoring.score(definition, vector, instrument_code=code)
        proposal = risk.propose(code, outcome, rules)
        out.append(
            (
                outcome.total,
                outcome.band,
                outcome.is_critical,
                outcome.critical_codes,
                proposal.level if proposal else None,
                proposal.reasons if proposal else None,
            )
        )
    return out


def answer_domains(definition):
    return [
        scoring.item_values(definition, item)
        + ([None] if scoring.is_refusable(definition, item) else [])
        for item in definition["items"]
    ]


def vectors_for(definition, count=3000, seed=11):
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
def test_sql_scoring_equals_python_scoring(code):
    instrument = Instrument.objects.latest_of(code)
    plan = sqlscore.plan_for(instrument)
    assert plan is not None
    vectors = vectors_for(instrument.definition)
    expected = python_outcomes(instrument.definition, code, vectors)
    assert sql_outcomes(plan, vectors) == expected


@pytest.mark.parametrize("code", ITEM_LEVEL)
def test_sql_scoring_follows_the_provinces_bands_and_rules(code, settings):
    # given a province that marks every band of the instrument critical and has its own rules
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
    plan = sqlscore.plan_for(instrument)
    vectors = vectors_for(instrument.definition, count=1000)
    expected = python_outcomes(instrument.definition, code, vectors)
    assert any(level for *_, level, _reasons in expected)
    assert sql_outcomes(plan, vectors) == expected


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
def test_sql_scoring_of_every_form_of_definition(scoring_config):
    definition = {**SYNTHETIC, "scoring": scoring_config}
    rules = (
        risk.RiskRule(code="r_crit", instrument="SYN", level="2", critical="cond"),
        risk.RiskRule(code="r_band", instrument="SYN", level="3", band="low"),
        risk.RiskRule(code="r_range", instrument="SYN", level="1", min_total=3, max_total=4),
        risk.RiskRule(code="r_marked", instrument="SYN", level="3", critical="band_high"),
    )
    plan = sqlscore.compile_item_scoring(definition, "SYN", rules)
    vectors = vectors_for(definition)
    expected = python_outcomes(definition, "SYN", vectors, rules)
    assert len({e[1] for e in expected}) >= 3  # the vectors reach several bands
    assert sql_outcomes(plan, vectors) == expected


@pytest.mark.parametrize(
    "change",
    [
        {"scoring": {"method": "mean"}},
        {"bands": [{"code": "x", "when": {"item": 1, "in": ["1"]}}]},
        {"bands": [{"code": "x", "min": 0, "max": float("inf")}]},
        {"critical": [{"code": "x", "bands": [1]}]},
        {"items": []},
    ],
)
def test_a_definition_the_compiler_does_not_know_is_scored_in_python(change):
    with pytest.raises(sqlscore.UnsupportedError):
        sqlscore.compile_item_scoring({**SYNTHETIC, **change}, "SYN", ())


def test_score_level_instruments_are_scored_in_python():
    for code in ("SDQ", "MHT", "MSSMHS", "SCL-90"):
        assert sqlscore.plan_for(Instrument.objects.latest_of(code)) is None


def test_constants_are_quoted():
    definition = {
        "options": [{"value": 0}, {"value": 1}],
        "items": [{"number": 1}],
        "bands": [{"code": "it's", "min": 0, "max": 1}],
        "critical": [{"code": "a'); DROP TABLE x; --", "bands": ["it's"]}],
    }
    plan = sqlscore.compile_item_scoring(definition, "Q'", ())
    assert sql_outcomes(plan, [[0], [1]]) == python_outcomes(definition, "Q'", [[0], [1]], ())
