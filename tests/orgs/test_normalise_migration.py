"""The data migration that gives stored names and numbers the import's normalisation."""

import importlib

from django.apps import apps

from mhcare.orgs.models import Guardian, SchoolClass, Student
from tests.factories import GuardianFactory, SchoolClassFactory, StudentFactory

migration = importlib.import_module("mhcare.orgs.migrations.0004_normalise_stored_text")


def test_stored_text_is_normalised_and_collisions_are_left_and_reported(world, capsys):
    # given a class whose name only differs by bracket width from an existing one, and dirty text
    year = world.class_a.school_year
    twin = SchoolClassFactory(school=world.school_a, school_year=year, name="八(1)班（重复）")
    colliding = SchoolClassFactory(school=world.school_a, school_year=year, name="八（1）班")
    alone = SchoolClassFactory(school=world.school_b, school_year=year, name="九（2）班\u200b")
    student = StudentFactory(
        klass=alone, name="\ufeff王\u200b小明\u00a0", student_number="Ｇ３３０１０６００００９９"
    )
    guardian = GuardianFactory(
        student=student, name=" 王\u3000大明 ", phone="１３８００００００００"
    )
    # when
    migration.normalise(apps, None)
    # then
    assert SchoolClass.objects.get(pk=twin.pk).name == "八(1)班(重复)"
    assert SchoolClass.objects.get(pk=colliding.pk).name == "八（1）班"  # left: 八(1)班 exists
    assert SchoolClass.objects.get(pk=alone.pk).name == "九(2)班"
    student = Student.objects.get(pk=student.pk)
    assert (student.name, student.student_number) == ("王小明", "G330106000099")
    guardian = Guardian.objects.get(pk=guardian.pk)
    assert (guardian.name, guardian.phone) == ("王 大明", "13800000000")
    assert f"class id={colliding.pk}" in capsys.readouterr().out
    # and running it again changes nothing
    migration.normalise(apps, None)
    assert SchoolClass.objects.get(pk=colliding.pk).name == "八（1）班"
