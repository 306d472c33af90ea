"""Pages and API of guardian consent: the scope matrix (anonymous, another school, wrong role, a
user with two roles in two units, allowed), the class grid, the campaign pages, the notices."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from mhcare.accounts.models import Role
from mhcare.audit.models import AuditEvent
from screening.consents.services import consent_record
from screening.models import ScreeningConsent
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def two_roles(world):
    """Homeroom teacher of class A (school A) and school leader of school B."""
    user = factories.user_with_role(
        Role.HOMEROOM_TEACHER, world.school_a, klass=world.class_a, username="home_a_lead_b"
    )
    factories.RoleAssignmentFactory(user=user, role=Role.SCHOOL_LEADER, org_unit=world.school_b)
    return user


def grid_url(klass):
    return reverse("screening:class_consents", args=[klass.pk])


def refuse(world, key="a"):
    return consent_record(
        actor=world.users["psych_a"],
        student=world.students[key],
        decision="refused",
        way="phone",
        decided_on=TODAY,
    )


@pytest.mark.parametrize(
    ("who", "klass", "status"),
    [
        (None, "class_a", 302),
        ("psych_a", "class_a", 200),
        ("psych_a", "class_a_other", 200),
        ("homeroom_a", "class_a", 200),
        ("homeroom_a", "class_a_other", 404),  # not their class
        ("psych_b", "class_a", 404),  # another school
        ("psych_a", "class_b", 404),
        ("leader_a", "class_a", 403),  # wrong role
        ("center_a", "class_a", 403),
        ("official_a", "class_a", 403),
        ("two_roles", "class_a", 200),
        ("two_roles", "class_b", 404),  # leads B, records consent only in their class of A
    ],
)
def test_class_grid_matrix(client, world, two_roles, who, klass, status):
    if who == "two_roles":
        client.force_login(two_roles)
    elif who:
        client.force_login(world.users[who])
    assert client.get(grid_url(getattr(world, klass))).status_code == status


def test_grid_records_a_row_and_leaves_the_others(client, world, django_assert_max_num_queries):
    client.force_login(world.users["homeroom_a"])
    student = world.students["a"]
    response = client.post(
        grid_url(world.class_a),
        {
            f"decision-{student.pk}": "refused",
            f"way-{student.pk}": "written",
            f"date-{student.pk}": TODAY.isoformat(),
            f"note-{student.pk}": "",
        },
    )
    assert response.status_code == 302
    consent = ScreeningConsent.objects.get()
    assert (consent.student_id, consent.decision, consent.student_assent) == (
        student.pk,
        "refused",
        False,
    )
    with django_assert_max_num_queries(20):
        page = client.get(grid_url(world.class_a))
    assert 'data-decision="refused"' in page.content.decode()
    assert AuditEvent.objects.filter(object_type__icontains="consent").count() == 1


def test_grid_refuses_a_future_date_with_a_message(client, world):
    client.force_login(world.users["psych_a"])
    student = world.students["a"]
    response = client.post(
        grid_url(world.class_a),
        {
            f"decision-{student.pk}": "consented",
            f"way-{student.pk}": "online",
            f"date-{student.pk}": (TODAY + datetime.timedelta(days=3)).isoformat(),
        },
        follow=True,
    )
    assert "cannot be in the future" in response.content.decode()
    assert not ScreeningConsent.objects.exists()


def test_privacy_notice_is_public_in_both_languages(client, settings):
    response = client.get(reverse("screening:privacy_notice"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "个人信息处理告知书" in text
    assert "Notice on the processing of personal information" in text
    assert str(settings.RETENTION_YEARS["student"]) in text


@pytest.fixture
def campaign(world):
    from tests.screening.imports.conftest import Campaign, CampaignInstrument, Instrument

    item = Campaign.objects.create(
        name="2026 秋季心理筛查",
        school_year=world.class_a.school_year,
        org_unit=world.city,
        window_start=datetime.date(2026, 1, 1),
        window_end=datetime.date(2026, 12, 31),
    )
    CampaignInstrument.objects.create(
        campaign=item, instrument=Instrument.objects.latest_of("PHQ-9"), grade_min=4, grade_max=12
    )
    return item


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 302), ("psych_a", 200), ("official_a", 200), ("homeroom_a", 403), ("psych_b", 200)],
)
def test_parent_notice_matrix_and_print_button(client, world, campaign, who, status):
    if who:
        client.force_login(world.users[who])
    response = client.get(reverse("screening:campaign_notice", args=[campaign.pk]))
    assert response.status_code == status
    if status == 200:
        text = response.content.decode()
        assert "data-print" in text
        assert "onclick" not in text
        assert "<script>" not in text
        assert "PHQ-9" in text


def test_parent_notice_of_a_campaign_out_of_reach_is_404(client, world):
    from screening.models import Campaign

    other = Campaign.objects.create(
        name="上城区",
        school_year=world.class_a.school_year,
        org_unit=world.county_b,
        window_start=TODAY,
        window_end=TODAY,
    )
    client.force_login(world.users["psych_a"])
    assert client.get(reverse("screening:campaign_notice", args=[other.pk])).status_code == 404


def test_campaign_class_page_lists_refusals_and_students_without_consent(client, world, campaign):
    refuse(world, "a")
    client.force_login(world.users["psych_a"])
    url = reverse("screening:campaign_class", args=[campaign.pk, world.class_a.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert [r["student"].pk for r in response.context["refused"]] == [world.students["a"].pk]
    assert world.students["a"].pk not in {r["student"].pk for r in response.context["unscreened"]}
    assert 'data-testid="consent-link"' in response.content.decode()
    client.force_login(world.users["leader_a"])
    response = client.get(url)
    assert 'data-testid="consent-link"' not in response.content.decode()


# --- API ------------------------------------------------------------------------------------------

API = "/api/v1/screening/consents/"


def api(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_api_anonymous_and_wrong_role(world):
    assert api(None).get(API).status_code in (401, 403)
    assert api(world.users["leader_a"]).get(API).status_code == 403
    assert api(world.users["official_a"]).get(API).status_code == 403


def test_api_create_and_list_in_scope(world, two_roles, django_assert_max_num_queries):
    body = {
        "student": world.students["a"].pk,
        "decision": "consented",
        "way": "online",
        "decided_on": TODAY.isoformat(),
    }
    response = api(world.users["psych_a"]).post(API, body, format="json")
    assert response.status_code == 201, response.content
    refuse(world, "a_other_class")
    with django_assert_max_num_queries(12):
        rows = api(world.users["psych_a"]).get(API).json()["results"]
    assert {r["student"] for r in rows} == {
        world.students["a"].pk,
        world.students["a_other_class"].pk,
    }
    refused = api(world.users["psych_a"]).get(API, {"decision": "refused"}).json()["results"]
    assert [r["student"] for r in refused] == [world.students["a_other_class"].pk]
    # the homeroom teacher (with a leader role elsewhere) sees only their own class
    rows = api(two_roles).get(API).json()["results"]
    assert [r["student"] for r in rows] == [world.students["a"].pk]
    assert api(world.users["psych_b"]).get(API).json()["results"] == []


@pytest.mark.parametrize(
    ("who", "student", "status"),
    [
        ("psych_b", "a", 404),
        ("homeroom_a", "a_other_class", 404),
        ("two_roles", "b", 404),
        ("two_roles", "a", 201),
    ],
)
def test_api_create_matrix(world, two_roles, who, student, status):
    user = two_roles if who == "two_roles" else world.users[who]
    body = {
        "student": world.students[student].pk,
        "decision": "refused",
        "way": "written",
        "decided_on": TODAY.isoformat(),
    }
    assert api(user).post(API, body, format="json").status_code == status


def test_api_future_date_is_400(world):
    body = {
        "student": world.students["a"].pk,
        "decision": "refused",
        "way": "written",
        "decided_on": (TODAY + datetime.timedelta(days=1)).isoformat(),
    }
    assert api(world.users["psych_a"]).post(API, body, format="json").status_code == 400


def test_campaign_coverage_leaves_refused_students_out(world, campaign):
    from screening.campaigns import selectors as campaign_selectors
    from screening.campaigns import services as campaign_services

    def enrolled():
        campaign_services.campaign_coverage_refresh(campaign=campaign)
        rows = campaign_selectors.coverage_by_child(
            actor=world.users["center_a"], campaign=campaign, unit=world.county_a
        )
        return sum(r.enrolled for r in rows)

    before = enrolled()
    refuse(world, "a")
    assert enrolled() == before - 1
