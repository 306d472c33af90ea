"""Lesson pages: the scope matrix of every page (anonymous, another school or county, wrong role,
allowed, and a user with two roles in two schools), the multi-class log form, the grid and the
county overview with its filter, and query bounds."""

import datetime

import pytest
from django.urls import reverse

from staffing.lessons.services import CLASSES_REQUIRED
from staffing.models import Lesson
from tests import factories
from tests.staffing.lessons.conftest import OCT, log

pytestmark = pytest.mark.django_db
MONTHS = "?start=2026-10&end=2026-11"


def school_url(school):
    return reverse("lessons:school", args=[school.pk]) + MONTHS


def get(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url)


def test_anonymous_users_are_sent_to_the_login_page(client, world):
    for url in (
        reverse("lessons:index"),
        school_url(world.school_a),
        reverse("lessons:log"),
        reverse("lessons:import"),
        reverse("lessons:template"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("user", "school", "status"),
    [
        ("psych_a", "school_a", 200),
        ("leader_a", "school_a", 200),
        ("homeroom_a", "school_a", 200),
        ("center_a", "school_a", 200),
        ("official_a", "school_a", 200),
        ("official_province", "school_b", 200),
        ("psych_b", "school_a", 404),
        ("homeroom_a", "school_a2", 404),
        ("center_a", "school_b", 404),
        ("official_a", "school_b", 404),
        ("admin", "school_a", 403),
    ],
)
def test_the_school_grid_scope_matrix(client, world, user, school, status):
    response = get(client, world.users[user], school_url(getattr(world, school)))
    assert response.status_code == status


def test_a_missing_school_is_the_same_404(client, world):
    assert (
        get(
            client, world.users["official_province"], reverse("lessons:school", args=[999999])
        ).status_code
        == 404
    )


def test_the_homeroom_teacher_sees_her_class_only(client, world):
    log(world, [world.class_a, world.class_a_other], day=datetime.date(2026, 10, 9), hours="2")
    response = get(client, world.users["homeroom_a"], school_url(world.school_a))
    grid = response.context["grid"]
    assert [row.klass for row in grid.rows] == [world.class_a]
    assert [lesson.klass for lesson in response.context["recent"]] == [world.class_a]


def test_the_two_role_user_reads_her_class_in_one_school_and_all_of_the_other(
    client, world, two_roles
):
    extra_b = factories.SchoolClassFactory(
        school=world.school_b, school_year=world.class_b.school_year, name="八(2)班"
    )
    extra_a2 = factories.SchoolClassFactory(
        school=world.school_a2, school_year=world.class_a2.school_year, name="八(2)班"
    )
    a2 = get(client, two_roles, school_url(world.school_a2))
    assert [row.klass for row in a2.context["grid"].rows] == [world.class_a2]
    b = get(client, two_roles, school_url(world.school_b))
    assert {row.klass for row in b.context["grid"].rows} == {world.class_b, extra_b}
    assert get(client, two_roles, school_url(world.school_a)).status_code == 404
    # the log form offers her own class of A2 and every class of B, nothing else
    form = get(client, two_roles, reverse("lessons:log")).context["form"]
    assert set(form.fields["classes"].queryset) == {world.class_a2, world.class_b, extra_b}
    assert extra_a2 not in set(form.fields["classes"].queryset)
    # imports: for school B only
    page = get(client, two_roles, reverse("lessons:import"))
    assert list(page.context["form"].fields["school"].queryset) == [world.school_b]
    # the overview: school B, with a link to her class's school
    index = get(client, two_roles, reverse("lessons:index"))
    assert index.status_code == 200
    assert [row.school for row in index.context["rows"]] == [world.school_b]
    assert index.context["class_schools"] == [world.school_a2]


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("psych_a", 200),
        ("leader_a", 200),
        ("homeroom_a", 200),
        ("center_a", 403),
        ("official_a", 403),
        ("admin", 403),
    ],
)
def test_the_log_form_is_for_teachers_psych_teachers_and_leaders(client, world, user, status):
    assert get(client, world.users[user], reverse("lessons:log")).status_code == status


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("psych_a", 200),
        ("leader_a", 200),
        ("homeroom_a", 403),
        ("official_a", 403),
        ("center_a", 403),
    ],
)
def test_imports_are_for_the_schools_psych_teacher_and_leader(client, world, user, status):
    assert get(client, world.users[user], reverse("lessons:import")).status_code == status
    assert get(client, world.users[user], reverse("lessons:template")).status_code == status


def test_a_teacher_logs_one_lesson_for_two_classes_and_lands_on_the_grid(client, world, subject_a):
    client.force_login(world.users["psych_a"])
    response = client.post(
        reverse("lessons:log"),
        {
            "classes": [world.class_a.pk, world.class_a_other.pk],
            "given_on": "2026-10-12",
            "hours": "1.0",
            "topic": "认识情绪",
            "teacher_name": world.users["psych_a"].display_name or "psych_a",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("lessons:school", args=[world.school_a.pk]))
    assert Lesson.objects.count() == 2
    page = client.get(response["Location"])
    hours = {
        row.klass.name: [str(c.hours) for c in row.cells if c.month == OCT]
        for row in page.context["grid"].rows
    }
    assert hours == {"八(1)班": ["1.0"], "八(2)班": ["1.0"]}


def test_log_form_errors_show_next_to_the_field_and_keep_what_was_typed(client, world):
    client.force_login(world.users["homeroom_a"])
    response = client.post(
        reverse("lessons:log"),
        {"given_on": "2026-10-12", "hours": "1.0", "topic": "认识情绪"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["classes"] == [str(CLASSES_REQUIRED)]
    assert response.context["form"]["topic"].value() == "认识情绪"
    # a class of another teacher posted by hand: refused, nothing stored
    response = client.post(
        reverse("lessons:log"),
        {
            "classes": [world.class_a_other.pk],
            "given_on": "2026-10-12",
            "hours": "1.0",
            "topic": "认识情绪",
        },
    )
    assert response.status_code == 400
    assert not Lesson.objects.exists()


@pytest.mark.parametrize(
    ("user", "status"),
    [("official_a", 200), ("center_a", 200), ("official_province", 200), ("admin", 403)],
)
def test_the_overview_scope(client, world, user, status):
    assert get(client, world.users[user], reverse("lessons:index")).status_code == status


def test_school_level_users_see_their_schools_grid_at_once(client, world):
    for name in ("psych_a", "leader_a", "homeroom_a"):
        response = get(client, world.users[name], reverse("lessons:index"))
        assert response.status_code == 200
        assert response.context["school"] == world.school_a
        assert "grid" in response.context


def test_the_county_overview_filters_to_schools_below_the_rule(client, world):
    log(world, [world.class_a, world.class_a_other], day=datetime.date(2026, 10, 9), hours="2")
    official = world.users["official_a"]
    response = get(client, official, reverse("lessons:index") + "?start=2026-10&end=2026-10")
    assert [(r.school, r.met, r.classes) for r in response.context["rows"]] == [
        (world.school_a, 2, 2),
        (world.school_a2, 0, 1),
    ]
    response = get(
        client, official, reverse("lessons:index") + "?start=2026-10&end=2026-10&below=on"
    )
    assert [r.school for r in response.context["rows"]] == [world.school_a2]
    # a unit outside her county is 404 like a missing one
    response = get(client, official, reverse("lessons:index") + f"?unit={world.county_b.code}")
    assert response.status_code == 404
    # a city official drills into a county by its code
    response = get(
        client,
        world.users["official_province"],
        reverse("lessons:index") + f"?unit={world.county_b.code}",
    )
    assert [r.school for r in response.context["rows"]] == [world.school_b]


def test_bad_months_are_refused_next_to_the_field(client, world):
    response = get(client, world.users["official_a"], reverse("lessons:index") + "?start=2026-13")
    assert response.status_code == 400
    assert "start" in response.context["form"].errors


def test_pages_make_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    for index in range(15):
        klass = factories.SchoolClassFactory(
            school=world.school_a, school_year=world.class_a.school_year, name=f"七({index})班"
        )
        log(world, [klass], day=datetime.date(2026, 10, 9), hours="2")
        factories.SchoolFactory(parent=world.county_a, code=f"33010691{index:02d}")
    client.force_login(world.users["leader_a"])
    with django_assert_max_num_queries(14):
        assert client.get(school_url(world.school_a)).status_code == 200
    client.force_login(world.users["official_province"])
    with django_assert_max_num_queries(14):
        assert client.get(reverse("lessons:index") + MONTHS).status_code == 200


def test_city_and_province_officials_see_one_row_per_county(client, world):
    log(world, [world.class_a, world.class_a_other], day=datetime.date(2026, 10, 9), hours="2")
    official = world.users["official_province"]
    response = get(client, official, reverse("lessons:index") + "?start=2026-10&end=2026-10")
    rows = [
        (r.county, r.schools_below, r.schools, r.met, r.classes)
        for r in response.context["county_rows"]
    ]
    assert rows == [(world.county_b, 1, 1, 0, 1), (world.county_a, 1, 2, 2, 3)]
    below = get(client, official, reverse("lessons:index") + "?start=2026-10&end=2026-10&below=on")
    assert len(below.context["county_rows"]) == 2
