import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from counseling.models import SupervisionSession, SupervisionStation
from mhcare.audit.models import Action, AuditEvent
from mhcare.core import registry
from tests.counseling.supervision.conftest import CASES

HOME = reverse("counseling:supervision_home")
NEW = reverse("counseling:supervision_session_new")
STATIONS = reverse("counseling:supervision_stations")
API = "/api/v1/counseling/supervision"


def session_url(session):
    return reverse("counseling:supervision_session", args=[session.pk])


def test_anonymous(client, world, session_a):
    for url in (HOME, NEW, STATIONS, session_url(session_a)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    api = APIClient()
    assert api.get(f"{API}/sessions/").status_code in (401, 403)
    assert api.get(f"{API}/stations/").status_code in (401, 403)


def test_the_supervisor_sees_sessions_and_supervisees(client, world, supervisors, session_a):
    client.force_login(supervisors["county_a"])
    body = client.get(HOME).content.decode()
    assert f'data-session="{session_a.pk}"' in body
    assert str(world.users["psych_a"]) in body
    detail = client.get(session_url(session_a))
    assert detail.status_code == 200
    assert CASES in detail.content.decode()
    assert AuditEvent.objects.filter(
        action=Action.VIEW, object_type="counseling.supervisionsession"
    ).exists()
    # home page panels
    home = client.get("/").content.decode()
    assert 'data-panel="supervision_sessions"' in home
    assert 'data-panel="supervision_supervisees"' in home


@pytest.mark.parametrize("who", ["psych_a", "center_a"])
def test_supervisees_read_their_session(client, world, session_a, who):
    client.force_login(world.users[who])
    assert CASES in client.get(session_url(session_a)).content.decode()
    assert f'data-session="{session_a.pk}"' in client.get(HOME).content.decode()
    assert 'data-panel="supervision_received"' in client.get("/").content.decode()


@pytest.mark.parametrize(
    "who", ["leader_a", "official_a", "official_province", "psych_b", "homeroom_a", "admin"]
)
def test_nobody_else_reads_a_session(client, world, session_a, who):
    client.force_login(world.users[who])
    assert client.get(session_url(session_a)).status_code == 404
    assert CASES not in client.get(HOME).content.decode()
    api = APIClient()
    api.force_authenticate(world.users[who])
    assert api.get(f"{API}/sessions/").data["results"] == []


@pytest.mark.parametrize("who", ["county_b", "city"])
def test_other_supervisors_do_not_read_it(client, world, supervisors, session_a, who):
    client.force_login(supervisors[who])
    assert client.get(session_url(session_a)).status_code == 404


def test_session_form_warns_and_records(client, world, supervisors, station_a):
    client.force_login(supervisors["county_a"])
    page = client.get(NEW).content.decode()
    assert 'data-testid="no-names-warning"' in page
    response = client.post(
        NEW,
        {
            "county": world.county_a.pk,
            "station": station_a.pk,
            "held_on": timezone.localdate().isoformat(),
            "format": "individual",
            "duration_minutes": 60,
            "supervisees": [world.users["psych_a"].pk],
            "topic": "个体督导",
            "cases_discussed": CASES,
        },
    )
    assert response.status_code == 302
    assert SupervisionSession.objects.get().supervisor == supervisors["county_a"]


@pytest.mark.parametrize("who", ["psych_a", "official_a", "center_a"])
def test_session_form_refused_to_non_supervisors(client, world, who):
    client.force_login(world.users[who])
    assert client.get(NEW).status_code == 403


def test_stations_page_scope(client, world, supervisors, station_a):
    for user, visible in (
        (supervisors["county_a"], True),
        (supervisors["county_b"], False),
        (world.users["center_a"], True),
        (world.users["center_b"], False),
        (world.users["official_province"], True),
    ):
        client.force_login(user)
        body = client.get(STATIONS).content.decode()
        assert (f'data-station="{station_a.pk}"' in body) is visible
    for who in ("psych_a", "leader_a", "homeroom_a"):
        client.force_login(world.users[who])
        assert client.get(STATIONS).status_code == 403


def test_station_create_through_page_and_api(client, world):
    client.force_login(world.users["center_a"])
    response = client.post(
        STATIONS, {"county": world.county_a.pk, "name": "之江督导点", "kind": "point"}
    )
    assert response.status_code == 302
    api = APIClient()
    api.force_authenticate(world.users["center_a"])
    created = api.post(
        f"{API}/stations/",
        {"county": world.county_a.pk, "name": "龙坞督导点", "kind": "point"},
        format="json",
    )
    assert created.status_code == 201
    elsewhere = api.post(
        f"{API}/stations/",
        {"county": world.county_b.pk, "name": "上城点", "kind": "point"},
        format="json",
    )
    assert elsewhere.status_code == 404
    api.force_authenticate(world.users["official_province"])  # province official: reads only
    assert (
        api.post(
            f"{API}/stations/",
            {"county": world.county_a.pk, "name": "省点", "kind": "point"},
            format="json",
        ).status_code
        == 403
    )
    assert SupervisionStation.objects.count() == 2


def test_sessions_api(world, supervisors, session_a, django_assert_max_num_queries):
    api = APIClient()
    api.force_authenticate(supervisors["county_a"])
    with django_assert_max_num_queries(8):
        response = api.get(f"{API}/sessions/")
    (row,) = response.data["results"]
    assert row["cases_discussed"] == CASES
    assert row["supervisee_ids"] == sorted([world.users["psych_a"].pk, world.users["center_a"].pk])
    created = api.post(
        f"{API}/sessions/",
        {
            "county": world.county_a.pk,
            "held_on": timezone.localdate().isoformat(),
            "format": "individual",
            "duration_minutes": 50,
            "supervisees": [world.users["leader_a"].pk],
            "topic": "x",
        },
        format="json",
    )
    assert created.status_code == 201
    refused = api.post(
        f"{API}/sessions/",
        {
            "county": world.county_b.pk,
            "held_on": timezone.localdate().isoformat(),
            "format": "individual",
            "duration_minutes": 50,
            "supervisees": [world.users["psych_b"].pk],
            "topic": "x",
        },
        format="json",
    )
    assert refused.status_code == 404
    api.force_authenticate(world.users["psych_a"])
    assert api.post(f"{API}/sessions/", {}, format="json").status_code == 403


def test_two_role_supervisor_and_psych_teacher(client, world, supervisors, session_a):
    """A psychology teacher of school B who supervises in county A: her supervision page shows the
    sessions she led; as a psychology teacher she reads nothing of county A's students."""
    from mhcare.accounts.models import Role
    from tests import factories

    user = world.users["psych_b"]
    factories.RoleAssignmentFactory(user=user, role=Role.SUPERVISOR, org_unit=world.county_a)
    client.force_login(user)
    assert client.get(NEW).status_code == 200
    assert client.get(session_url(session_a)).status_code == 404
    assert (
        client.get(
            reverse("counseling:guidance_student", args=[world.students["a"].pk])
        ).status_code
        == 404
    )


def test_supervisor_nav(world, supervisors):
    labels = [item.url for item in registry.nav_for(supervisors["county_a"])]
    assert HOME in labels


def test_stations_page_lists_supervisors_with_qualifications(
    client, world, supervisors, station_a, django_assert_max_num_queries
):
    from counseling.supervision import services
    from mhcare.accounts.models import Role
    from tests import factories

    services.supervisor_profile_save(
        actor=supervisors["city"], qualifications="国家二级心理咨询师", trained_on=None
    )
    for n in range(5):  # more stations and supervisors cost no more queries
        services.station_create(
            actor=world.users["center_a"], county=world.county_a, name=f"点{n}", kind="point"
        )
        factories.user_with_role(Role.SUPERVISOR, world.county_a, username=f"sup_extra{n}")
    client.force_login(world.users["center_a"])
    with django_assert_max_num_queries(15):
        body = client.get(STATIONS).content.decode()
    assert f'data-supervisor="{supervisors["county_a"].pk}"' in body
    assert f'data-supervisor="{supervisors["city"].pk}"' in body  # serves the whole city
    assert f'data-supervisor="{supervisors["county_b"].pk}"' not in body
    assert "国家二级心理咨询师" in body
