"""Scope matrix for the student pages and API: anonymous, another school, another county,
wrong role, allowed. Denied cases answer 302-to-login / 401 / 403 / 404 and leave no audit VIEW row.

Convention (documented in ``mhcare/orgs/views.py``): a role that never sees students gets 403 on
every student URL; a student outside the actor's scope gets 404, like a missing one."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from mhcare.audit.models import Action, AuditEvent

# (user key or None for anonymous, expected status) for the student of school A (student "a")
DETAIL_MATRIX = [
    (None, 302),
    ("psych_b", 404),  # another county
    ("center_b", 404),  # another county's center
    ("official_a", 403),  # wrong role
    ("admin", 403),  # platform admin: configuration only
    ("psych_a", 200),
    ("leader_a", 200),
    ("homeroom_a", 200),
    ("center_a", 200),
]


def _client(world, who, api=False):
    client = APIClient() if api else None
    if client is None:
        from django.test import Client

        client = Client()
    if who:
        client.force_login(world.users[who])
    return client


@pytest.mark.parametrize(("who", "expected"), DETAIL_MATRIX)
def test_student_page_matrix(world, who, expected):
    client = _client(world, who)
    response = client.get(reverse("orgs:student_detail", args=[world.students["a"].pk]))
    assert response.status_code == expected
    views = AuditEvent.objects.filter(action=Action.VIEW).count()
    assert views == (1 if expected == 200 else 0)
    if expected == 302:
        assert reverse("accounts:login") in response["Location"]


def test_another_school_in_the_same_county_is_404(world):
    client = _client(world, "psych_a")
    response = client.get(reverse("orgs:student_detail", args=[world.students["a2"].pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()


@pytest.mark.parametrize(("who", "expected"), DETAIL_MATRIX)
def test_student_api_detail_matrix(world, who, expected):
    client = _client(world, who, api=True)
    response = client.get(reverse("api-student-detail", args=[world.students["a"].pk]))
    assert response.status_code == (403 if expected == 302 else expected)
    views = AuditEvent.objects.filter(action=Action.VIEW).count()
    assert views == (1 if expected == 200 else 0)


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 302), ("official_a", 403), ("admin", 403), ("psych_b", 200), ("homeroom_a", 200)],
)
def test_student_list_matrix(world, who, expected):
    response = _client(world, who).get(reverse("orgs:student_list"))
    assert response.status_code == expected
    if expected == 200:
        names = {s.name for s in response.context["page"].students}
        assert "张小明" in names if who == "homeroom_a" else names == {"赵小丽"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 302), ("official_a", 403), ("center_a", 403), ("homeroom_a", 403), ("psych_a", 200)],
)
def test_roster_import_matrix(world, who, expected):
    for name in ("orgs:roster_import", "orgs:roster_template"):
        response = _client(world, who).get(reverse(name))
        assert response.status_code == expected
