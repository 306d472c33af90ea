"""factory_boy factories. Related rows stay in one school: a student's class, school and county
agree."""

import datetime

import factory
from factory.django import DjangoModelFactory

from mhcare.accounts.models import Role, RoleAssignment, User
from mhcare.orgs.models import (
    Gender,
    Guardian,
    GuardianRelation,
    OrgKind,
    OrgUnit,
    SchoolClass,
    SchoolStage,
    SchoolYear,
    Semester,
    Student,
)

PASSWORD = "Test-pass-2026"


class ProvinceFactory(DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("code",)

    code = "33"
    name = "浙江省"
    name_en = "Zhejiang"
    kind = OrgKind.PROVINCE
    parent = None


class CityFactory(DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"33{n + 1:02d}")
    name = factory.Sequence(lambda n: f"市{n}")
    kind = OrgKind.CITY
    parent = factory.SubFactory(ProvinceFactory)


class CountyFactory(DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("code",)

    parent = factory.SubFactory(CityFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}{n % 100:02d}")
    name = factory.Sequence(lambda n: f"区{n}")
    kind = OrgKind.COUNTY


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("code",)

    parent = factory.SubFactory(CountyFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}{n:04d}")
    name = factory.Sequence(lambda n: f"第{n}中学")
    kind = OrgKind.SCHOOL
    stage = SchoolStage.JUNIOR
    enrolled_count = 800


class SchoolYearFactory(DjangoModelFactory):
    class Meta:
        model = SchoolYear
        django_get_or_create = ("name",)

    name = "2026-2027"
    start = datetime.date(2026, 9, 1)
    end = datetime.date(2027, 8, 31)


class SemesterFactory(DjangoModelFactory):
    class Meta:
        model = Semester
        django_get_or_create = ("school_year", "term")

    school_year = factory.SubFactory(SchoolYearFactory)
    term = 1
    start = datetime.date(2026, 9, 1)
    end = datetime.date(2027, 1, 31)


class SchoolClassFactory(DjangoModelFactory):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    grade = 8
    name = factory.Sequence(lambda n: f"八年级{n}班")


class StudentFactory(DjangoModelFactory):
    class Meta:
        model = Student

    klass = factory.SubFactory(SchoolClassFactory)
    school = factory.SelfAttribute("klass.school")
    county = factory.LazyAttribute(lambda o: o.klass.school.parent)
    name = factory.Sequence(lambda n: f"学生{n}")
    gender = Gender.FEMALE
    birth_date = datetime.date(2012, 5, 1)
    student_number = factory.Sequence(lambda n: f"G3301{n:013d}")


class GuardianFactory(DjangoModelFactory):
    class Meta:
        model = Guardian

    student = factory.SubFactory(StudentFactory)
    school = factory.SelfAttribute("student.school")
    name = factory.Sequence(lambda n: f"家长{n}")
    relation = GuardianRelation.MOTHER
    phone = "13812345678"
    is_primary = True


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy hook signature
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class RoleAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.PSYCH_TEACHER
    org_unit = factory.SubFactory(SchoolFactory)
    klass = None


def user_with_role(
    role: str, unit: OrgUnit, klass: SchoolClass | None = None, **kwargs: object
) -> User:
    """A user holding one role at ``unit`` (and ``klass`` for class roles)."""
    user = UserFactory(**kwargs)
    RoleAssignmentFactory(user=user, role=role, org_unit=unit, klass=klass)
    return user
