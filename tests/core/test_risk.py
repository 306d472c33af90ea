"""Risk levels are the kernel's: one RiskLevel for every app (screening re-exports it for old
imports), its colours, and the follow-up cadence per level that the province may override."""

from mhcare.core import risk
from mhcare.core.risk import LEVEL_COLOURS, RiskLevel, cadence_days


def test_levels_and_colours():
    assert RiskLevel.values == ["1", "2", "3"]
    assert [LEVEL_COLOURS[level] for level in RiskLevel] == ["red", "orange", "yellow"]


def test_the_apps_use_the_kernels_levels():
    import crisis.models
    import crisis.models.cases
    import screening.models

    assert screening.models.RiskLevel is RiskLevel
    assert crisis.models.cases.RiskLevel is RiskLevel
    field = crisis.models.Case._meta.get_field("level")
    assert list(field.choices) == list(RiskLevel.choices)


def test_the_cadence_defaults_and_the_provinces_override(settings):
    assert [cadence_days(level) for level in RiskLevel] == [3, 7, 30]
    settings.CRISIS_FOLLOW_UP_DAYS = {1: 2, "3": 14}
    assert [cadence_days(level) for level in RiskLevel] == [2, 7, 14]
    assert risk.DEFAULT_CADENCE == {"1": 3, "2": 7, "3": 30}
