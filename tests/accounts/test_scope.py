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
