"""The demo province for ``seed_demo``: the real Zhejiang tree (11 cities, 90 counties, shipped in
``data/zhejiang-divisions.csv``) and, in 西湖区 330106 and 柯城区 330802, invented schools of every
stage with classes, about 3 000 students and their guardians, and one login per role.

Deterministic (``random.Random(seed)``) and idempotent: every write is an upsert on a natural key
(unit code, class name per school year, student number, guardian per student, username).
"""

from __future__ import annotations

import csv
import datetime
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from mhcare.accounts.approvals import assignment_grant_setup
from mhcare.accounts.models import Role, User
from mhcare.orgs.models import (
    STAGE_GRADES,
    Disadvantage,
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

DIVISIONS_CSV = Path(__file__).resolve().parent / "data" / "zhejiang-divisions.csv"
DEFAULT_PASSWORD = "Demo-2026!"  # noqa: S105 - the documented demo password, overridable by env
DEFAULT_SEED = 20260901
YEAR_NAME = "2026-2027"
YEAR_START = datetime.date(2026, 9, 1)
YEAR_END = datetime.date(2027, 8, 31)
SEMESTERS = (
    (1, datetime.date(2026, 9, 1), datetime.date(2027, 1, 31)),
    (2, datetime.date(2027, 2, 1), datetime.date(2027, 8, 31)),
)

PROVINCE = ("33", "浙江省", "Zhejiang")
CITY_EN = {
    "3301": "Hangzhou",
    "3302": "Ningbo",
    "3303": "Wenzhou",
    "3304": "Jiaxing",
    "3305": "Huzhou",
    "3306": "Shaoxing",
    "3307": "Jinhua",
    "3308": "Quzhou",
    "3309": "Zhoushan",
    "3310": "Taizhou",
    "3311": "Lishui",
}
COUNTY_EN = {"330106": "Xihu District", "330802": "Kecheng District"}


@dataclass(frozen=True)
class SchoolSpec:
    suffix: str  # 4-digit code suffix under the county
    name: str
    stage: str
    classes_per_grade: int
    class_size: int
    campuses: int = 1
    boarding: bool = False


@dataclass(frozen=True)
class DemoCounty:
    code: str
    slug: str  # used in usernames
    short: str  # 西湖区
    city_name: str  # 杭州市
    schools: tuple[SchoolSpec, ...]


# Invented schools (no real school's data). The first school of each county has a grade 8.
DEMO_COUNTIES = (
    DemoCounty(
        "330106",
        "xihu",
        "西湖区",
        "杭州市",
        (
            SchoolSpec("0001", "杭州市西湖区云栖初级中学", SchoolStage.JUNIOR, 3, 36),
            SchoolSpec("0002", "杭州市西湖区文新小学", SchoolStage.PRIMARY, 2, 30, campuses=2),
            SchoolSpec(
                "0003", "杭州市西湖区之江高级中学", SchoolStage.SENIOR, 2, 45, boarding=True
            ),
            SchoolSpec("0004", "杭州市西湖区龙坞九年一贯制学校", SchoolStage.NINE_YEAR, 1, 32),
            SchoolSpec(
                "0005",
                "杭州市西湖区转塘完全中学",
                SchoolStage.COMPLETE_SECONDARY,
                1,
                42,
                boarding=True,
            ),
        ),
    ),
    DemoCounty(
        "330802",
        "kecheng",
        "柯城区",
        "衢州市",
        (
            SchoolSpec("0001", "衢州市柯城区府山初级中学", SchoolStage.JUNIOR, 3, 36),
            SchoolSpec("0002", "衢州市柯城区荷花小学", SchoolStage.PRIMARY, 2, 30),
            SchoolSpec(
                "0003", "衢州市柯城区石梁高级中学", SchoolStage.SENIOR, 2, 45, boarding=True
            ),
            SchoolSpec("0004", "衢州市柯城区九华九年一贯制学校", SchoolStage.NINE_YEAR, 1, 32),
            SchoolSpec("0005", "衢州市柯城区航埠完全中学", SchoolStage.COMPLETE_SECONDARY, 1, 42),
        ),
    ),
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
)
GIVEN_CHARS: dict[str, str] = {
    Gender.MALE: "浩宇轩子涵博文俊杰明辰泽睿晨阳昊天一鸣思远嘉豪"
    "志强建华子墨宇航梓豪浩然皓轩铭瑞锦程",
    Gender.FEMALE: "欣怡梓涵诗涵雨桐可馨佳怡思琪语嫣雨萱紫涵"
    "梦瑶欣妍雅琪若曦晓彤佳琪一诺静怡梓萱婉清",
}
ADULT_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅立新海燕志刚晓东"
GRADE_NUMERALS = "一二三四五六七八九十"


def class_name(grade: int, number: int) -> str:
    if grade >= 10:
        return f"高{GRADE_NUMERALS[grade - 10]}({number})班"
    return f"{GRADE_NUMERALS[grade - 1]}年级({number})班"


@dataclass
class DemoStats:
    units: int = 0
    schools: int = 0
    classes: int = 0
    students: int = 0
    guardians: int = 0
    users: list[tuple[str, str, str, str]] = field(default_factory=list)  # role, username, pw, unit


def demo_password() -> str:
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
    validate_password(password)
    return password


@transaction.atomic
def seed(*, scale: float = 1.0, seed_value: int = DEFAULT_SEED) -> DemoStats:
    stats = DemoStats()
    password = demo_password()
    year = _school_year()
    units = _province_tree(stats)
    rng = random.Random(seed_value)  # noqa: S311 - demo data, not secrets
    homeroom_classes: dict[str, SchoolClass] = {}
    for county in DEMO_COUNTIES:
        homeroom_classes[county.code] = _county_people(
            county=county, units=units, year=year, rng=rng, scale=scale, stats=stats
        )
    _users(units=units, homeroom_classes=homeroom_classes, password=password, stats=stats)
    return stats


def _school_year() -> SchoolYear:
    year, _ = SchoolYear.objects.update_or_create(
        name=YEAR_NAME, defaults={"start": YEAR_START, "end": YEAR_END}
    )
    for term, start, end in SEMESTERS:
        Semester.objects.update_or_create(
            school_year=year, term=term, defaults={"start": start, "end": end}
        )
    return year


def _upsert_units(rows: list[dict[str, Any]], parents: dict[str, OrgUnit]) -> dict[str, OrgUnit]:
    """Upsert one level of the tree (parents already stored); path and depth computed here since
    ``bulk_create`` bypasses ``OrgUnit.save``."""
    objects = []
    for row in rows:
        parent = parents.get(str(row.pop("parent_code", "")))
        path = f"{parent.path if parent else '/'}{row['code']}/"
        objects.append(
            OrgUnit(parent=parent, path=path, depth=path.count("/") - 2, **row)  # type: ignore[arg-type]
        )
    OrgUnit.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=[
            "name",
            "name_en",
            "kind",
            "parent",
            "path",
            "depth",
            "stage",
            "campus_count",
            "enrolled_count",
            "is_boarding",
        ],
    )
    return {u.code: u for u in OrgUnit.objects.filter(code__in=[o.code for o in objects])}


def _province_tree(stats: DemoStats) -> dict[str, OrgUnit]:
    with DIVISIONS_CSV.open(encoding="utf-8") as handle:
        divisions = list(csv.DictReader(handle))
    code, name, name_en = PROVINCE
    units = _upsert_units(
        [{"code": code, "name": name, "name_en": name_en, "kind": OrgKind.PROVINCE}], {}
    )
    cities = {d["city_code"]: d["city_name"] for d in divisions}
    units |= _upsert_units(
        [
            {
                "code": c,
                "name": n,
                "name_en": CITY_EN.get(c, ""),
                "kind": OrgKind.CITY,
                "parent_code": code,
            }
            for c, n in cities.items()
        ],
        units,
    )
    units |= _upsert_units(
        [
            {
                "code": d["county_code"],
                "name": d["county_name"],
                "name_en": COUNTY_EN.get(d["county_code"], ""),
                "kind": OrgKind.COUNTY,
                "parent_code": d["city_code"],
            }
            for d in divisions
        ],
        units,
    )
    extra = []
    for county in DEMO_COUNTIES:
        extra += [
            {
                "code": f"{county.code}C",
                "name": f"{county.city_name}{county.short}中小学心理健康教育指导中心",
                "kind": OrgKind.COUNTY_CENTER,
                "parent_code": county.code,
            },
            {
                "code": f"{county.code}R",
                "name": f"{county.city_name}{county.short}教育研修院",
                "kind": OrgKind.RESEARCH,
                "parent_code": county.code,
            },
            {
                "code": f"{county.code}H",
                "name": f"{county.short}精神卫生中心",
                "kind": OrgKind.INSTITUTION,
                "parent_code": county.code,
            },
        ]
    units |= _upsert_units(extra, units)
    stats.units = len(units)
    return units


def _birth_date(rng: random.Random, grade: int) -> datetime.date:
    """A grade-g student of 2026-2027 was born between 1 Sept (2020 - g) and 31 Aug (2021 - g)."""
    start = datetime.date(2020 - grade, 9, 1)
    return start + datetime.timedelta(days=rng.randrange(365))


def _name(rng: random.Random, gender: str, surname: str | None = None) -> str:
    chars = GIVEN_CHARS[gender]
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
    return (surname or rng.choice(SURNAMES)) + given


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10)}{rng.randrange(100_000_000):08d}"


def _county_people(
    *,
    county: DemoCounty,
    units: dict[str, OrgUnit],
    year: SchoolYear,
    rng: random.Random,
    scale: float,
    stats: DemoStats,
) -> SchoolClass:
    """Schools, classes, students and guardians of one demo county; returns the first school's
    first grade-8 class (for the demo homeroom teacher)."""
    county_unit = units[county.code]
    # Plan first (so each school's enrolled count is known), then write level by level.
    plan: list[tuple[SchoolSpec, list[tuple[int, str, int]]]] = []
    for spec in county.schools:
        classes = []
        for grade in STAGE_GRADES[spec.stage]:
            for number in range(1, spec.classes_per_grade + 1):
                size = max(1, round((spec.class_size + rng.randint(-4, 3)) * scale))
                classes.append((grade, class_name(grade, number), size))
        plan.append((spec, classes))
    schools = _upsert_units(
        [
            {
                "code": f"{county.code}{spec.suffix}",
                "name": spec.name,
                "kind": OrgKind.SCHOOL,
                "stage": spec.stage,
                "campus_count": spec.campuses,
                "is_boarding": spec.boarding,
                "enrolled_count": sum(size for _, _, size in classes),
                "parent_code": county.code,
            }
            for spec, classes in plan
        ],
        units,
    )
    units |= schools
    stats.schools += len(schools)

    class_objects = [
        SchoolClass(
            school=schools[f"{county.code}{spec.suffix}"], school_year=year, grade=g, name=n
        )
        for spec, classes in plan
        for g, n, _ in classes
    ]
    SchoolClass.objects.bulk_create(
        class_objects,
        update_conflicts=True,
        unique_fields=["school", "school_year", "name"],
        update_fields=["grade"],
    )
    stored = {
        (k.school_id, k.name): k
        for k in SchoolClass.objects.filter(school__in=schools.values(), school_year=year)
    }
    stats.classes += len(class_objects)

    students: list[Student] = []
    guardians: list[tuple[str, list[tuple[str, str, str]]]] = []
    serial = 0
    for spec, classes in plan:
        school = schools[f"{county.code}{spec.suffix}"]
        for grade, name, size in classes:
            klass = stored[(school.pk, name)]
            for _ in range(size):
                serial += 1
                gender = rng.choice((Gender.FEMALE, Gender.MALE))
                surname = rng.choice(SURNAMES)
                birth = _birth_date(rng, grade)
                student_number = f"G{county.code}{birth.year}{serial:06d}"
                flags: list[str] = []
                if rng.random() < 0.10:
                    flags = sorted(rng.sample([d.value for d in Disadvantage], rng.randint(1, 2)))
                students.append(
                    Student(
                        school=school,
                        county=county_unit,
                        klass=klass,
                        name=_name(rng, gender, surname),
                        gender=gender,
                        birth_date=birth,
                        student_number=student_number,
                        disadvantages=flags,
                    )
                )
                guardians.append((student_number, _guardians(rng, surname, flags)))
    Student.objects.bulk_create(
        students,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["student_number"],
        update_fields=[
            "school",
            "county",
            "klass",
            "name",
            "gender",
            "birth_date",
            "disadvantages",
        ],
    )
    ids = dict(
        Student.objects.filter(student_number__in=[s.student_number for s in students]).values_list(
            "student_number", "id"
        )
    )
    by_number = {s.student_number: s for s in students}
    guardian_objects = [
        Guardian(
            student_id=ids[number],
            school=by_number[number].school,
            name=g_name,
            relation=relation,
            phone=phone,
            is_primary=position == 0,
        )
        for number, people in guardians
        for position, (g_name, relation, phone) in enumerate(people)
    ]
    Guardian.objects.bulk_create(
        guardian_objects,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["student", "name", "relation"],
        update_fields=["school", "phone", "is_primary"],
    )
    stats.students += len(students)
    stats.guardians += len(guardian_objects)
    first = county.schools[0]
    return stored[(schools[f"{county.code}{first.suffix}"].pk, class_name(8, 1))]


def _guardians(rng: random.Random, surname: str, flags: list[str]) -> list[tuple[str, str, str]]:
    if Disadvantage.LEFT_BEHIND in flags:
        return [(_adult(rng, surname), GuardianRelation.GRANDPARENT, _phone(rng))]
    father = (_adult(rng, surname), GuardianRelation.FATHER, _phone(rng))
    mother = (_adult(rng, None), GuardianRelation.MOTHER, _phone(rng))
    if Disadvantage.SINGLE_PARENT in flags:
        return [rng.choice((father, mother))]
    roll = rng.random()
    if roll < 0.55:
        return [mother, father]
    if roll < 0.8:
        return [mother]
    return [father]


def _adult(rng: random.Random, surname: str | None) -> str:
    given = rng.choice(ADULT_GIVEN) + (rng.choice(ADULT_GIVEN) if rng.random() < 0.5 else "")
    return (surname or rng.choice(SURNAMES)) + given


@dataclass(frozen=True)
class UserSpec:
    username: str
    display_name: str
    role: str | None
    unit_code: str
    homeroom_of: str = ""  # county code whose demo class this homeroom teacher leads
    is_staff: bool = False
    is_superuser: bool = False


def user_specs() -> list[UserSpec]:
    specs: list[UserSpec] = []
    surnames = {"xihu": ("王", "李", "陈", "周", "吴"), "kecheng": ("刘", "徐", "郑", "方", "叶")}
    for county in DEMO_COUNTIES:
        school = f"{county.code}{county.schools[0].suffix}"
        s = surnames[county.slug]
        specs += [
            UserSpec(f"psych_{county.slug}", f"{s[0]}老师（心理）", Role.PSYCH_TEACHER, school),
            UserSpec(f"leader_{county.slug}", f"{s[1]}校长", Role.SCHOOL_LEADER, school),
            UserSpec(
                f"homeroom_{county.slug}",
                f"{s[2]}老师（班主任）",
                Role.HOMEROOM_TEACHER,
                school,
                homeroom_of=county.code,
            ),
            UserSpec(
                f"center_{county.slug}", f"{s[3]}老师（辅导中心）", Role.COUNTY_CENTER, county.code
            ),
            UserSpec(
                f"official_{county.slug}",
                f"{s[4]}科长（{county.short}教育局）",
                Role.OFFICIAL,
                county.code,
            ),
        ]
    specs += [
        UserSpec("official_hangzhou", "赵处长（杭州市教育局）", Role.OFFICIAL, "3301"),
        UserSpec("official_zhejiang", "孙处长（浙江省教育厅）", Role.OFFICIAL, "33"),
        UserSpec("supervisor_xihu", "钱督导（西湖区）", Role.SUPERVISOR, "330106"),
        UserSpec(
            "institution_xihu", "沈医生（西湖区精神卫生中心）", Role.INSTITUTION_STAFF, "330106H"
        ),
        UserSpec("platform_admin", "平台管理员", Role.PLATFORM_ADMIN, "33", is_staff=True),
        UserSpec("auditor", "审计员（省）", Role.AUDITOR, "33"),
        UserSpec("admin", "超级管理员", None, "33", is_staff=True, is_superuser=True),
    ]
    return specs


def _password_hash(password: str, usernames: list[str]) -> str:
    """One argon2 hash shared by the demo logins (one password for all of them): hashing costs
    ~0.3 s, so it is computed once, and reused when the stored one still matches."""
    for stored in set(
        User.objects.filter(username__in=usernames).values_list("password", flat=True)
    ):
        if stored and check_password(password, stored):
            return stored
    return make_password(password)


def _users(
    *,
    units: dict[str, OrgUnit],
    homeroom_classes: dict[str, SchoolClass],
    password: str,
    stats: DemoStats,
) -> None:
    specs = user_specs()
    hashed = _password_hash(password, [s.username for s in specs])
    for spec in specs:
        user = User.objects.filter(username=spec.username).first() or User(username=spec.username)
        user.display_name = spec.display_name
        user.email = f"{spec.username}@demo.mhcare.invalid"
        user.is_staff = spec.is_staff
        user.is_superuser = spec.is_superuser
        user.is_active = True
        user.password = hashed
        user.save()
        unit = units[spec.unit_code]
        klass = homeroom_classes.get(spec.homeroom_of) if spec.homeroom_of else None
        if spec.role:
            # System setup: active at once, no second person (approvals.assignment_grant_setup).
            assignment_grant_setup(
                user=user, role=spec.role, org_unit=unit, klass=klass, source="seed_demo"
            )
        if klass is not None and klass.homeroom_teacher_id != user.pk:
            klass.homeroom_teacher = user
            klass.save(update_fields=["homeroom_teacher"])
        role_label = str(Role(spec.role).label) if spec.role else "superuser"
        stats.users.append((role_label, spec.username, password, unit.name))
