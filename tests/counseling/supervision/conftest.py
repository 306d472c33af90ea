import datetime

import pytest
from django.utils import timezone

from counseling.supervision import services
from mhcare.accounts.models import Role
from tests import factories

CASES = "初二女生，学业压力大，出现失眠。"


@pytest.fixture
def supervisors(world):
    return {
        "county_a": factories.user_with_role(Role.SUPERVISOR, world.county_a, username="sup_a"),
        "county_b": factories.user_with_role(Role.SUPERVISOR, world.county_b, username="sup_b"),
        "city": factories.user_with_role(Role.SUPERVISOR, world.city, username="sup_city"),
    }


@pytest.fixture
def station_a(world):
    return services.station_create(
        actor=world.users["center_a"], county=world.county_a, name="西湖区督导分站", kind="branch"
    )


@pytest.fixture
def session_a(world, supervisors, station_a):
    return services.supervision_session_record(
        actor=supervisors["county_a"],
        county=world.county_a,
        station=station_a,
        held_on=timezone.localdate() - datetime.timedelta(days=3),
        format="group",
        duration_minutes=120,
        supervisees=[world.users["psych_a"], world.users["center_a"]],
        topic="团体督导",
        cases_discussed=CASES,
    )
