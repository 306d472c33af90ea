"""``scope.prime`` loads a user's grants and shares in one query (the students API calls it on
every request): it must give exactly what the two loaders give, for every kind of assignment and
share, and spare their queries afterwards."""

from django.contrib.auth import get_user_model

from mhcare.accounts import scope
from mhcare.accounts.models import Role, RoleAssignment
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import OrgKind, OrgUnit
from tests import factories


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def _loaded(user):
    """What the loaders give on their own (their own queries)."""
    user = _fresh(user)
    return scope.grants(user), scope._all_shares(user)


def _primed(user, django_assert_num_queries):
    user = _fresh(user)
    with django_assert_num_queries(1):
        scope.prime(user)
    with django_assert_num_queries(0):
        return scope.grants(user), scope._all_shares(user)


def test_prime_gives_what_the_loaders_give(world, django_assert_num_queries):
    institution = OrgUnit.objects.create(
        code="330106H", name="西湖区精神卫生中心", kind=OrgKind.INSTITUTION, parent=world.county_a
    )
    staff = factories.user_with_role(Role.INSTITUTION_STAFF, institution, username="inst")
    scope.share(staff, world.students["a"], RecordKind.REFERRAL)
    scope.share(staff, world.students["a"])
    scope.share(staff, world.students["b"])
    # several assignments, one of them a class role, and an inactive one (never a grant)
    homeroom = world.users["homeroom_a"]
    factories.RoleAssignmentFactory(user=homeroom, role=Role.PSYCH_TEACHER, org_unit=world.school_b)
    factories.RoleAssignmentFactory(
        user=homeroom, role=Role.COUNTY_CENTER, org_unit=world.county_b, is_active=False
    )
    assert RoleAssignment.objects.filter(user=homeroom, is_active=False).exists()
    for user in (staff, homeroom, world.users["center_a"], world.users["admin"]):
        grants, shares = _loaded(user)
        assert _primed(user, django_assert_num_queries) == (grants, shares), user.username
    grants, shares = _loaded(staff)
    assert shares
    assert all(shares.values())
    assert len(_loaded(homeroom)[0]) == 2


def test_prime_of_a_user_without_grants_or_shares(db, django_assert_num_queries):
    user = factories.UserFactory()
    assert _primed(user, django_assert_num_queries) == ([], {})


def test_prime_leaves_an_already_loaded_user_alone(world, django_assert_num_queries):
    user = _fresh(world.users["psych_a"])
    scope.grants(user)
    with django_assert_num_queries(0):
        scope.prime(user)
