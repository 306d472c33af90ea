"""The high-risk list and the home panels: scope matrix, the three-step slice, filters, keyset
pagination and query count."""

import pytest
from django.urls import reverse
from django.utils import timezone

from crisis.selectors import pending_proposals
from mhcare.audit.models import AuditEvent
from screening.models import Instrument
from screening.services import result_create
from tests import factories

ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # level 2 (orange)
MODERATE = [2, 2, 2, 2, 1, 1, 1, 1, 0]  # 12 → level 3 (yellow)
SEVERE = [3, 3, 3, 3, 3, 3, 2, 0, 0]  # 20 → level 2
LOW = [1, 0, 0, 0, 0, 0, 0, 0, 0]

URL = reverse("crisis:highrisk_list")


def enter(actor, student, answers):
    return result_create(
        actor=actor,
        student=student,
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=answers,
        administered_on=timezone.localdate(),
    )


@pytest.fixture
def flagged(world):
    """Every world student with a proposal, entered by the county center of their county."""
    enter(world.users["center_a"], world.students["a"], ITEM9)
    enter(world.users["center_a"], world.students["a_other_class"], MODERATE)
    enter(world.users["center_a"], world.students["a2"], SEVERE)
    enter(world.users["center_b"], world.students["b"], ITEM9)
    return world


def names(response):
    """Students waiting for the evaluation (the proposals part of the list)."""
    return {row.student.name for row in response.context["pending"].rows}


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("user_key", ["homeroom_a", "official_a", "official_province", "admin"])
def test_roles_without_case_access_get_403_and_leave_no_trace(client, flagged, user_key):
    client.force_login(flagged.users[user_key])
    before = AuditEvent.objects.count()
    assert client.get(URL).status_code == 403
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("user_key", "expected"),
    [
        ("psych_a", {"张小明", "李小红"}),  # own school only
        ("leader_a", {"张小明", "李小红"}),
        ("psych_b", {"赵小丽"}),
        ("center_a", {"张小明", "李小红", "王小刚"}),  # whole county, not county B
        ("center_b", {"赵小丽"}),
    ],
)
def test_each_user_sees_exactly_their_scope(client, flagged, user_key, expected):
    client.force_login(flagged.users[user_key])
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == expected


def test_the_slice_psych_teacher_entry_puts_the_student_on_the_county_list(client, world):
    student = world.students["a"]
    # a psych teacher of school A enters a PHQ-9 with item 9 = 1 in the form
    client.force_login(world.users["psych_a"])
    answers = {f"item_{n}": "0" for n in range(1, 9)} | {"item_9": "1"}
    answers["administered_on"] = timezone.localdate().isoformat()
    response = client.post(reverse("screening:result_create", args=[student.pk, "PHQ-9"]), answers)
    assert response.status_code == 302
    # the county center of county A sees the student, with the orange badge and a link
    client.force_login(world.users["center_a"])
    body = client.get(URL).content.decode()
    assert student.name in body
    assert "level level-orange" in body
    assert reverse("orgs:student_detail", args=[student.pk]) in body
    # the county center of county B does not
    client.force_login(world.users["center_b"])
    response = client.get(URL)
    assert student.name not in response.content.decode()
    assert names(response) == set()


def test_one_row_per_student_with_the_most_severe_open_proposal(client, world):
    student = world.students["a"]
    enter(world.users["psych_a"], student, MODERATE)  # level 3
    enter(world.users["psych_a"], student, ITEM9)  # level 2
    enter(world.users["psych_a"], student, MODERATE)  # level 3 again, newest
    enter(world.users["psych_a"], student, LOW)  # no proposal
    page = pending_proposals(actor=world.users["psych_a"])
    assert [(row.student_id, row.level) for row in page.rows] == [(student.pk, "2")]


def test_filters_by_school(client, flagged):
    client.force_login(flagged.users["center_a"])
    assert names(client.get(URL, {"school": flagged.school_a2.pk})) == {"王小刚"}
    # a school outside the actor's scope is not a valid choice: the filter is ignored
    response = client.get(URL, {"school": flagged.school_b.pk})
    assert "赵小丽" not in response.content.decode()


def test_keyset_pagination_walks_every_row_once(world):
    for _ in range(5):
        enter(world.users["psych_a"], factories.StudentFactory(klass=world.class_a), ITEM9)
    actor = world.users["psych_a"]
    seen, after = [], None
    while True:
        page = pending_proposals(actor=actor, after=after, page_size=2)
        seen.extend(row.pk for row in page.rows)
        if page.next_after is None:
            break
        after = page.next_after
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)  # newest first


def test_the_list_does_not_grow_queries_with_rows(client, world, django_assert_max_num_queries):
    for _ in range(30):
        enter(world.users["center_a"], factories.StudentFactory(klass=world.class_a2), SEVERE)
    client.force_login(world.users["center_a"])
    with django_assert_max_num_queries(15):
        response = client.get(URL)
    assert len(response.context["pending"].rows) == 30


def test_home_panels_for_the_psych_teacher(client, flagged):
    client.force_login(flagged.users["psych_a"])
    body = client.get(reverse("core:home")).content.decode()
    assert 'data-panel="students_to_review"' in body
    assert "张小明" in body
    assert "王小刚" not in body  # another school
    assert 'data-panel="followups_due"' in body
    assert "No follow-up is due in the next three days." in body


def test_home_panel_for_the_county_center_never_shows_other_counties(client, flagged):
    client.force_login(flagged.users["center_a"])
    body = client.get(reverse("core:home")).content.decode()
    assert 'data-panel="county_highrisk"' in body
    assert {"张小明", "李小红", "王小刚"} <= {
        n for n in ("张小明", "李小红", "王小刚") if n in body
    }
    assert "赵小丽" not in body


def test_homeroom_teacher_home_has_no_high_risk_panel(client, flagged):
    client.force_login(flagged.users["homeroom_a"])
    body = client.get(reverse("core:home")).content.decode()
    assert "highrisk" not in body
    # Her class's students may appear (family contacts to make), never a level or a reason.
    assert "level-orange" not in body
    assert "PHQ" not in body
