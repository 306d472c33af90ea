import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from counseling.models import SupervisionSession, SupervisionStation, SupervisorProfile
from counseling.supervision import services
from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from tests.counseling.supervision.conftest import CASES


def record(world, actor, **overrides):
    values = {
        "county": world.county_a,
        "held_on": timezone.localdate(),
        "format": "individual",
        "duration_minutes": 60,
        "supervisees": [world.users["psych_a"]],
        "topic": "个体督导",
        "cases_discussed": CASES,
    }
    values.update(overrides)
    return services.supervision_session_record(actor=actor, **values)


def test_session_is_recorded_audited_encrypted_and_supervisees_told(
    world, supervisors, station_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        session = record(world, supervisors["county_a"], station=station_a)
    assert list(session.supervisees.all()) == [world.users["psych_a"]]
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="counseling.supervisionsession"
    ).exists()
    assert Notification.objects.filter(
        recipient=world.users["psych_a"], key=f"supervision:{session.pk}"
    ).exists()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cases_discussed FROM counseling_supervisionsession WHERE id=%s", [session.pk]
        )
        assert "初二" not in cursor.fetchone()[0]


def test_city_supervisor_records_in_any_county_of_the_city(world, supervisors):
    assert record(
        world, supervisors["city"], county=world.county_b, supervisees=[world.users["psych_b"]]
    )


def test_session_validation(world, supervisors, station_a):
    sup = supervisors["county_a"]
    with pytest.raises(ValidationError) as exc:
        record(
            world,
            sup,
            held_on=timezone.localdate() + datetime.timedelta(days=1),
            supervisees=[world.users["psych_a"], world.users["center_a"]],
            topic=" ",
            duration_minutes=0,
        )
    assert set(exc.value.message_dict) == {"held_on", "topic", "duration_minutes", "supervisees"}
    with pytest.raises(ValidationError) as exc:
        record(world, sup, supervisees=[world.users["psych_b"]])  # works in county B
    assert exc.value.message_dict["supervisees"] == [str(services.SUPERVISEE_ELSEWHERE)]
    with pytest.raises(ValidationError) as exc:
        record(world, sup, supervisees=[world.users["homeroom_a"]])  # not a supervisee role
    assert exc.value.message_dict["supervisees"] == [str(services.SUPERVISEE_ELSEWHERE)]
    with pytest.raises(ValidationError) as exc:
        record(world, sup, supervisees=[sup])
    assert exc.value.message_dict["supervisees"] == [str(services.SELF_SUPERVISION)]
    other = services.station_create(
        actor=world.users["center_b"], county=world.county_b, name="上城督导点", kind="point"
    )
    with pytest.raises(ValidationError) as exc:
        record(world, sup, station=other)
    assert exc.value.message_dict["station"] == [str(services.STATION_ELSEWHERE)]
    assert SupervisionSession.objects.count() == 0


@pytest.mark.parametrize("who", ["county_b"])
def test_supervisor_of_another_county_cannot_record(world, supervisors, who):
    with pytest.raises(PermissionDenied):
        record(world, supervisors[who])


@pytest.mark.parametrize("who", ["psych_a", "center_a", "official_a"])
def test_non_supervisors_cannot_record(world, who):
    with pytest.raises(PermissionDenied):
        record(world, world.users[who], supervisees=[world.users["leader_a"]])


def test_stations(world):
    station = services.station_create(
        actor=world.users["official_a"],
        county=world.county_a,
        name="云栖督导点",
        kind="point",
        host=world.school_a,
    )
    assert station.host == world.school_a
    with pytest.raises(ValidationError) as exc:
        services.station_create(
            actor=world.users["center_a"], county=world.county_a, name="云栖督导点", kind="point"
        )
    assert exc.value.message_dict["name"] == [str(services.NAME_TAKEN)]
    with pytest.raises(ValidationError) as exc:
        services.station_create(
            actor=world.users["center_a"],
            county=world.county_a,
            name="x",
            kind="point",
            host=world.school_b,
        )
    assert exc.value.message_dict["host"] == [str(services.HOST_ELSEWHERE)]
    with pytest.raises(PermissionDenied):
        services.station_create(
            actor=world.users["center_b"], county=world.county_a, name="y", kind="point"
        )
    with pytest.raises(PermissionDenied):
        services.station_create(
            actor=world.users["psych_a"], county=world.county_a, name="z", kind="point"
        )
    assert SupervisionStation.objects.count() == 1


def test_profile(world, supervisors):
    profile = services.supervisor_profile_save(
        actor=supervisors["county_a"],
        qualifications="二级咨询师",
        certificate="C-1",
        trained_on=None,
    )
    again = services.supervisor_profile_save(
        actor=supervisors["county_a"], qualifications="督导师", certificate="", trained_on=None
    )
    assert profile.pk == again.pk
    assert SupervisorProfile.objects.get().qualifications == "督导师"
    with pytest.raises(PermissionDenied):
        services.supervisor_profile_save(
            actor=world.users["psych_a"], qualifications="x", trained_on=None
        )
