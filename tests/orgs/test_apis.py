from django.urls import reverse
from rest_framework.test import APIClient

from mhcare.accounts import tokens
from mhcare.audit.models import Action, AuditEvent
from tests import factories


def api(user=None, token=False):
    client = APIClient()
    if user is not None and token:
        _token, key = tokens.token_create(actor=user, name="test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    elif user is not None:
        client.force_login(user)
    return client


def names(response):
    return {row["name"] for row in response.json()["results"]}


def test_student_list_with_session_is_scoped_and_masked(world, django_assert_max_num_queries):
    client = api(world.users["psych_a"])
    # session, user, grants, one page of students, session save, and the audit event (savepoint,
    # the actor's roles, insert, release); constant in the row count
    with django_assert_max_num_queries(12):
        response = client.get(reverse("api-student-list"))
    assert response.status_code == 200
    assert names(response) == {"张小明", "李小红"}
    row = next(r for r in response.json()["results"] if r["name"] == "张小明")
    student = world.students["a"]
    assert row["student_number_masked"] == student.masked_student_number
    assert student.student_number not in response.content.decode()
    assert row["school_code"] == world.school_a.code


def test_student_list_with_token(world):
    response = api(world.users["center_a"], token=True).get(reverse("api-student-list"))
    assert response.status_code == 200
    assert names(response) == {"张小明", "李小红", "王小刚"}


def test_student_list_filters(world):
    client = api(world.users["center_a"], token=True)
    url = reverse("api-student-list")
    assert names(client.get(url, {"school": world.school_a2.code})) == {"王小刚"}
    assert names(client.get(url, {"klass": world.class_a_other.pk})) == {"李小红"}
    assert names(client.get(url, {"grade": 9})) == set()
    # a filter cannot reach outside the scope
    assert names(client.get(url, {"school": world.school_b.code})) == set()


def test_student_list_uses_cursor_pagination(world):
    for _ in range(7):
        factories.StudentFactory(klass=world.class_a)
    client = api(world.users["psych_a"])
    first = client.get(reverse("api-student-list"), {"page_size": 5}).json()
    assert len(first["results"]) == 5
    assert "cursor=" in first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 4
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == sorted(ids)


def test_student_detail_is_audited_and_404_out_of_scope(world):
    client = api(world.users["psych_a"], token=True)
    own = client.get(reverse("api-student-detail", args=[world.students["a"].pk]))
    assert own.status_code == 200
    assert own.json()["name"] == "张小明"
    assert AuditEvent.objects.filter(action=Action.VIEW, student=world.students["a"]).count() == 1
    other = client.get(reverse("api-student-detail", args=[world.students["b"].pk]))
    missing = client.get(reverse("api-student-detail", args=[999_999_999]))
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert AuditEvent.objects.filter(action=Action.VIEW).count() == 1


def test_officials_and_anonymous_are_refused(world):
    url = reverse("api-student-list")
    assert api().get(url).status_code in (401, 403)
    assert api(world.users["official_a"], token=True).get(url).status_code == 403
    detail = reverse("api-student-detail", args=[world.students["a"].pk])
    assert api(world.users["official_province"]).get(detail).status_code == 403
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()


def test_openapi_schema_renders(world):
    client = api(world.users["psych_a"])
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/students/" in paths
    assert "/api/v1/students/{id}/" in paths


# --- api: the students list without a serializer (issue 14, bench 7) ---


def test_student_list_json_is_the_serializers_json(world):
    """The list builds its JSON from ``values()`` rows (``student_rows``): the same keys, order,
    values and masking as ``StudentSerializer`` over the same students."""
    from mhcare.orgs.models import Student
    from mhcare.orgs.serializers import StudentSerializer

    factories.StudentFactory(
        klass=world.class_a,
        name="钱小军",
        gender="M",
        student_number="G33010620120501",
        disadvantages=["left_behind", "economic"],
        status="suspended",
    )
    factories.StudentFactory(klass=world.class_a2, student_number="1234567")  # masked whole
    client = api(world.users["center_a"], token=True)
    response = client.get(reverse("api-student-list"), {"page_size": 500})
    assert response.status_code == 200
    body = response.json()
    students = Student.objects.filter(county=world.county_a).order_by("id")
    assert body["results"] == StudentSerializer(students, many=True).data
    assert [list(row) for row in body["results"]] == [
        list(row) for row in StudentSerializer(students, many=True).data
    ]
    assert len(body["results"]) == 5
    raw = response.content.decode()
    assert "G33010620120501" not in raw
    assert "1234567" not in raw
    assert body["results"][-2]["disadvantages"] == ["left_behind", "economic"]
    # the filters and the cursor still apply to the rows
    first = client.get(reverse("api-student-list"), {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert ids == list(students.values_list("id", flat=True)[:4])
    klass = client.get(reverse("api-student-list"), {"klass": world.class_a_other.pk}).json()
    assert [row["name"] for row in klass["results"]] == ["李小红"]
    # a filter the form refuses is still refused (the form is skipped only when none is asked)
    assert client.get(reverse("api-student-list"), {"grade": "nine"}).status_code == 400


def test_student_list_with_token_makes_three_queries(world, django_assert_num_queries):
    """With a token: the token (its user joined, the caller's grants and shares read in the same
    query), the page, the audit event (one INSERT, committed on its own). Constant in the page
    size; a change that adds a query per request to the API's hot path fails here."""
    for _ in range(60):
        factories.StudentFactory(klass=world.class_a2)
    client = api(world.users["center_a"], token=True)
    url = reverse("api-student-list")
    client.get(url)  # stamps the token's "last used" (at most once a minute)
    for page_size in (5, 50):
        before = AuditEvent.objects.filter(action=Action.VIEW).count()
        with django_assert_num_queries(3):
            response = client.get(url, {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        assert AuditEvent.objects.filter(action=Action.VIEW).count() == before + 1
