"""Family pages: the scope matrix of every page and endpoint (anonymous 302, roles without
family records 403, another class / school / county 404, allowed 200), the fast list with and
without htmx, audited views, errors in the user's language and query-count bounds."""

import datetime
import re

import pytest
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from django.utils import timezone

from crisis.families import services
from crisis.families.forms import FamilyContactForm
from crisis.models import ContactWay, FamilyContact, HomeVisit, KeyPeriod
from mhcare.audit.models import Action, AuditEvent
from mhcare.orgs.models import Disadvantage
from tests import factories
from tests.crisis.families.conftest import open_case

FORBIDDEN = ["subject_a", "official_a", "official_province", "admin"]


@pytest.fixture
def users(world, subject_a, homeroom_other):
    return {**world.users, "subject_a": subject_a, "homeroom_other": homeroom_other}


@pytest.fixture
def checklist_a(world, semester):
    """A key period of school A with its checklist: 张小明 (case, 八(1)班) and 留守 (处境不利,
    八(2)班)."""
    open_case(world.students["a"])
    other = factories.StudentFactory(
        klass=world.class_a_other, name="留守", disadvantages=[Disadvantage.LEFT_BEHIND]
    )
    today = timezone.localdate()
    period = services.key_period_create(
        actor=world.users["psych_a"],
        org_unit=world.school_a,
        semester=semester,
        name="开学前后",
        starts_on=today - datetime.timedelta(days=2),
        ends_on=today + datetime.timedelta(days=2),
    )
    lines = {line.student_id: line for line in HomeVisit.objects.filter(key_period=period)}
    return period, lines[world.students["a"].pk], lines[other.pk]


def contact_data(student, **overrides):
    data = {
        "contacted_on": timezone.localdate().isoformat(),
        "way": ContactWay.PHONE,
        "with_whom": "母亲",
        "topics": "近况",
    }
    data.update(overrides)
    return {f"s{student.pk}-{key}": value for key, value in data.items()}


def _get(client, user, url):
    if user is not None:
        client.force_login(user)
    return client.get(url)


# --- scope matrix: pages ----------------------------------------------------------------------


def _pages(world, checklist=None):
    pages = {
        "index": reverse("crisis:family_index"),
        "school": reverse("crisis:family_school", args=[world.school_a.pk]),
        "class": reverse("crisis:family_class", args=[world.class_a.pk]),
        "student": reverse("crisis:family_student", args=[world.students["a"].pk]),
        "key_periods": reverse("crisis:family_key_period_list"),
    }
    if checklist:
        period, line, _ = checklist
        pages["key_period"] = reverse("crisis:family_key_period", args=[period.pk])
        pages["checklist"] = reverse("crisis:family_checklist", args=[period.pk, world.school_a.pk])
        pages["visit"] = reverse("crisis:family_visit_mark", args=[line.pk])
    return pages


PAGE_NAMES = [
    "index",
    "school",
    "class",
    "student",
    "key_periods",
    "key_period",
    "checklist",
    "visit",
]


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_anonymous_is_sent_to_login(client, world, checklist_a, page):
    response = client.get(_pages(world, checklist_a)[page])
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("page", PAGE_NAMES)
@pytest.mark.parametrize("user_key", FORBIDDEN)
def test_roles_without_family_records_get_403_and_leave_no_trace(
    client, world, users, checklist_a, page, user_key
):
    client.force_login(users[user_key])
    before = AuditEvent.objects.count()
    assert _get(client, None, _pages(world, checklist_a)[page]).status_code == 403
    assert AuditEvent.objects.count() == before


# (page, user) → expected status; every page of school A's class 八(1)班 / student 张小明.
MATRIX = {
    "school": {
        "psych_a": 200,
        "leader_a": 200,
        "center_a": 200,
        "homeroom_a": 404,  # she sees her class, not the school
        "psych_b": 404,
        "center_b": 404,
    },
    "class": {
        "psych_a": 200,
        "leader_a": 200,
        "center_a": 200,
        "homeroom_a": 200,
        "homeroom_other": 404,
        "psych_b": 404,
        "center_b": 404,
    },
    "student": {
        "psych_a": 200,
        "leader_a": 200,
        "center_a": 200,
        "homeroom_a": 200,
        "homeroom_other": 404,
        "psych_b": 404,
        "center_b": 404,
    },
    "key_period": {
        "psych_a": 302,  # a school's period opens on its checklist
        "leader_a": 302,
        "center_a": 302,
        "homeroom_a": 302,
        "psych_b": 404,
        "center_b": 404,
    },
    "checklist": {
        "psych_a": 200,
        "leader_a": 200,
        "center_a": 200,
        "homeroom_a": 200,
        "homeroom_other": 200,
        "psych_b": 404,
        "center_b": 404,
    },
    "visit": {  # the line of 张小明 (八(1)班)
        "psych_a": 200,
        "leader_a": 200,
        "center_a": 200,
        "homeroom_a": 200,
        "homeroom_other": 404,
        "psych_b": 404,
        "center_b": 404,
    },
}


@pytest.mark.parametrize(
    ("page", "user_key", "status"),
    [(page, user, status) for page, row in MATRIX.items() for user, status in row.items()],
)
def test_scope_matrix(client, world, users, checklist_a, page, user_key, status):
    response = _get(client, users[user_key], _pages(world, checklist_a)[page])
    assert response.status_code == status


@pytest.mark.parametrize(
    ("user_key", "target"),
    [
        ("homeroom_a", reverse("crisis:family_class", args=[1])),
        ("psych_a", reverse("crisis:family_school", args=[1])),
    ],
)
def test_the_index_leads_to_the_class_or_the_school(client, world, semester, user_key, target):
    response = _get(client, world.users[user_key], reverse("crisis:family_index"))
    assert response.status_code == 302
    expected = (
        reverse("crisis:family_class", args=[world.class_a.pk])
        if user_key == "homeroom_a"
        else reverse("crisis:family_school", args=[world.school_a.pk])
    )
    assert response["Location"] == expected


def test_the_county_center_index_lists_its_schools(client, world, semester):
    response = _get(client, world.users["center_a"], reverse("crisis:family_index"))
    assert response.status_code == 200
    assert [row.label for row in response.context["school_rows"]] == ["西湖一中", "西湖二中"]


def test_the_key_period_list_is_open_to_family_roles(client, world, users, checklist_a):
    period = checklist_a[0]
    for key, visible in [
        ("homeroom_a", True),
        ("leader_a", True),
        ("center_a", True),
        ("psych_b", False),
        ("center_b", False),
    ]:
        client.force_login(users[key])
        response = client.get(reverse("crisis:family_key_period_list"))
        assert response.status_code == 200
        assert (period in response.context["periods"]) is visible, key
        assert (response.context["form"] is not None) is (
            key in {"center_a", "psych_b", "center_b"}
        )


def test_a_county_period_reaches_the_schools_and_the_homeroom_teacher(client, world, semester):
    today = timezone.localdate()
    period = services.key_period_create(
        actor=world.users["center_a"],
        org_unit=world.county_a,
        semester=semester,
        name="国庆前后",
        starts_on=today,
        ends_on=today,
    )
    client.force_login(world.users["homeroom_a"])
    assert period in client.get(reverse("crisis:family_key_period_list")).context["periods"]
    client.force_login(world.users["center_a"])
    response = client.get(reverse("crisis:family_key_period", args=[period.pk]))
    assert response.status_code == 200
    assert [row.label for row in response.context["rows"]] == ["西湖一中", "西湖二中"]
    client.force_login(world.users["psych_b"])
    assert client.get(reverse("crisis:family_key_period", args=[period.pk])).status_code == 404


# --- scope matrix: writes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_key", "status"),
    [
        ("subject_a", 403),
        ("official_a", 403),
        ("admin", 403),
        ("homeroom_other", 404),
        ("psych_b", 404),
        ("center_b", 404),
        ("homeroom_a", 302),
        ("psych_a", 302),
        ("leader_a", 302),
        ("center_a", 302),
    ],
)
def test_logging_a_contact_scope_matrix(client, world, users, semester, user_key, status):
    student = world.students["a"]
    client.force_login(users[user_key])
    url = reverse("crisis:family_contact_create", args=[world.class_a.pk, student.pk])
    response = client.post(url, contact_data(student))
    assert response.status_code == status
    assert FamilyContact.objects.count() == (1 if status == 302 else 0)


def test_logging_for_a_student_of_another_class_through_my_class_is_404(client, world, semester):
    student = world.students["a_other_class"]
    client.force_login(world.users["psych_a"])
    url = reverse("crisis:family_contact_create", args=[world.class_a.pk, student.pk])
    assert client.post(url, contact_data(student)).status_code == 404
    assert not FamilyContact.objects.exists()


def test_anonymous_cannot_log(client, world, semester):
    student = world.students["a"]
    url = reverse("crisis:family_contact_create", args=[world.class_a.pk, student.pk])
    assert client.post(url, contact_data(student)).status_code == 302
    assert not FamilyContact.objects.exists()


@pytest.mark.parametrize(
    ("user_key", "status"),
    [
        ("subject_a", 403),
        ("official_a", 403),
        ("admin", 403),
        ("homeroom_a", 403),
        ("leader_a", 403),
        ("psych_a", 302),
    ],
)
def test_defining_a_key_period_scope_matrix(client, world, users, semester, user_key, status):
    today = timezone.localdate()
    client.force_login(users[user_key])
    response = client.post(
        reverse("crisis:family_key_period_list"),
        {
            "name": "开学前后",
            "org_unit": world.school_a.pk,
            "semester": semester.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + datetime.timedelta(days=5)).isoformat(),
            "build_checklist": "on",
        },
    )
    assert response.status_code == status
    assert KeyPeriod.objects.count() == (1 if status == 302 else 0)


def test_a_psych_teacher_cannot_define_for_another_school(client, world, semester):
    today = timezone.localdate()
    client.force_login(world.users["psych_b"])
    response = client.post(
        reverse("crisis:family_key_period_list"),
        {
            "name": "开学前后",
            "org_unit": world.school_a.pk,
            "semester": semester.pk,
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
        },
    )
    assert response.status_code == 400
    assert "org_unit" in response.context["form"].errors
    assert not KeyPeriod.objects.exists()


@pytest.mark.parametrize(
    ("user_key", "status"),
    [
        ("subject_a", 403),
        ("official_a", 403),
        ("homeroom_a", 403),
        ("leader_a", 403),
        ("psych_b", 404),
        ("center_b", 404),
        ("psych_a", 302),
        ("center_a", 302),
    ],
)
def test_building_the_checklist_scope_matrix(client, world, users, checklist_a, user_key, status):
    period = checklist_a[0]
    factories.StudentFactory(klass=world.class_a, disadvantages=[Disadvantage.BULLIED])
    client.force_login(users[user_key])
    response = client.post(reverse("crisis:family_key_period_build", args=[period.pk]))
    assert response.status_code == status
    assert HomeVisit.objects.filter(key_period=period).count() == (3 if status == 302 else 2)


@pytest.mark.parametrize(
    ("user_key", "status"),
    [
        ("subject_a", 403),
        ("official_a", 403),
        ("homeroom_other", 404),
        ("psych_b", 404),
        ("center_b", 404),
        ("homeroom_a", 302),
        ("psych_a", 302),
    ],
)
def test_marking_a_visit_scope_matrix(client, world, users, checklist_a, user_key, status):
    line = checklist_a[1]
    client.force_login(users[user_key])
    response = client.post(
        reverse("crisis:family_visit_mark", args=[line.pk]),
        {"contacted_on": timezone.localdate().isoformat(), "with_whom": "父亲", "topics": "x"},
    )
    assert response.status_code == status
    line.refresh_from_db()
    assert (line.contact_id is not None) is (status == 302)


# --- the fast list ----------------------------------------------------------------------------


def test_the_fast_list_shows_every_student_with_the_semester_counts(client, world, semester):
    services.family_contact_log(
        actor=world.users["psych_a"],
        student=world.students["a"],
        contacted_on=timezone.localdate(),
        way=ContactWay.ONLINE,
        with_whom="母亲",
    )
    other = factories.StudentFactory(klass=world.class_a, name="钱小二")
    response = _get(
        client, world.users["homeroom_a"], reverse("crisis:family_class", args=[world.class_a.pk])
    )
    assert response.status_code == 200
    rows = {ctx["row"].student.name: ctx["row"] for ctx in response.context["rows"]}
    assert set(rows) == {"张小明", "钱小二"}
    assert (rows["张小明"].count, rows["张小明"].is_covered) == (1, False)
    assert {s.pk for s in response.context["missing"]} == {world.students["a"].pk, other.pk}
    html = response.content.decode()
    assert 'hx-post="' in html
    # the row form offers the primary guardian as "with whom"
    assert rows["张小明"].guardian is not None
    assert rows["张小明"].guardian.name in html


def test_htmx_saves_a_row_and_answers_the_row(client, world, semester):
    student = world.students["a"]
    client.force_login(world.users["homeroom_a"])
    url = reverse("crisis:family_contact_create", args=[world.class_a.pk, student.pk])
    response = client.post(url, contact_data(student), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<tr")
    assert 'data-state="saved"' in html
    assert 'data-covered="1"' in html
    contact = FamilyContact.objects.get()
    assert (contact.by, contact.way, contact.topics) == (world.users["homeroom_a"], "phone", "近况")


def test_htmx_answers_the_row_with_its_errors(client, world, semester):
    student = world.students["a"]
    client.force_login(world.users["homeroom_a"])
    url = reverse("crisis:family_contact_create", args=[world.class_a.pk, student.pk])
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        url, contact_data(student, contacted_on=tomorrow, with_whom=""), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="error"' in html
    assert str(services.FUTURE_DATE) in html
    assert str(services.WITH_WHOM_REQUIRED) in html
    assert "近况" in html  # nothing typed is lost
    assert not FamilyContact.objects.exists()


def test_without_htmx_an_error_renders_the_list_with_400(client, world, semester):
    student = world.students["a"]
    client.force_login(world.users["homeroom_a"])
    url = reverse("crisis:family_contact_create", args=[world.class_a.pk, student.pk])
    response = client.post(url, contact_data(student, contacted_on="2018-07-20"))
    assert response.status_code == 400
    assert "No semester contains" in response.content.decode()
    assert not FamilyContact.objects.exists()


@pytest.mark.zh
def test_errors_are_shown_in_the_users_language(client, world, semester):
    student = world.students["a"]
    client.force_login(world.users["homeroom_a"])
    url = reverse("crisis:family_contact_create", args=[world.class_a.pk, student.pk])
    response = client.post(
        url,
        contact_data(student, contacted_on="2026-13-45"),
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "输入一个有效的日期" in response.content.decode()


def test_a_visit_logged_in_the_fast_list_ticks_the_checklist(client, world, checklist_a):
    _, line, _ = checklist_a
    student = world.students["a"]
    client.force_login(world.users["homeroom_a"])
    url = reverse("crisis:family_contact_create", args=[world.class_a.pk, student.pk])
    client.post(url, contact_data(student, way=ContactWay.VISIT), HTTP_HX_REQUEST="true")
    line.refresh_from_db()
    assert line.contact is not None
    response = client.get(
        reverse("crisis:family_checklist", args=[line.key_period_id, world.school_a.pk])
    )
    coverage = response.context["coverage"]
    assert (coverage.enrolled, coverage.covered) == (1, 1)  # her class's line only


def test_reading_a_students_contacts_is_audited(client, world, semester):
    student = world.students["a"]
    services.family_contact_log(
        actor=world.users["psych_a"],
        student=student,
        contacted_on=timezone.localdate(),
        way=ContactWay.PHONE,
        with_whom="父亲",
        topics="睡眠不好",
    )
    response = _get(
        client, world.users["homeroom_a"], reverse("crisis:family_student", args=[student.pk])
    )
    assert "睡眠不好" in response.content.decode()
    event = AuditEvent.objects.filter(action=Action.VIEW).latest("id")
    assert event.student_id == student.pk
    assert event.actor == world.users["homeroom_a"]


def test_the_checklist_page_shows_visited_and_not_yet(client, world, checklist_a):
    period, line, other_line = checklist_a
    services.home_visit_mark(
        actor=world.users["psych_a"],
        visit=other_line,
        visited_on=timezone.localdate(),
        with_whom="祖母",
    )
    response = _get(
        client,
        world.users["psych_a"],
        reverse("crisis:family_checklist", args=[period.pk, world.school_a.pk]),
    )
    coverage = response.context["coverage"]
    assert (coverage.enrolled, coverage.covered, coverage.percent) == (2, 1, 50.0)
    html = response.content.decode()
    assert html.count('data-testid="visited"') == 1
    assert html.count('data-testid="mark-visit"') == 1


# --- query counts -----------------------------------------------------------------------------


def _many(world, n):
    students = [factories.StudentFactory(klass=world.class_a) for _ in range(n)]
    for student in students:
        factories.GuardianFactory(student=student)
        services.family_contact_log(
            actor=world.users["psych_a"],
            student=student,
            contacted_on=timezone.localdate(),
            way=ContactWay.PHONE,
            with_whom="母亲",
        )
    return students


@pytest.mark.parametrize("n", [3, 30])
def test_the_fast_list_query_count_does_not_grow_with_the_class(
    client, world, semester, django_assert_max_num_queries, n
):
    _many(world, n)
    client.force_login(world.users["homeroom_a"])
    url = reverse("crisis:family_class", args=[world.class_a.pk])
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert len(response.context["rows"]) == n + 1


@pytest.mark.parametrize("n", [3, 30])
def test_coverage_pages_query_counts(client, world, semester, django_assert_max_num_queries, n):
    _many(world, n)
    client.force_login(world.users["center_a"])
    with django_assert_max_num_queries(15):
        assert client.get(reverse("crisis:family_index")).status_code == 200
    with django_assert_max_num_queries(15):
        assert (
            client.get(reverse("crisis:family_school", args=[world.school_a.pk])).status_code == 200
        )
    with django_assert_max_num_queries(15):
        assert (
            client.get(reverse("crisis:family_student", args=[world.students["a"].pk])).status_code
            == 200
        )


@pytest.mark.parametrize("n", [3, 30])
def test_key_period_pages_query_counts(client, world, semester, django_assert_max_num_queries, n):
    students = [
        factories.StudentFactory(klass=world.class_a, disadvantages=[Disadvantage.ECONOMIC])
        for _ in range(n)
    ]
    today = timezone.localdate()
    period = services.key_period_create(
        actor=world.users["psych_a"],
        org_unit=world.school_a,
        semester=semester,
        name="开学前后",
        starts_on=today,
        ends_on=today,
    )
    for student in students[: n // 2]:
        services.family_contact_log(
            actor=world.users["homeroom_a"],
            student=student,
            contacted_on=today,
            way=ContactWay.VISIT,
            with_whom="母亲",
        )
    client.force_login(world.users["psych_a"])
    with django_assert_max_num_queries(15):
        assert client.get(reverse("crisis:family_key_period_list")).status_code == 200
    with django_assert_max_num_queries(15):
        response = client.get(
            reverse("crisis:family_checklist", args=[period.pk, world.school_a.pk])
        )
    assert response.context["coverage"].covered == n // 2


def test_the_same_form_sent_twice_stores_one_contact(client, world, semester):
    """A double Enter (or a resend) posts the same form twice: one contact, both answers saved."""
    student = world.students["a"]
    client.force_login(world.users["homeroom_a"])
    url = reverse("crisis:family_contact_create", args=[world.class_a.pk, student.pk])
    page = client.get(reverse("crisis:family_class", args=[world.class_a.pk])).content.decode()
    # Each row's form carries its own student id and its own token.
    assert f'name="s{student.pk}-student" value="{student.pk}"' in page
    assert page.count(f'name="s{student.pk}-token"') == 1
    token = "7b0e4f8e-8a55-4a2f-9d7e-3c1f2b6a9d10"
    data = {**contact_data(student, token=token), f"s{student.pk}-student": student.pk}
    first = client.post(url, data, HTTP_HX_REQUEST="true")
    second = client.post(url, data, HTTP_HX_REQUEST="true")
    assert first.status_code == second.status_code == 200
    assert 'data-state="saved"' in second.content.decode()
    assert FamilyContact.objects.filter(student=student).count() == 1
    assert AuditEvent.objects.filter(action=Action.CREATE, student=student).count() == 1
    # A new form (a new token) is a new contact.
    again = contact_data(student, token="0d4bbf7c-9f0a-4d55-8a43-2a1b0f4e8e21")
    assert client.post(url, again, HTTP_HX_REQUEST="true").status_code == 200
    assert FamilyContact.objects.filter(student=student).count() == 2


def test_a_row_naming_another_student_saves_nothing(client, world, semester):
    student = world.students["a"]
    other = factories.StudentFactory(klass=world.class_a)
    client.force_login(world.users["homeroom_a"])
    url = reverse("crisis:family_contact_create", args=[world.class_a.pk, student.pk])
    data = {**contact_data(student), f"s{student.pk}-student": other.pk}
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert 'data-state="error"' in response.content.decode()
    assert "another student" in response.content.decode()
    assert not FamilyContact.objects.exists()


# session, user, role assignments with the user's shares (one query: scope.prime), the class, the
# semester, students, guardians, contact counts, unread notifications, the school year (the
# semester's label)
FAST_LIST_QUERIES = 10


@pytest.mark.parametrize("n", [5, 40])
def test_the_fast_list_query_count_is_fixed(client, world, semester, django_assert_num_queries, n):
    """Exactly the same queries for a class of 6 and of 41 (students, guardians, contacts: one
    query each), whatever the rows hold."""
    _many(world, n)
    client.force_login(world.users["homeroom_a"])
    url = reverse("crisis:family_class", args=[world.class_a.pk])
    client.get(url)
    with django_assert_num_queries(FAST_LIST_QUERIES):
        response = client.get(url)
    assert len(response.context["rows"]) == n + 1


_TOKENS = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"
    r'(?<=csrfmiddlewaretoken" value=")[^"]+|(?<="X-CSRFToken": ")[^"]+'
)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_fast_list_html_is_the_one_djangos_widget_templates_write(
    client, world, semester, monkeypatch, language
):
    """The rows' widgets are written in Python (``QuickWidgetRenderer``, the site's renderer):
    the page, a row answered with its errors and the list answered with 400 are the characters
    Django's own widget templates give (the row tokens and CSRF tokens aside, which are new at
    each render)."""
    _many(world, 4)
    student = world.students["a"]
    client.force_login(world.users["homeroom_a"])
    page = reverse("crisis:family_class", args=[world.class_a.pk])
    post = reverse("crisis:family_contact_create", args=[world.class_a.pk, student.pk])
    bad = contact_data(student, contacted_on="2026-13-45", way="pigeon", with_whom="", topics="<b>")
    headers = {"HTTP_ACCEPT_LANGUAGE": language}

    def answers():
        return [
            client.get(page, **headers),
            client.post(post, bad, HTTP_HX_REQUEST="true", **headers),
            client.post(post, bad, **headers),
        ]

    quick = answers()
    monkeypatch.setattr(FamilyContactForm, "default_renderer", DjangoTemplates())
    stock = answers()
    assert [r.status_code for r in quick] == [r.status_code for r in stock] == [200, 200, 400]
    for mine, django_s in zip(quick, stock, strict=True):
        assert _TOKENS.sub("T", mine.content.decode()) == _TOKENS.sub(
            "T", django_s.content.decode()
        )
    html = quick[0].content.decode()
    assert html.count('data-testid="family-row"') == 5
    assert html.count('<input type="date"') == html.count("<select name=") == 5
    assert 'aria-invalid="true"' in quick[1].content.decode()


def test_the_fast_list_does_not_decrypt_the_guardians_phones(client, world, semester):
    """A row shows the guardian's relation and name ("with whom"), never the phone: it is not
    loaded (each phone read is a decryption), and reading the rows costs no query per row."""
    _many(world, 3)
    client.force_login(world.users["homeroom_a"])
    response = client.get(reverse("crisis:family_class", args=[world.class_a.pk]))
    guardians = [ctx["row"].guardian for ctx in response.context["rows"]]
    assert len([g for g in guardians if g is not None]) >= 3
    for guardian in guardians:
        if guardian is not None:
            assert "phone" in guardian.get_deferred_fields()
            assert guardian.name in response.content.decode()
