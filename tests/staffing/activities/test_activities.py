"""MH education and family-education activities: recording (who, checks), counts per school and
period (one grouped query), the pages and the API with their scope."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from staffing.activities import selectors, services
from staffing.activities.services import PARTICIPANTS_INVALID, TITLE_REQUIRED
from staffing.models import ActivityCategory, EducationActivity

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 10, 20)
URL = "/api/v1/staffing/activities/"


def record(
    world, school, kind="parent_school", participants=120, actor=None, title="家长学校：青春期沟通"
):
    actor = actor or world.users["psych_a"]
    return services.activity_record(
        actor=actor, school=school, kind=kind, held_on=DAY, title=title, participants=participants
    )


def test_recording_sets_the_category_and_county_and_is_audited(world):
    activity = record(world, world.school_a)
    assert (activity.category, activity.county) == (ActivityCategory.FAMILY, world.county_a)
    lecture = record(world, world.school_a, kind="lecture", title="心理健康月讲座")
    assert lecture.category == ActivityCategory.EDUCATION


def test_who_records(world, two_roles):
    for name in ("homeroom_a", "official_a", "center_a", "psych_b"):
        with pytest.raises(PermissionDenied):
            record(world, world.school_a, actor=world.users[name])
    with pytest.raises(PermissionDenied):
        record(world, world.school_a2, actor=two_roles)
    record(world, world.school_b, actor=two_roles)
    assert EducationActivity.objects.count() == 1


def test_checks(world):
    with pytest.raises(ValidationError) as refused:
        record(world, world.school_a, participants=0, title=" ")
    assert refused.value.message_dict == {
        "title": [str(TITLE_REQUIRED)],
        "participants": [str(PARTICIPANTS_INVALID)],
    }


def test_counts_per_school_and_period(world, django_assert_max_num_queries):
    record(world, world.school_a)
    record(world, world.school_a, kind="parent_lecture", participants=80)
    record(world, world.school_a, kind="mh_month", participants=900, title="心理健康月")
    record(world, world.school_b, actor=world.users["psych_b"], participants=50)
    with django_assert_max_num_queries(2):
        rows = selectors.activity_counts(
            unit=world.county_a, start=datetime.date(2026, 9, 1), end=datetime.date(2026, 12, 31)
        )
    assert [(r.school, r.education, r.education_reach, r.family, r.family_reach) for r in rows] == [
        (world.school_a, 1, 900, 2, 200),
        (world.school_a2, 0, 0, 0, 0),
    ]
    assert selectors.family_education_counts(
        unit=world.province, start=datetime.date(2026, 9, 1), end=datetime.date(2026, 12, 31)
    ) == {
        "schools": 3,
        "schools_with_family_education": 2,
        "family_sessions": 3,
        "family_reach": 250,
    }
    outside = selectors.activity_counts(
        unit=world.county_a, start=datetime.date(2026, 11, 1), end=datetime.date(2026, 12, 31)
    )
    assert sum(r.family for r in outside) == 0


@pytest.mark.parametrize(
    ("user", "list_status", "form_status"),
    [
        ("psych_a", 200, 200),
        ("leader_a", 200, 200),
        ("center_a", 200, 403),
        ("official_a", 200, 403),
        ("homeroom_a", 403, 403),
        ("admin", 403, 403),
    ],
)
def test_page_scope_matrix(client, world, user, list_status, form_status):
    client.force_login(world.users[user])
    assert client.get(reverse("activities:list")).status_code == list_status
    assert client.get(reverse("activities:create")).status_code == form_status


def test_pages_show_only_the_actors_schools(
    client, world, two_roles, django_assert_max_num_queries
):
    record(world, world.school_a)
    record(world, world.school_b, actor=world.users["psych_b"], title="B 家长会")
    client.force_login(two_roles)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("activities:list"))
    assert [a.school for a in page.context["page"].rows] == [world.school_b]
    form = client.get(reverse("activities:create")).context["form"]
    assert list(form.fields["school"].queryset) == [world.school_b]
    response = client.post(
        reverse("activities:create"),
        {
            "school": world.school_a.pk,
            "kind": "lecture",
            "held_on": "2026-10-20",
            "title": "x",
            "participants": 5,
        },
    )
    assert response.status_code == 400
    assert EducationActivity.objects.count() == 2
    response = client.post(
        reverse("activities:create"),
        {
            "school": world.school_b.pk,
            "kind": "lecture",
            "held_on": "2026-10-20",
            "title": "讲座",
            "participants": 5,
        },
    )
    assert response.status_code == 302
    assert EducationActivity.objects.filter(school=world.school_b).count() == 2
    client.logout()
    assert client.get(reverse("activities:list")).status_code == 302


def test_api_lists_and_records_with_the_same_scope(world):
    record(world, world.school_a)
    record(world, world.school_b, actor=world.users["psych_b"], title="B 家长会")
    api = APIClient()
    api.force_authenticate(world.users["official_a"])
    rows = api.get(URL).json()["results"]
    assert [r["school"] for r in rows] == [world.school_a.code]
    assert api.get(URL, {"unit": world.county_b.code}).status_code == 404
    assert api.get(URL, {"category": "education"}).json()["results"] == []
    assert api.post(URL, {}, format="json").status_code == 403
    api.force_authenticate(world.users["psych_a"])
    body = {
        "school": world.school_a.code,
        "kind": "class_meeting",
        "held_on": "2026-10-21",
        "title": "主题班会",
        "participants": 45,
    }
    response = api.post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["category"] == "education"
    assert api.post(URL, {**body, "school": world.school_b.code}, format="json").status_code == 404
    api.force_authenticate(world.users["homeroom_a"])
    assert api.get(URL).status_code == 403
    api.force_authenticate(None)
    assert api.get(URL).status_code == 403
