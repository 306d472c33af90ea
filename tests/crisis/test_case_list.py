"""The high-risk list's selector (issue 14, bench 2): one query per page once the actor's grants
are loaded, and exactly the rows, order and scope of the model queryset the export reads."""

import datetime

import pytest
from django.utils import timezone

from crisis import selectors, services
from crisis.models import Case, CaseReport, ReportStatus
from mhcare.accounts.models import Role, User
from tests import factories


def _fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.fixture
def cases(world):
    """Open cases in both counties (school A, school A2, school B), one without a due date, one
    closed, one whose 上报 report was sent."""
    made = []
    for klass, actor, level in (
        (world.class_a, "psych_a", "1"),
        (world.class_a, "psych_a", "3"),
        (world.class_a_other, "psych_a", "2"),
        (world.class_a2, "center_a", "2"),
        (world.class_a2, "center_a", "3"),
        (world.class_b, "psych_b", "2"),
    ):
        student = factories.StudentFactory(klass=klass)
        outcome = services.evaluation_confirm(
            actor=world.users[actor], student=student, level=level, reason="面谈确认"
        )
        made.append(outcome.case)
    today = timezone.localdate()
    Case.objects.filter(pk=made[0].pk).update(next_follow_up_due=None)
    Case.objects.filter(pk=made[1].pk).update(next_follow_up_due=today - datetime.timedelta(days=2))
    Case.objects.filter(pk=made[2].pk).update(status="closed", closed_on=today)
    CaseReport.objects.filter(case=made[3]).update(status=ReportStatus.SENT)
    return made


def _two_roles(world):
    """Psych teacher of school A2 and school leader of school B."""
    user = factories.user_with_role(Role.PSYCH_TEACHER, world.school_a2, username="two_roles")
    factories.RoleAssignmentFactory(user=user, role=Role.SCHOOL_LEADER, org_unit=world.school_b)
    return user


def _all_pages(actor, filters, page_size=2):
    seen, after = [], None
    while True:
        page = selectors.case_list(actor=actor, filters=filters, after=after, page_size=page_size)
        seen.extend(page.rows)
        if page.next_after is None:
            return seen
        after = page.next_after


def _by_due(case):
    """Due date first, undated last (NULLS LAST), then id."""
    due = case.next_follow_up_due
    return (due is None, due or datetime.date.min, case.pk)


ORDER = {
    "due": _by_due,
    "level": lambda c: (c.level, c.pk),
    "newest": lambda c: -c.pk,
}


@pytest.mark.parametrize("key", ["center_a", "psych_a", "leader_a", "two_roles"])
@pytest.mark.parametrize("sort", ["due", "level", "newest"])
def test_rows_are_the_scoped_queryset_rows_in_order(world, cases, key, sort):
    actor = _two_roles(world) if key == "two_roles" else world.users[key]
    filters = selectors.CaseFilters(sort=sort)
    expected = sorted(selectors.case_queryset(actor=actor, filters=filters), key=ORDER[sort])
    rows = _all_pages(actor, filters)
    assert [r.pk for r in rows] == [c.pk for c in expected]
    assert rows, key
    today = timezone.localdate()
    for row, case in zip(rows, expected, strict=True):
        assert (row.level, row.status, row.source, row.next_follow_up_due, row.unreported) == (
            case.level,
            case.status,
            case.source,
            case.next_follow_up_due,
            case.unreported,
        )
        assert (row.colour, row.get_level_display(), row.get_status_display()) == (
            case.colour,
            case.get_level_display(),
            case.get_status_display(),
        )
        assert row.get_source_display() == case.get_source_display()
        assert row.due_state == selectors.due_state(case.next_follow_up_due, today)
        assert (row.student.id, row.student.name, row.school.id, row.school.name) == (
            case.student_id,
            case.student.name,
            case.school_id,
            case.school.name,
        )
        assert (row.student.klass.grade, row.student.klass.name) == (
            case.student.klass.grade,
            case.student.klass.name,
        )


def test_scope_county_and_two_roles(world, cases):
    center = {r.pk for r in _all_pages(world.users["center_a"], selectors.CaseFilters())}
    assert center == {cases[0].pk, cases[1].pk, cases[3].pk, cases[4].pk}
    both = {r.pk for r in _all_pages(_two_roles(world), selectors.CaseFilters())}
    assert both == {cases[3].pk, cases[4].pk, cases[5].pk}


def test_filters_match_the_queryset(world, cases):
    actor = world.users["center_a"]
    for filters in (
        selectors.CaseFilters(level="3"),
        selectors.CaseFilters(school=world.school_a2.pk),
        selectors.CaseFilters(grade=world.class_a.grade),
        selectors.CaseFilters(overdue=True),
        selectors.CaseFilters(not_reported=True),
    ):
        expected = sorted(selectors.case_queryset(actor=actor, filters=filters), key=ORDER["due"])
        assert [r.pk for r in _all_pages(actor, filters)] == [c.pk for c in expected], filters
    overdue = _all_pages(actor, selectors.CaseFilters(overdue=True))
    assert [r.pk for r in overdue] == [cases[1].pk]
    assert cases[3].pk not in {
        r.pk for r in _all_pages(actor, selectors.CaseFilters(not_reported=True))
    }


def test_a_page_is_one_query_once_the_grants_are_loaded(world, cases, django_assert_num_queries):
    """A new request: its grants (one query), then the page — no COUNT, no scope lookup per call,
    no query per row. The same request asking again: the page alone."""
    actor = _fresh(world.users["center_a"])
    with django_assert_num_queries(2):
        first = selectors.case_list(actor=actor, page_size=2)
    for sort in ("due", "level", "newest"):
        filters = selectors.CaseFilters(sort=sort, grade=world.class_a.grade, not_reported=True)
        with django_assert_num_queries(1):
            selectors.case_list(actor=actor, filters=filters, page_size=2)
    with django_assert_num_queries(1):
        selectors.case_list(actor=actor, after=first.next_after, page_size=2)
