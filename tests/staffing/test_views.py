"""Staffing pages: the scope matrix (anonymous, wrong role, another school / county, allowed,
a user with two roles in two units), what each reader sees, the writes and the query bounds."""

import datetime

import pytest
from django.urls import reverse

from mhcare.accounts.models import Role, RoleAssignment
from staffing.models import MHTeacher, PostKind
from staffing.teachers.rule import Status
from tests.conftest import login

pytestmark = pytest.mark.django_db
COUNTY = reverse("staffing:county")


def provision(code):
    return reverse("staffing:provision", args=[code])


def post(world, school, name="林晓", kind=PostKind.FULLTIME, end=None):
    return MHTeacher.objects.create(
        school=school, name=name, kind=kind, start_date=datetime.date(2024, 9, 1), end_date=end
    )


def test_anonymous_is_sent_to_login(client, world):
    for url in (COUNTY, provision(world.school_a.code), reverse("staffing:teacher_template")):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["homeroom_a", "admin"])
def test_roles_that_never_read_staffing_get_403(client, world, who):
    login(client, world.users[who])
    assert client.get(COUNTY).status_code == 403
    assert client.get(provision(world.school_a.code)).status_code == 403


def test_county_page_lists_the_county_schools_with_status_and_reason(client, world):
    post(world, world.school_a)
    login(client, world.users["center_a"])
    response = client.get(COUNTY, {"on": "2025-09-01"})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.code, r.status) for r in rows] == [
        (world.school_a.code, Status.COMPLIANT),
        (world.school_a2.code, Status.NON_COMPLIANT),
    ]
    assert rows[1].reason in response.content.decode()


def test_county_page_filters_to_the_non_compliant(client, world):
    post(world, world.school_a)
    login(client, world.users["official_a"])
    response = client.get(COUNTY, {"on": "2025-09-01", "status": Status.NON_COMPLIANT})
    assert [r.code for r in response.context["rows"]] == [world.school_a2.code]
    assert response.context["counts"] == {"compliant": 1, "non_compliant": 1, "not_yet_due": 0}


def test_another_county_is_404(client, world):
    login(client, world.users["center_a"])
    assert client.get(COUNTY, {"unit": world.county_b.code}).status_code == 404
    assert client.get(COUNTY, {"unit": "nonexistent"}).status_code == 404
    assert client.get(provision(world.school_b.code)).status_code == 404


def test_province_official_sees_every_county(client, world):
    login(client, world.users["official_province"])
    response = client.get(COUNTY)
    assert len(response.context["rows"]) == 3
    response = client.get(COUNTY, {"unit": world.county_b.code})
    assert [r.code for r in response.context["rows"]] == [world.school_b.code]


def test_a_school_reader_is_sent_to_the_school_page(client, world):
    login(client, world.users["psych_a"])
    response = client.get(COUNTY)
    assert response.status_code == 302
    assert response["Location"] == provision(world.school_a.code)


def test_provision_page_for_the_school_and_the_county_center_shows_names(client, world):
    post(world, world.school_a)
    for who in ("psych_a", "leader_a", "center_a"):
        client.logout()
        login(client, world.users[who])
        response = client.get(provision(world.school_a.code))
        assert response.status_code == 200
        assert "林晓" in response.content.decode()
    assert response.context["may_write"] is False  # the center reads only
    assert "teacher-add-form" not in response.content.decode()


def test_the_bureau_sees_the_numbers_without_the_names(client, world):
    post(world, world.school_a)
    login(client, world.users["official_a"])
    response = client.get(provision(world.school_a.code))
    assert response.status_code == 200
    page = response.content.decode()
    assert "林晓" not in page
    assert response.context["p"].status.fulltime_teachers == 1


def test_another_school_is_404(client, world):
    login(client, world.users["psych_b"])
    assert client.get(provision(world.school_a.code)).status_code == 404
    assert client.get(provision(world.county_b.code)).status_code == 404  # not a school


def test_two_role_user_reads_and_writes_each_school_by_its_role(client, world, two_role_user):
    login(client, two_role_user)
    assert client.get(provision(world.school_a.code)).status_code == 200
    assert client.get(provision(world.school_b.code)).status_code == 200
    assert client.get(provision(world.school_a2.code)).status_code == 404
    data = {"name": "周敏", "kind": "fulltime", "start_date": "2024-09-01"}
    for school in (world.school_a, world.school_b):
        url = reverse("staffing:teacher_add", args=[school.code])
        assert client.post(url, data).status_code == 302
    url = reverse("staffing:teacher_add", args=[world.school_a2.code])
    assert client.post(url, data).status_code == 404
    assert MHTeacher.objects.count() == 2


def test_a_reader_who_writes_elsewhere_gets_403_on_a_school_they_only_read(client, world):
    user = world.users["psych_a"]
    RoleAssignment.objects.create(user=user, role=Role.OFFICIAL, org_unit=world.county_a)
    login(client, user)
    assert client.get(provision(world.school_a2.code)).status_code == 200
    url = reverse("staffing:teacher_add", args=[world.school_a2.code])
    response = client.post(url, {"name": "x", "kind": "fulltime", "start_date": "2024-09-01"})
    assert response.status_code == 403
    assert not MHTeacher.objects.exists()


def test_add_and_end_a_post_through_the_page(client, world):
    login(client, world.users["leader_a"])
    url = reverse("staffing:teacher_add", args=[world.school_a.code])
    response = client.post(
        url,
        {"name": "林晓", "kind": "fulltime", "start_date": "2024-09-01", "certificate_level": "B"},
    )
    assert response.status_code == 302
    teacher = MHTeacher.objects.get()
    assert (teacher.certificate_level, teacher.created_by) == ("B", world.users["leader_a"])
    response = client.post(url, {"name": "", "kind": "", "start_date": ""})
    assert response.status_code == 400
    end = reverse("staffing:teacher_end", args=[teacher.pk])
    assert client.post(end, {"end_date": "2025-08-31"}).status_code == 302
    teacher.refresh_from_db()
    assert teacher.end_date == datetime.date(2025, 8, 31)


def test_ending_a_post_of_another_school_is_404(client, world):
    teacher = post(world, world.school_b)
    login(client, world.users["psych_a"])
    end = reverse("staffing:teacher_end", args=[teacher.pk])
    assert client.post(end, {"end_date": "2025-08-31"}).status_code == 404
    login(client, world.users["center_a"])
    assert client.post(end, {"end_date": "2025-08-31"}).status_code == 403
    teacher.refresh_from_db()
    assert teacher.end_date is None


def test_import_page_shows_every_error_and_stores_nothing(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, world.users["psych_a"])
    url = reverse("staffing:teacher_import", args=[world.school_a.code])
    assert client.get(url).status_code == 200
    bad = SimpleUploadedFile("t.csv", "姓名,岗位类型,任职日期\n林晓,全职,2024-09-01\n".encode())
    response = client.post(url, {"file": bad})
    assert response.status_code == 400
    assert [e.row for e in response.context["errors"]] == [2]
    assert not MHTeacher.objects.exists()
    good = SimpleUploadedFile("t.csv", "姓名,岗位类型,任职日期\n林晓,专职,2024-09-01\n".encode())
    assert client.post(url, {"file": good}).status_code == 302
    assert MHTeacher.objects.get().kind == "fulltime"
    login(client, world.users["psych_b"])
    assert client.get(url).status_code == 404
    login(client, world.users["official_a"])
    assert client.get(url).status_code == 403


def test_template_download(client, world):
    login(client, world.users["psych_a"])
    response = client.get(reverse("staffing:teacher_template"))
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_county_page_queries_do_not_grow_with_schools(client, world, django_assert_max_num_queries):
    from tests import factories

    for i in range(20):
        school = factories.SchoolFactory(parent=world.county_a, code=f"33010690{i:02d}")
        post(world, school)
    login(client, world.users["official_province"])
    with django_assert_max_num_queries(22):  # constant: 21 with 3 or 23 schools
        response = client.get(COUNTY)
    assert len(response.context["rows"]) == 23


def test_provision_page_query_bound(client, world, django_assert_max_num_queries):
    for i in range(10):
        post(world, world.school_a, name=f"教师{i}")
    login(client, world.users["psych_a"])
    # + the lesson section (semester, schools, one grouped statement): constant in the rows
    with django_assert_max_num_queries(24):
        response = client.get(provision(world.school_a.code))
    assert len(response.context["p"].teachers) == 10


def test_groups_and_budget_through_the_page(client, world):
    from decimal import Decimal

    from staffing.models import Budget, LeadingGroup

    login(client, world.users["psych_a"])
    url = reverse("staffing:group_add", args=[world.school_a.code])
    data = {
        "kind": "leading",
        "established_on": "2024-09-01",
        "responsible_leader": "副校长",
        "members": "张校长，组长\n林晓, 成员\n",
    }
    assert client.post(url, data).status_code == 302
    group = LeadingGroup.objects.get()
    assert [(m.name, m.role) for m in group.members.all()] == [("张校长", "组长"), ("林晓", "成员")]
    response = client.post(url, {**data, "members": "只有名字"})
    assert response.status_code == 400
    assert response.context["group_form"].errors["members"] == [
        "Line 1: write the name and the role, separated by a comma."
    ]
    budget = reverse("staffing:budget_add", args=[world.school_a.code])
    assert client.post(budget, {"year": 2026, "amount": "30000"}).status_code == 302
    assert Budget.objects.get().amount == Decimal(30000)
    login(client, world.users["center_a"])
    assert client.post(budget, {"year": 2026, "amount": "1"}).status_code == 403
    login(client, world.users["psych_b"])
    assert client.post(budget, {"year": 2026, "amount": "1"}).status_code == 404
    assert Budget.objects.get().amount == Decimal(30000)


def test_training_through_the_page_links_the_mh_teacher(client, world):
    from staffing.models import TrainingParticipant

    teacher = post(world, world.school_a)
    login(client, world.users["leader_a"])
    url = reverse("staffing:training_add", args=[world.school_a.code])
    data = {
        "kind": "routine",
        "title": "校本培训",
        "held_on": "2026-10-15",
        "hours": "2",
        "includes_mh_content": "on",
        "participants": "林晓\n王老师，班主任\n",
    }
    assert client.post(url, data).status_code == 302
    rows = TrainingParticipant.objects.order_by("id")
    assert [(p.name, p.is_homeroom_teacher, p.teacher_id) for p in rows] == [
        ("林晓", False, teacher.pk),
        ("王老师", True, None),
    ]
    assert client.post(url, {**data, "participants": "\n"}).status_code == 400
    login(client, world.users["official_a"])
    assert client.post(url, data).status_code == 403
    assert TrainingParticipant.objects.count() == 2
