"""The student list's selector (issue 14, bench 2): one query per page once the actor's grants are
loaded, and exactly the rows, order, scope and masking of the model queryset the API pages."""

import pytest

from mhcare.accounts import scope
from mhcare.accounts.models import Role, User
from mhcare.orgs import selectors
from mhcare.orgs.selectors import StudentFilters
from tests import factories


def _fresh(user):
    """The user as a new request sees it: no grants or shares cached on the object."""
    return User.objects.get(pk=user.pk)


def _two_roles(world):
    """Homeroom teacher of a class in school A and psych teacher of school B."""
    user = factories.user_with_role(
        Role.HOMEROOM_TEACHER, world.school_a, klass=world.class_a, username="two_roles"
    )
    factories.RoleAssignmentFactory(user=user, role=Role.PSYCH_TEACHER, org_unit=world.school_b)
    return user


def _expected(actor, filters=None, after=None):
    queryset = selectors.student_queryset(actor=actor, filters=filters)
    if after is not None:
        queryset = queryset.filter(id__gt=after)
    return list(queryset)


@pytest.mark.parametrize("key", ["center_a", "psych_a", "homeroom_a", "leader_a", "two_roles"])
def test_rows_are_the_scoped_queryset_rows_in_order(world, key):
    for _ in range(3):
        factories.StudentFactory(klass=world.class_a2, disadvantages=["economic"])
    actor = _two_roles(world) if key == "two_roles" else world.users[key]
    rows = selectors.student_list(actor=actor, page_size=50).students
    students = _expected(actor)
    assert [r.pk for r in rows] == [s.pk for s in students]
    assert rows, key
    for row, student in zip(rows, students, strict=True):
        assert (row.name, row.masked_student_number, row.get_gender_display()) == (
            student.name,
            student.masked_student_number,
            student.get_gender_display(),
        )
        assert row.get_disadvantages_display() == student.get_disadvantages_display()
        assert (row.klass.id, row.klass.grade, row.klass.name) == (
            student.klass_id,
            student.klass.grade,
            student.klass.name,
        )
        assert (row.school.id, row.school.code, row.school.name) == (
            student.school_id,
            student.school.code,
            student.school.name,
        )


def test_county_center_sees_only_its_county_and_two_roles_see_both_units(world):
    center = selectors.student_list(actor=world.users["center_a"]).students
    assert {r.name for r in center} == {"张小明", "李小红", "王小刚"}
    both = selectors.student_list(actor=_two_roles(world)).students
    assert {r.name for r in both} == {"张小明", "赵小丽"}
    assert not selectors.student_list(actor=world.users["official_a"]).students


def test_rows_never_carry_the_full_student_number(world):
    student = world.students["a"]
    row = selectors.student_list(actor=world.users["psych_a"]).students[0]
    assert row.pk == student.pk
    assert student.student_number not in repr(row)
    assert not hasattr(row, "student_number")


def test_keyset_pages_and_filters_match_the_queryset(world):
    for _ in range(7):
        factories.StudentFactory(klass=world.class_a)
    actor = world.users["center_a"]
    filters = StudentFilters(school=world.school_a.code, grade=world.class_a.grade)
    seen, after = [], None
    while True:
        page = selectors.student_list(actor=actor, filters=filters, after=after, page_size=3)
        assert [r.pk for r in page.students] == [s.pk for s in _expected(actor, filters, after)][:3]
        seen.extend(r.pk for r in page.students)
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == [s.pk for s in _expected(actor, filters)]
    named = selectors.student_list(actor=actor, filters=StudentFilters(name="小刚")).students
    assert [r.name for r in named] == ["王小刚"]


def test_a_page_is_one_query_once_the_grants_are_loaded(world, django_assert_num_queries):
    """A new request: its grants and its shares (one query for both: ``scope.prime``), then the
    page — no COUNT, no scope lookup per call, no query per row. The same request asking again:
    the page alone."""
    for _ in range(30):
        factories.StudentFactory(klass=world.class_a2)
    actor = _fresh(world.users["center_a"])
    with django_assert_num_queries(2):
        first = selectors.student_list(actor=actor, page_size=10)
    filters = StudentFilters(school=world.school_a2.code, grade=world.class_a2.grade, name="")
    with django_assert_num_queries(1):
        selectors.student_list(actor=actor, filters=filters, after=first.next_after, page_size=10)
    assert scope.grants(actor)  # (cached: no query)
