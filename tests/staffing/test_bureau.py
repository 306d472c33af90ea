"""Bureau writes on the county page and the API (gap11): 教研员 posts (add, end), the bureau's
responsibilities, the county budget and county training — who may (scope matrix incl. a user with
two roles in two units), what is stored, audited, errors next to their field."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from mhcare.accounts.models import Role, RoleAssignment
from mhcare.audit.models import AuditEvent
from staffing.models import (
    Budget,
    MHTeacher,
    PostKind,
    Researcher,
    Responsibility,
    TrainingEvent,
)
from staffing.teachers import rule, services
from staffing.teachers.rule import Status
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.django_db
COUNTY = reverse("staffing:county")
START = datetime.date(2024, 9, 1)


@pytest.fixture
def research_a(world):
    return factories.CountyFactory(
        parent=world.county_a, code="330106R", name="西湖区教研室", kind="research"
    )


@pytest.fixture
def research_b(world):
    return factories.CountyFactory(
        parent=world.county_b, code="330102R", name="上城区教研室", kind="research"
    )


@pytest.fixture
def center_and_psych(world):
    """County center of county A and psychology teacher of school B (county B)."""
    user = factories.user_with_role(Role.COUNTY_CENTER, world.county_a, username="center_psych")
    RoleAssignment.objects.create(user=user, role=Role.PSYCH_TEACHER, org_unit=world.school_b)
    return user


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def researcher_post(unit, **extra):
    data = {
        "unit": unit.code,
        "name": "许研",
        "kind": PostKind.FULLTIME,
        "start_date": "2024-09-01",
        "psychology_degree": "on",
        "certificate_level": "B",
        "certificate_date": "2023-06-01",
    }
    data.update(extra)
    return data


# ---------------------------------------------------------------- services


def test_end_post_service_audited_and_rule_follows(world, research_a):
    researcher = services.researcher_add(
        actor=world.users["center_a"],
        unit=research_a,
        name="许研",
        kind=PostKind.FULLTIME,
        start_date=START,
        psychology_degree=True,
        certificate_level="A",
        certificate_date=datetime.date(2024, 1, 1),
    )
    assert researcher.certificate_level == "A"
    services.researcher_end_post(
        actor=world.users["official_a"], researcher=researcher, end_date=datetime.date(2025, 9, 1)
    )
    researcher.refresh_from_db()
    assert researcher.end_date == datetime.date(2025, 9, 1)
    on_last_day = rule.research_unit_staffing(unit=world.county_a, on=datetime.date(2025, 9, 1))
    assert on_last_day[0].status == Status.COMPLIANT
    day_after = rule.research_unit_staffing(unit=world.county_a, on=datetime.date(2025, 9, 2))
    assert day_after[0].status == Status.NON_COMPLIANT
    event = AuditEvent.objects.filter(object_type="staffing.researcher").latest("id")
    assert event.detail["operation"] == "researcher_end_post"
    assert event.actor_username == "official_a"
    with pytest.raises(ValidationError) as exc:
        services.researcher_end_post(
            actor=world.users["center_a"], researcher=researcher, end_date=datetime.date(2026, 1, 1)
        )
    assert services.ALREADY_ENDED in exc.value.message_dict["end_date"]


def test_end_post_refused_before_start_and_outside(world, research_a, research_b):
    researcher = services.researcher_add(
        actor=world.users["center_a"], unit=research_a, name="许研", start_date=START
    )
    with pytest.raises(ValidationError) as exc:
        services.researcher_end_post(
            actor=world.users["center_a"],
            researcher=researcher,
            end_date=START - datetime.timedelta(days=1),
        )
    assert services.END_BEFORE_START in exc.value.message_dict["end_date"]
    with pytest.raises(PermissionDenied):
        services.researcher_end_post(
            actor=world.users["center_b"], researcher=researcher, end_date=START
        )
    with pytest.raises(PermissionDenied):
        services.researcher_add(
            actor=world.users["center_a"], unit=research_b, name="许研", start_date=START
        )
    with pytest.raises(ValidationError):
        services.researcher_add(
            actor=world.users["center_a"],
            unit=research_a,
            name="许研",
            start_date=START,
            certificate_date=START,
        )


# ---------------------------------------------------------------- pages


def test_bureau_writers_see_the_forms(client, world, research_a):
    login(client, world.users["psych_a"])
    response = client.get(COUNTY)  # redirected to the school page
    assert response.status_code == 302
    for who, forms in (("official_a", True), ("center_a", True), ("official_province", True)):
        login(client, world.users[who])
        response = client.get(COUNTY, {"unit": world.county_a.code})
        assert response.status_code == 200
        assert response.context["may_manage"] is forms
        body = response.content.decode()
        assert 'data-testid="researcher-add-form"' in body
        assert 'data-testid="responsibility-form"' in body
        assert 'data-testid="bureau-budget-form"' in body
        assert 'data-testid="bureau-training-form"' in body


def test_anonymous_wrong_role_other_county_are_refused(client, world, research_a, research_b):
    urls = [
        reverse("staffing:researcher_add", args=[world.county_a.code]),
        reverse("staffing:responsibility_save", args=[world.county_a.code]),
        reverse("staffing:bureau_budget", args=[world.county_a.code]),
        reverse("staffing:bureau_training", args=[world.county_a.code]),
    ]
    for url in urls:
        response = client.post(url, {})
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    login(client, world.users["psych_a"])
    for url in urls:
        assert client.post(url, {}).status_code == 403
    login(client, world.users["center_b"])
    for url in urls:
        assert client.post(url, {}).status_code == 404
    assert not Researcher.objects.exists()
    assert not Budget.objects.exists()


def test_add_and_end_a_researcher_through_the_page(client, world, research_a):
    login(client, world.users["center_a"])
    url = reverse("staffing:researcher_add", args=[world.county_a.code])
    response = client.post(url, researcher_post(research_a))
    assert response.status_code == 302
    assert response["Location"].endswith(f"?unit={world.county_a.code}")
    researcher = Researcher.objects.get()
    assert (researcher.unit, researcher.kind, researcher.psychology_degree) == (
        research_a,
        PostKind.FULLTIME,
        True,
    )
    assert (researcher.certificate_level, researcher.certificate_date) == (
        "B",
        datetime.date(2023, 6, 1),
    )
    page = client.get(COUNTY, {"unit": world.county_a.code, "on": "2025-09-01"})
    assert [r.status for r in page.context["research_units"]] == [Status.COMPLIANT]
    assert f'data-researcher="{researcher.pk}"' in page.content.decode()
    end = client.post(
        reverse("staffing:researcher_end", args=[researcher.pk]), {"end_date": "2025-08-31"}
    )
    assert end.status_code == 302
    researcher.refresh_from_db()
    assert researcher.end_date == datetime.date(2025, 8, 31)
    page = client.get(COUNTY, {"unit": world.county_a.code, "on": "2025-09-01"})
    assert [r.status for r in page.context["research_units"]] == [Status.NON_COMPLIANT]
    ops = list(
        AuditEvent.objects.filter(object_type="staffing.researcher")
        .order_by("id")
        .values_list("detail__operation", flat=True)
    )
    assert ops == ["researcher_add", "researcher_end_post"]


def test_researcher_form_errors_stay_next_to_their_field(client, world, research_a, research_b):
    login(client, world.users["official_a"])
    url = reverse("staffing:researcher_add", args=[world.county_a.code])
    response = client.post(url, researcher_post(research_a, name="", kind=""))
    assert response.status_code == 400
    form = response.context["researcher_form"]
    assert set(form.errors) == {"name", "kind"}
    # A research unit of another county is not a choice.
    response = client.post(url, researcher_post(research_b))
    assert response.status_code == 400
    assert "unit" in response.context["researcher_form"].errors
    response = client.post(url, researcher_post(research_a, certificate_level=""))
    assert response.status_code == 400
    assert "certificate_date" in response.context["researcher_form"].errors
    assert not Researcher.objects.exists()


def test_ending_a_researcher_of_another_county_is_404(client, world, research_b):
    researcher = Researcher.objects.create(
        unit=research_b, name="许研", kind=PostKind.FULLTIME, start_date=START
    )
    login(client, world.users["center_a"])
    url = reverse("staffing:researcher_end", args=[researcher.pk])
    assert client.post(url, {"end_date": "2025-01-01"}).status_code == 404
    login(client, world.users["psych_b"])
    assert client.post(url, {"end_date": "2025-01-01"}).status_code == 403
    researcher.refresh_from_db()
    assert researcher.end_date is None


def test_responsibility_budget_and_training_through_the_page(client, world):
    MHTeacher.objects.create(
        school=world.school_a, name="林晓", kind=PostKind.FULLTIME, start_date=START
    )
    login(client, world.users["official_a"])
    code = world.county_a.code
    response = client.post(
        reverse("staffing:responsibility_save", args=[code]),
        {
            "responsible_leader": "周局长",
            "division": "德育科",
            "person_in_charge": "吴老师",
            "center_role": "统筹全区心理健康教育",
        },
    )
    assert response.status_code == 302
    row = Responsibility.objects.get(unit=world.county_a)
    assert (row.division, row.center_role) == ("德育科", "统筹全区心理健康教育")
    # Saved again: one row, the form shows what is on record.
    page = client.get(COUNTY, {"unit": code})
    assert page.context["responsibility_form"].initial["division"] == "德育科"
    response = client.post(
        reverse("staffing:bureau_budget", args=[code]), {"year": 2025, "amount": "120000.00"}
    )
    assert response.status_code == 302
    assert Budget.objects.get(unit=world.county_a).amount == Decimal("120000.00")
    response = client.post(
        reverse("staffing:bureau_training", args=[code]),
        {
            "kind": "in_service",
            "title": "全区心理健康教师培训",
            "held_on": "2025-10-10",
            "hours": "4",
            "includes_mh_content": "on",
            "participants": f"林晓, {world.school_a.code}\n王芳, {world.school_a2.code}, 班主任",
        },
    )
    assert response.status_code == 302, response.context["training_form"].errors
    event = TrainingEvent.objects.get()
    assert event.unit == world.county_a
    people = {p.name: p for p in event.participants.all()}
    assert people["林晓"].teacher is not None
    assert people["王芳"].is_homeroom_teacher
    assert people["王芳"].school == world.school_a2
    ops = set(AuditEvent.objects.values_list("detail__operation", flat=True))
    assert {"responsibility_set", "budget_set"} <= ops


def test_county_training_refuses_a_school_outside_and_bad_lines(client, world):
    login(client, world.users["center_a"])
    url = reverse("staffing:bureau_training", args=[world.county_a.code])
    data = {
        "kind": "in_service",
        "title": "培训",
        "held_on": "2025-10-10",
        "hours": "2",
        "participants": f"赵老师, {world.school_b.code}",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert world.school_b.code in str(response.context["training_form"].errors["participants"])
    response = client.post(url, {**data, "participants": "只有名字"})
    assert response.status_code == 400
    assert "participants" in response.context["training_form"].errors
    assert not TrainingEvent.objects.exists()


def test_school_and_research_units_are_not_bureaus(client, world, research_a):
    login(client, world.users["official_province"])
    for code in (world.school_a.code, research_a.code):
        url = reverse("staffing:bureau_budget", args=[code])
        assert client.post(url, {"year": 2025, "amount": "1"}).status_code == 404


def test_two_role_user_manages_county_a_only(
    client, world, research_a, research_b, center_and_psych
):
    login(client, center_and_psych)
    page = client.get(COUNTY, {"unit": world.county_a.code})
    assert page.status_code == 200
    assert page.context["may_manage"]
    ok = client.post(
        reverse("staffing:researcher_add", args=[world.county_a.code]), researcher_post(research_a)
    )
    assert ok.status_code == 302
    refused = client.post(
        reverse("staffing:bureau_budget", args=[world.county_b.code]), {"year": 2025, "amount": "1"}
    )
    assert refused.status_code == 404
    # School B (psychology teacher there) is a school: no bureau writes for it.
    assert (
        client.post(
            reverse("staffing:bureau_budget", args=[world.school_b.code]),
            {"year": 2025, "amount": "1"},
        ).status_code
        == 404
    )
    assert Researcher.objects.filter(unit=research_b).count() == 0


def test_county_page_with_forms_query_bound(
    client, world, research_a, django_assert_max_num_queries
):
    Researcher.objects.create(
        unit=research_a, name="许研", kind=PostKind.FULLTIME, start_date=START
    )
    login(client, world.users["center_a"])
    with django_assert_max_num_queries(40):
        assert client.get(COUNTY, {"unit": world.county_a.code}).status_code == 200


# ---------------------------------------------------------------- API

RESEARCHERS = "/api/v1/staffing/researchers/"
RESPONSIBILITIES = "/api/v1/staffing/responsibilities/"
BUDGETS = "/api/v1/staffing/budgets/"


def test_api_urls_resolve():
    assert reverse("api-staffing-researcher-create") == RESEARCHERS
    assert reverse("api-staffing-researcher-end", args=[7]) == f"{RESEARCHERS}7/end/"
    assert reverse("api-staffing-responsibility-set") == RESPONSIBILITIES
    assert reverse("api-staffing-budget-set") == BUDGETS


def test_api_researcher_create_and_end(world, research_a):
    client = api(world.users["official_a"])
    response = client.post(
        RESEARCHERS,
        {
            "unit": research_a.code,
            "name": "许研",
            "kind": "fulltime",
            "start_date": "2024-09-01",
            "certificate_level": "C",
            "certificate_date": "2024-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    assert set(response.data) == {
        "id",
        "unit",
        "name",
        "kind",
        "start_date",
        "end_date",
        "psychology_degree",
        "certificate_level",
        "certificate_date",
    }
    pk = response.data["id"]
    ended = client.post(f"{RESEARCHERS}{pk}/end/", {"end_date": "2025-06-30"}, format="json")
    assert ended.status_code == 200
    assert ended.data["end_date"] == "2025-06-30"
    again = client.post(f"{RESEARCHERS}{pk}/end/", {"end_date": "2025-07-30"}, format="json")
    assert again.status_code == 400
    assert "end_date" in again.data


def test_api_researcher_scope_matrix(world, research_a, research_b, center_and_psych):
    body = {"unit": research_a.code, "name": "许研", "kind": "fulltime", "start_date": "2024-09-01"}
    assert api().post(RESEARCHERS, body, format="json").status_code in (401, 403)
    assert api(world.users["psych_a"]).post(RESEARCHERS, body, format="json").status_code == 403
    outside = api(world.users["center_b"]).post(RESEARCHERS, body, format="json")
    assert outside.status_code == 400
    assert "unit" in outside.data
    assert api(center_and_psych).post(RESEARCHERS, body, format="json").status_code == 201
    other = api(center_and_psych).post(
        RESEARCHERS, {**body, "unit": research_b.code}, format="json"
    )
    assert other.status_code == 400
    researcher = Researcher.objects.get()
    end_url = f"{RESEARCHERS}{researcher.pk}/end/"
    assert api(world.users["center_b"]).post(end_url, {"end_date": "2025-01-01"}).status_code == 404
    assert api(world.users["psych_b"]).post(end_url, {"end_date": "2025-01-01"}).status_code == 403
    # A school unit is not a teaching-research unit.
    not_research = api(world.users["official_a"]).post(
        RESEARCHERS, {**body, "unit": world.school_a.code}, format="json"
    )
    assert not_research.status_code == 400
    assert "unit" in not_research.data


def test_api_responsibility_and_budget(world, center_and_psych):
    client = api(world.users["center_a"])
    response = client.post(
        RESPONSIBILITIES,
        {
            "unit": world.county_a.code,
            "responsible_leader": "周局长",
            "division": "德育科",
            "person_in_charge": "吴老师",
        },
        format="json",
    )
    assert response.status_code == 200, response.data
    assert response.data["division"] == "德育科"
    assert Responsibility.objects.get().center_role == ""
    response = client.post(
        BUDGETS, {"unit": world.county_a.code, "year": 2025, "amount": "88000"}, format="json"
    )
    assert response.status_code == 200
    assert response.data["amount"] == "88000.00"
    # A school's own budget through the same endpoint: its psychology teacher.
    school = api(world.users["psych_a"]).post(
        BUDGETS, {"unit": world.school_a.code, "year": 2025, "amount": "5000"}, format="json"
    )
    assert school.status_code == 200
    # Two roles: the county (center) and school B (psych) — not county B, not school A.
    two = api(center_and_psych)
    assert (
        two.post(BUDGETS, {"unit": world.school_b.code, "year": 2025, "amount": "1"}).status_code
        == 200
    )
    assert (
        two.post(BUDGETS, {"unit": world.county_b.code, "year": 2025, "amount": "1"}).status_code
        == 400
    )
    # A county reader who does not write (psych of school A reads school A only) / a school the
    # center reads but does not write: 403.
    assert (
        two.post(BUDGETS, {"unit": world.school_a.code, "year": 2025, "amount": "1"}).status_code
        == 403
    )
    assert api().post(BUDGETS, {}).status_code in (401, 403)
    assert api(world.users["homeroom_a"]).post(BUDGETS, {}).status_code == 403
    assert api(world.users["psych_a"]).post(RESPONSIBILITIES, {}, format="json").status_code == 403
    not_bureau = client.post(
        RESPONSIBILITIES,
        {
            "unit": world.school_a.code,
            "responsible_leader": "a",
            "division": "b",
            "person_in_charge": "c",
        },
        format="json",
    )
    assert not_bureau.status_code == 400
    assert "unit" in not_bureau.data
    assert Budget.objects.count() == 3


def test_openapi_lists_the_bureau_writes(world):
    client = api(world.users["official_province"])
    response = client.get(reverse("api-schema"), {"format": "json"})
    paths = response.json()["paths"]
    for path in (
        RESEARCHERS,
        RESEARCHERS + "{id}/end/",
        RESPONSIBILITIES,
        BUDGETS,
    ):
        assert path in paths
