import pytest

from counseling.centers import services
from counseling.centers.defaults import ensure_default_items
from counseling.models import ChecklistItem
from mhcare.accounts.models import Role
from tests import factories


@pytest.fixture
def official_city(world):
    return factories.user_with_role(Role.OFFICIAL, world.city, username="official_city")


@pytest.fixture
def items(db):
    """The default items (seeded by the migration; put back if a transactional test flushed
    them)."""
    ensure_default_items()
    return list(ChecklistItem.objects.filter(is_active=True).order_by("order"))


def fill(world, county, items, *, actor=None, share=1.0):
    actor = actor or world.users["center_a" if county == world.county_a else "center_b"]
    required = [i for i in items if i.is_required]
    for index, item in enumerate(required):
        met = index < round(len(required) * share)
        services.center_entry_save(
            actor=actor, county=county, item=item, is_met=met, evidence="台账" if met else ""
        )
