import io

from django.utils import timezone

from screening import risk, scoring
from screening.demo import seed_screening_demo
from screening.models import Campaign, RiskProposal, ScreeningResult
from tests import factories


def test_demo_results_are_deterministic_idempotent_and_only_in_demo_counties(world):
    # given 60 more students in 西湖区 (330106, a demo county) and the world's 上城区 student
    for _ in range(60):
        factories.StudentFactory(klass=world.class_a)
    today = timezone.localdate()
    # when
    seed_screening_demo(stdout=io.StringIO(), today=today)
    added = ScreeningResult.objects.count()
    seed_screening_demo(stdout=io.StringIO(), today=today)
    # then
    results = list(
        ScreeningResult.objects.select_related("instrument", "county", "campaign__org_unit")
    )
    assert len(results) == added
    assert 25 <= added <= 50  # about 60 % of 64 students
    assert {r.county.code for r in results} == {"330106"}
    # every result belongs to the county's campaign, so the demo shows coverage
    assert {r.campaign.org_unit.code for r in results} == {"330106"}
    assert Campaign.objects.count() == 1
    assert all(r.administered_on <= today for r in results)
    for result in results:
        outcome = scoring.score(result.instrument.definition, result.answers)
        assert (result.total, result.band, result.is_critical) == (
            outcome.total,
            outcome.band,
            outcome.is_critical,
        )
        proposal = risk.propose("PHQ-9", outcome)
        stored = RiskProposal.objects.filter(source_result=result).first()
        assert (stored.level if stored else None) == (proposal.level if proposal else None)
    assert {r.entered_by for r in results if r.school_id == world.school_a.pk} == {
        world.users["psych_a"]
    }
