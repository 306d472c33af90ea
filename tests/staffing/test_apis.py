"""/api/v1/staffing/: the per-school status rows (exact fields, same numbers as the page), the
writes, and the scope matrix."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from staffing.models import GroupKind, LeadingGroup, MHTeacher, PostKind, TrainingEvent
from staffing.teachers import rule
from staffing.teachers.rule import Status
from tests.staffing.conftest import add_students

pytestmark = pytest.mark.django_db
SCHOOLS = reverse("api-staffing-schools")
TEACHERS = reverse("api-staffing-teacher-create")
GROUPS = reverse("api-staffing-group-create")
TRAINING = reverse("api-staffing-training-create")
FIELDS = [
    "code",
    "students",
    "campuses",
    "stage",
    "required",
    "fulltime_teachers",
    "status",
    "reason",
]


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_anonymous_and_wrong_roles_are_refused(world):
    assert api().get(SCHOOLS).status_code in (401, 403)
    assert api().post(TEACHERS, {}, format="json").status_code in (401, 403)
    for who in ("homeroom_a", "admin"):
        assert api(world.users[who]).get(SCHOOLS).status_code == 403
    for who in ("center_a", "official_a", "homeroom_a"):
        assert api(world.users[who]).post(TEACHERS, {}, format="json").status_code == 403
    assert api(world.users["psych_a"]).post(TRAINING, {}, format="json").status_code == 400


def test_schools_rows_have_exactly_the_issue_fields(world):
    MHTeacher.objects.create(
        school=world.school_a,
        name="林晓",
        kind=PostKind.FULLTIME,
        start_date=datetime.date(2024, 9, 1),
    )
    world.school_a2.campus_count = 2
    world.school_a2.save()
    add_students(world.class_a2, 3)
    response = api(world.users["official_a"]).get(
        SCHOOLS, {"unit": world.county_a.code, "on": "2025-08-31"}
    )
    assert response.status_code == 200
    rows = response.json()
    assert [list(r) for r in rows] == [FIELDS, FIELDS]
    expected = rule.school_staffing(unit=world.county_a, on=datetime.date(2025, 8, 31))
    assert rows == [
        {
            "code": r.code,
            "students": r.students,
            "campuses": r.campuses,
            "stage": r.stage,
            "required": r.required,
            "fulltime_teachers": r.fulltime_teachers,
            "status": r.status,
            "reason": r.reason,
        }
        for r in expected
    ]
    assert [(r["code"], r["students"], r["required"], r["status"]) for r in rows] == [
        (world.school_a.code, 2, False, Status.NOT_YET_DUE),
        (world.school_a2.code, 4, True, Status.NON_COMPLIANT),
    ]


def test_schools_filter_by_status_and_default_unit(world):
    client = api(world.users["official_province"])
    rows = client.get(SCHOOLS, {"on": "2025-09-01", "status": "non_compliant"}).json()
    assert len(rows) == 3
    assert client.get(SCHOOLS, {"on": "2025-9-1x"}).status_code == 400


def test_schools_of_another_county_are_404(world):
    client = api(world.users["center_a"])
    assert client.get(SCHOOLS, {"unit": world.county_b.code}).status_code == 404
    assert client.get(SCHOOLS, {"unit": "no-such"}).status_code == 404
    assert client.get(SCHOOLS, {"unit": world.school_b.code}).status_code == 404


def test_two_role_user_sees_both_schools_only(world, two_role_user):
    client = api(two_role_user)
    assert [r["code"] for r in client.get(SCHOOLS, {"unit": world.school_b.code}).json()] == [
        world.school_b.code
    ]
    assert client.get(SCHOOLS, {"unit": world.county_a.code}).status_code == 404


def test_schools_query_bound(world, django_assert_max_num_queries):
    from tests import factories

    for i in range(30):
        factories.SchoolFactory(parent=world.county_a, code=f"33010670{i:02d}")
    client = api(world.users["official_province"])
    with django_assert_max_num_queries(8):
        rows = client.get(SCHOOLS).json()
    assert len(rows) == 33


def test_teacher_create_and_end(world):
    client = api(world.users["psych_a"])
    response = client.post(
        TEACHERS,
        {
            "school": world.school_a.code,
            "name": "林晓",
            "kind": "fulltime",
            "start_date": "2024-09-01",
        },
        format="json",
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    end = reverse("api-staffing-teacher-end", args=[pk])
    assert client.post(end, {"end_date": "2024-08-01"}, format="json").status_code == 400
    response = client.post(end, {"end_date": "2025-08-31"}, format="json")
    assert (response.status_code, response.json()["end_date"]) == (200, "2025-08-31")
    assert (
        api(world.users["psych_b"]).post(end, {"end_date": "2025-09-01"}, format="json").status_code
        == 404
    )


def test_teacher_create_outside_scope_reads_as_unknown(world):
    client = api(world.users["psych_a"])
    payload = {"name": "x", "kind": "fulltime", "start_date": "2024-09-01"}
    response = client.post(TEACHERS, {**payload, "school": world.school_b.code}, format="json")
    assert response.status_code == 400
    assert response.json() == {"school": ["Unknown school."]}
    response = client.post(TEACHERS, {**payload, "school": "nope"}, format="json")
    assert response.json() == {"school": ["Unknown school."]}
    assert not MHTeacher.objects.exists()


def test_group_create(world):
    response = api(world.users["leader_a"]).post(
        GROUPS,
        {
            "school": world.school_a.code,
            "kind": "crisis",
            "established_on": "2024-09-01",
            "responsible_leader": "校长",
            "members": [{"name": "校长", "role": "组长"}, {"name": "林晓", "role": "成员"}],
        },
        format="json",
    )
    assert response.status_code == 201
    assert [m["name"] for m in response.json()["members"]] == ["校长", "林晓"]
    assert LeadingGroup.objects.get().kind == GroupKind.CRISIS
    response = api(world.users["leader_a"]).post(
        GROUPS,
        {
            "school": world.school_a.code,
            "kind": "leading",
            "established_on": "2024-09-01",
            "responsible_leader": "校长",
            "members": [],
        },
        format="json",
    )
    assert response.status_code == 400


def test_training_create_by_the_county_and_refused_outside(world):
    payload = {
        "unit": world.county_a.code,
        "kind": "in_service",
        "title": "班主任培训",
        "held_on": "2026-10-01",
        "participants": [
            {"name": "王老师", "school": world.school_a.code, "is_homeroom_teacher": True},
            {"name": "李老师", "school": world.school_a2.code},
        ],
    }
    response = api(world.users["official_a"]).post(TRAINING, payload, format="json")
    assert response.status_code == 201
    assert response.json()["participant_count"] == 2
    other = {**payload, "participants": [{"name": "赵", "school": world.school_b.code}]}
    response = api(world.users["official_a"]).post(TRAINING, other, format="json")
    assert response.status_code == 400
    response = api(world.users["psych_a"]).post(TRAINING, payload, format="json")
    assert (response.status_code, response.json()) == (400, {"unit": ["Unknown unit."]})
    school_payload = {
        **payload,
        "unit": world.school_a.code,
        "participants": payload["participants"][:1],
    }
    response = api(world.users["official_a"]).post(TRAINING, school_payload, format="json")
    assert response.status_code == 403  # the bureau reads the school but does not write for it
    response = api(world.users["psych_a"]).post(TRAINING, school_payload, format="json")
    assert response.status_code == 201
    assert TrainingEvent.objects.count() == 2


def test_openapi_schema_lists_the_staffing_endpoints(world):
    response = api(world.users["psych_a"]).get(reverse("api-schema"), {"format": "json"})
    paths = response.json()["paths"]
    for path in (
        "/api/v1/staffing/schools/",
        "/api/v1/staffing/teachers/",
        "/api/v1/staffing/groups/",
        "/api/v1/staffing/training/",
    ):
        assert path in paths
    fields = paths["/api/v1/staffing/schools/"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    assert fields["type"] == "array"


def test_teacher_update_changes_qualifications(world):
    teacher = MHTeacher.objects.create(
        school=world.school_a,
        name="林晓",
        kind=PostKind.FULLTIME,
        start_date=datetime.date(2024, 9, 1),
    )
    url = reverse("api-staffing-teacher-update", args=[teacher.pk])
    payload = {"certificate_level": "A", "certificate_date": "2025-06-30"}
    response = api(world.users["leader_a"]).patch(url, payload, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["certificate_level"] == "A"
    bad = {"certificate_level": "", "certificate_date": "2025-06-30"}
    assert api(world.users["leader_a"]).patch(url, bad, format="json").status_code == 400
    assert api(world.users["psych_b"]).patch(url, payload, format="json").status_code == 404
    assert api(world.users["center_a"]).patch(url, payload, format="json").status_code == 403
    teacher.refresh_from_db()
    assert (teacher.certificate_level, teacher.certificate_date) == (
        "A",
        datetime.date(2025, 6, 30),
    )
