from mhcare.accounts import scope
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import Guardian, Student


def test_psych_teacher_sees_only_own_school(world):
    visible = set(scope.scoped(world.users["psych_a"], Student).values_list("name", flat=True))
    assert visible == {"张小明", "李小红"}


def test_county_center_sees_whole_county_not_other(world):
    visible = set(scope.scoped(world.users["center_a"], Student).values_list("name", flat=True))
    assert visible == {"张小明", "李小红", "王小刚"}


def test_homeroom_teacher_sees_only_own_class(world):
    user = world.users["homeroom_a"]
    assert set(scope.scoped(user, Student).values_list("name", flat=True)) == {"张小明"}
    assert set(scope.scoped(user, Guardian).values_list("student__name", flat=True)) == {"张小明"}
    assert not scope.can(user, RecordKind.SCORE)


def test_official_sees_no_student(world):
    assert not scope.scoped(world.users["official_province"], Student).exists()
    assert scope.units(world.users["official_a"]).filter(pk=world.school_a.pk).exists()


def test_missing_ids_is_set_difference(world):
    user = world.users["psych_a"]
    ids = [s.pk for s in world.students.values()]
    assert scope.missing_ids(user, Student, ids) == {
        world.students["a2"].pk,
        world.students["b"].pk,
    }


def test_object_permission_shares_one_student_on_top_of_the_tree(world):
    # given an institution's staff member, who sees no student by role
    from guardian.shortcuts import assign_perm

    from mhcare.accounts.models import Role
    from mhcare.orgs.models import OrgKind, OrgUnit
    from tests.factories import user_with_role

    institution = OrgUnit.objects.create(
        code="330106H", name="西湖区精神卫生中心", kind=OrgKind.INSTITUTION, parent=world.county_a
    )
    staff = user_with_role(Role.INSTITUTION_STAFF, institution, username="inst")
    assert not scope.scoped(staff, Student).exists()

    # when one referred student is shared with her
    assign_perm("orgs.view_student", staff, world.students["a"])
    staff = type(staff).objects.get(pk=staff.pk)  # a fresh request's user

    # then she sees that student and no other; the tree scope of others is unchanged
    assert list(scope.scoped(staff, Student)) == [world.students["a"]]
    assert scope.missing_ids(staff, Student, [world.students["a2"].pk]) == {world.students["a2"].pk}
    assert set(scope.scoped(world.users["psych_b"], Student)) == {world.students["b"]}
