"""GET /api/v1/staffing/lessons/?unit=&month= (one row per class with the exact field names) and
POST (a lesson for several classes), with the scope of the pages."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from staffing.models import Lesson, LessonSource
from tests import factories
from tests.staffing.lessons.conftest import log

pytestmark = pytest.mark.django_db
URL = "/api/v1/staffing/lessons/"


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.logout()
    if user is not None:
        api.force_authenticate(user)
    return api


def test_the_url_is_the_one_the_issue_names():
    assert reverse("api-staffing-lessons") == URL


def test_one_row_per_class_with_the_exact_fields(api, world):
    log(world, [world.class_a], day=datetime.date(2026, 10, 9), hours="1.5")
    log(world, [world.class_a_other], day=datetime.date(2026, 10, 9), hours="2")
    response = as_user(api, world.users["official_a"]).get(
        URL, {"unit": world.county_a.code, "month": "2026-10"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "results": [
            {
                "school": world.school_a.code,
                "class": "八(1)班",
                "hours": "1.5",
                "required": "2.0",
                "met": False,
            },
            {
                "school": world.school_a.code,
                "class": "八(2)班",
                "hours": "2.0",
                "required": "2.0",
                "met": True,
            },
            {
                "school": world.school_a2.code,
                "class": "八(1)班",
                "hours": "0.0",
                "required": "2.0",
                "met": False,
            },
        ],
    }


def test_a_holiday_month_requires_nothing(api, world):
    response = as_user(api, world.users["psych_a"]).get(
        URL, {"unit": world.school_a.code, "month": "2027-02"}
    )
    assert [(r["required"], r["met"]) for r in response.json()["results"]] == [
        ("0.0", True),
        ("0.0", True),
    ]


@pytest.mark.parametrize(
    ("user", "unit", "status", "classes"),
    [
        (None, "school_a", 403, None),
        ("admin", "school_a", 403, None),
        ("psych_b", "school_a", 404, None),
        ("official_a", "county_b", 404, None),
        ("center_b", "school_a", 404, None),
        ("homeroom_a", "school_a", 200, 1),
        ("homeroom_a", "county_a", 200, 1),
        ("psych_a", "school_a", 200, 2),
        ("official_a", "city", 200, 3),  # above her county: her county's classes only
        ("official_province", "province", 200, 4),
    ],
)
def test_scope_matrix(api, world, user, unit, status, classes):
    response = as_user(api, world.users.get(user)).get(
        URL, {"unit": getattr(world, unit).code, "month": "2026-10"}
    )
    assert response.status_code == status
    if classes is not None:
        assert len(response.json()["results"]) == classes


def test_the_two_role_user_gets_her_class_in_a2_and_all_of_b(api, world, two_roles):
    factories.SchoolClassFactory(
        school=world.school_b, school_year=world.class_b.school_year, name="九(1)班"
    )
    client = as_user(api, two_roles)
    rows = client.get(URL, {"unit": world.city.code, "month": "2026-10"}).json()["results"]
    assert sorted((r["school"], r["class"]) for r in rows) == [
        (world.school_b.code, "九(1)班"),
        (world.school_b.code, "八(1)班"),
        (world.school_a2.code, "八(1)班"),
    ]
    assert client.get(URL, {"unit": world.school_a.code, "month": "2026-10"}).status_code == 404


def test_bad_parameters_are_400_and_an_unknown_unit_404(api, world):
    client = as_user(api, world.users["official_a"])
    assert client.get(URL, {"unit": world.county_a.code, "month": "2026-13"}).status_code == 400
    assert client.get(URL, {"month": "2026-10"}).status_code == 400
    assert client.get(URL, {"unit": "nope", "month": "2026-10"}).status_code == 404


def test_pages_of_classes_follow_the_cursor(api, world, monkeypatch):
    from staffing.lessons import apis

    monkeypatch.setattr(apis, "PAGE_SIZE", 2)
    client = as_user(api, world.users["official_province"])
    first = client.get(URL, {"unit": world.province.code, "month": "2026-10"}).json()
    assert len(first["results"]) == 2
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2
    assert second["next"] is None


def test_the_list_is_a_fixed_number_of_queries(api, world, django_assert_max_num_queries):
    for index in range(30):
        factories.SchoolClassFactory(
            school=world.school_b, school_year=world.class_b.school_year, name=f"七({index})班"
        )
    client = as_user(api, world.users["official_province"])
    with django_assert_max_num_queries(6):
        response = client.get(URL, {"unit": world.province.code, "month": "2026-10"})
    assert len(response.json()["results"]) == 34


def test_post_logs_one_lesson_for_several_classes(api, world):
    response = as_user(api, world.users["psych_a"]).post(
        URL,
        {
            "classes": [world.class_a.pk, world.class_a_other.pk],
            "given_on": "2026-10-12",
            "hours": "1.0",
            "topic": "认识情绪",
        },
        format="json",
    )
    assert response.status_code == 201
    assert [r["class_id"] for r in response.json()] == [world.class_a.pk, world.class_a_other.pk]
    assert set(Lesson.objects.values_list("source", flat=True)) == {LessonSource.API}


def test_post_scope_and_errors(api, world, two_roles):
    body = {
        "classes": [world.class_a.pk],
        "given_on": "2026-10-12",
        "hours": "1.0",
        "topic": "情绪",
    }
    assert as_user(api, None).post(URL, body, format="json").status_code == 403
    assert as_user(api, world.users["official_a"]).post(URL, body, format="json").status_code == 403
    assert as_user(api, two_roles).post(URL, body, format="json").status_code == 404
    assert (
        as_user(api, world.users["homeroom_a"])
        .post(URL, {**body, "classes": [world.class_a_other.pk]}, format="json")
        .status_code
        == 404
    )
    assert (
        as_user(api, world.users["psych_a"])
        .post(URL, {**body, "classes": [999999]}, format="json")
        .status_code
        == 404
    )
    response = as_user(api, world.users["psych_a"]).post(
        URL, {**body, "hours": "0.3"}, format="json"
    )
    assert response.status_code == 400
    assert "hours" in response.json()
    assert not Lesson.objects.exists()
