import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from screening.models import Campaign, CampaignInstrument, Instrument
from tests import factories


@pytest.fixture(autouse=True)
def _clear_cache():
    """Wrong-code counters live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def campaign(world):
    """A county-A campaign, open today, that lets students answer with codes (PHQ-9, grades
    4–12)."""
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="2026 秋季心理普查",
        school_year=world.class_a.school_year,
        org_unit=world.county_a,
        window_start=today - datetime.timedelta(days=3),
        window_end=today + datetime.timedelta(days=10),
        allow_self_screening=True,
        created_by=world.users["center_a"],
    )
    CampaignInstrument.objects.create(
        campaign=campaign,
        instrument=Instrument.objects.get(code="PHQ-9"),
        grade_min=4,
        grade_max=12,
    )
    return campaign


@pytest.fixture
def classmate(world):
    return factories.StudentFactory(klass=world.class_a, name="陈小华")
