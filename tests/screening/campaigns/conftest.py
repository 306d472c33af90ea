import datetime

import pytest

from screening.models import Campaign, CampaignInstrument, Instrument


@pytest.fixture
def phq9(db):
    return Instrument.objects.latest_of("PHQ-9")


@pytest.fixture
def campaign(world, phq9):
    """A county-A campaign (both schools of county A take part) using PHQ-9 for grades 4–12."""
    item = Campaign.objects.create(
        name="2026 秋季心理筛查",
        school_year=world.class_a.school_year,
        org_unit=world.county_a,
        window_start=datetime.date(2026, 9, 1),
        window_end=datetime.date(2026, 12, 31),
    )
    CampaignInstrument.objects.create(campaign=item, instrument=phq9, grade_min=4, grade_max=12)
    return item


@pytest.fixture
def campaign_b(world, phq9):
    item = Campaign.objects.create(
        name="上城区筛查",
        school_year=world.class_b.school_year,
        org_unit=world.county_b,
        window_start=datetime.date(2026, 9, 1),
        window_end=datetime.date(2026, 12, 31),
    )
    CampaignInstrument.objects.create(campaign=item, instrument=phq9, grade_min=4, grade_max=12)
    return item


DAY = datetime.date(2026, 10, 10)
ANSWERS_MILD = [1, 1, 1, 1, 1, 0, 0, 0, 0]  # total 5: mild
ANSWERS_CRITICAL = [2, 2, 2, 2, 1, 1, 1, 1, 1]  # total 13, item 9 positive
