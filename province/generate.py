"""``seed_province``: a whole generated province in a migrated database, set-based.

The plan (tree, schools, classes and their sizes: ``province.plan``) and the small tables are
written with ``COPY``; the big ones (students, guardians, results, cases …) by one
``INSERT … SELECT`` each over the plan, PostgreSQL generating the rows — ten times faster on two
cores than building the rows in Python and streaming them through ``COPY`` (see bench/README.md).
Every random choice in SQL is a bit field of ``hashtextextended(<natural key>, <seed>)``, so the
same seed gives the same rows (the same student numbers, names, answers …) whatever the ids.

What the app computes is not re-implemented: the screening answers are drawn from a pool of
answer vectors scored by ``screening.scoring.score`` and proposed by ``screening.risk.propose``;
the encrypted columns hold tokens made by the field itself (``get_prep_value``) — a pool of
tokens reused, since Fernet costs ~30 µs a value.
"""

from __future__ import annotations

import datetime
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from crisis.models import Case, CaseEvent, CaseReport, FamilyContact, FollowUp
from mhcare.accounts.models import Role
from mhcare.core.risk import cadence_days
from mhcare.orgs.demo import ADULT_GIVEN, CITY_EN, GIVEN_CHARS, PROVINCE, SEMESTERS, SURNAMES
from mhcare.orgs.models import Disadvantage, Gender, Guardian, SchoolYear, Semester
from province.plan import ProvincePlan, plan
from referrals.models import Referral
from screening import risk, scoring
from screening.models import Instrument

DEFAULT_STUDENTS = 6_500_000
DEFAULT_SEED = 20260901
DEFAULT_PASSWORD = "Province-2026!"  # noqa: S105 - the documented password of generated logins
MARKER_TABLE = "province_seed"
PHONE_POOL = 16_384
ANSWER_POOL = 4_096
SCREENED_PER_MILLE = 920  # of the grade 4–12 students
CASES_PER_CENT_OF_PROPOSALS = 25  # ≈ 20 % proposals × 25 % ≈ 5 % of the screened
FAMILY_CONTACT_PER_CENT = 10  # of all students, besides every case student
REFERRED_PER_CENT = 10  # of the open 一级 / 二级 cases
LESSON_MONTHS = (9, 10, 11)

ALREADY_SEEDED = (
    "The database already holds students or org units: seed_province only fills an empty "
    "(migrated) database. Use --reset to empty the generated tables first (never on the demo)."
)

# TRUNCATE … CASCADE from these reaches every table that holds org-, user- or year-linked rows;
# the migration-seeded reference rows (instruments, checklist items, permissions) and the audit
# log (no foreign key) are kept.
RESET_ROOTS = ("orgs_orgunit", "accounts_user", "orgs_schoolyear")


@dataclass
class Report:
    phases: list[tuple[str, float, int]] = field(default_factory=list)
    logins: dict[str, str] = field(default_factory=dict)
    password: str = DEFAULT_PASSWORD
    database_bytes: int = 0
    students: int = 0

    def table(self) -> str:
        lines = [
            f"{name:<28} {seconds:8.1f} s {rows:>12,} rows" for name, seconds, rows in self.phases
        ]
        total = sum(seconds for _, seconds, _ in self.phases)
        lines.append(f"{'total':<28} {total:8.1f} s")
        return "\n".join(lines)


def _q(text: str) -> str:
    """A SQL string literal (only for the generator's own constants)."""
    return "'" + text.replace("'", "''") + "'"


def _array(values: Iterable[str]) -> str:
    return "ARRAY[" + ", ".join(_q(v) for v in values) + "]::text[]"


class _Hash:
    """SQL fragments for seeded pseudo-random integers from a natural key."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, key: str, salt: int, modulo: int) -> str:
        return (
            f"(((hashtextextended({key}, {self.seed * 97 + salt}) & 1073741823) %% {modulo})::int)"
        )


def holds_data() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM orgs_student) OR EXISTS (SELECT 1 FROM orgs_orgunit)"
        )
        return bool(cursor.fetchone()[0])


def reset() -> None:
    with connection.cursor() as cursor:
        # rows written earlier in the same transaction: their deferred checks run first (a table
        # with pending trigger events cannot be truncated)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {', '.join(RESET_ROOTS)} RESTART IDENTITY CASCADE")
        cursor.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")


def _reset_phase(_: Any) -> int:
    reset()
    return 0


def marker() -> dict[str, Any] | None:
    """What the last run stored (students asked, seed, year, logins), or None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(
            f"SELECT students, seed, year, logins, generated FROM {MARKER_TABLE} "  # noqa: S608
            "ORDER BY created_at DESC LIMIT 1"
        )
        row = cursor.fetchone()
    if row is None:
        return None
    logins = row[3] if isinstance(row[3], dict) else json.loads(row[3])
    return {
        "students": row[0],
        "seed": row[1],
        "year": row[2],
        "logins": logins,
        "generated": row[4],
    }


def _copy(cursor: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _enc(model: type, field_name: str, value: object) -> str:
    """The stored (encrypted) form of ``value`` in an encrypted column, made by the field."""
    return model._meta.get_field(field_name).get_prep_value(value)  # type: ignore[attr-defined]


def answer_pool(definition: dict[str, Any], code: str, seed: int) -> list[dict[str, Any]]:
    """``ANSWER_POOL`` PHQ-9 administrations drawn from a mixture (≈ 55 % minimal, 25 % mild,
    ≈ 20 % at 10 or more, 1.5 % item 9 positive), each scored and proposed by the app's code."""
    rng = random.Random(seed + 9)  # noqa: S311 - generated data
    pool = []
    for index in range(ANSWER_POOL):
        roll = rng.random()
        if roll < 0.55:
            answers = [rng.choice((0, 0, 0, 1)) for _ in range(8)] + [0]
        elif roll < 0.80:
            answers = [rng.choice((0, 1, 1, 1, 2)) for _ in range(8)] + [0]
        elif roll < 0.93:
            answers = [rng.choice((1, 1, 2)) for _ in range(8)] + [0]
        elif roll < 0.985:
            answers = [rng.choice((1, 2, 2, 3)) for _ in range(8)] + [0]
        else:
            answers = [rng.choice((0, 1, 2, 2, 3)) for _ in range(8)] + [rng.choice((1, 1, 2, 3))]
        outcome = scoring.score(definition, answers, instrument_code=code)
        proposal = risk.propose(code, outcome)
        pool.append(
            {
                "i": index,
                "answers": outcome.answers,
                "total": outcome.total,
                "band": outcome.band,
                "is_critical": outcome.is_critical,
                "level": proposal.level if proposal else "",
                "reasons": proposal.reasons if proposal else [],
            }
        )
    return pool


class _Generator:
    def __init__(self, *, students: int, seed: int, year: int, say: Callable[[str], None]) -> None:
        self.students = students
        self.seed = seed
        self.year = year
        self.say = say
        self.h = _Hash(seed)
        self.report = Report()
        self.plan: ProvincePlan | None = None
        self.reference_day = datetime.date(year, 12, 1)  # the data runs up to this day
        self.p: dict[str, Any] = {"ref": self.reference_day}

    def phase(self, name: str, work: Callable[[Any], int]) -> None:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            rows = work(cursor)
        seconds = time.perf_counter() - started
        self.report.phases.append((name, seconds, rows))
        self.say(f"{name:<28} {seconds:8.1f} s {rows:>12,} rows")

    # --- phases -------------------------------------------------------------------------------

    def school_year(self, cursor: Any) -> int:
        year, _ = SchoolYear.objects.update_or_create(
            name=f"{self.year}-{self.year + 1}",
            defaults={
                "start": datetime.date(self.year, 9, 1),
                "end": datetime.date(self.year + 1, 8, 31),
            },
        )
        shift = self.year - 2026
        semesters = []
        for term, start, end in SEMESTERS:
            semester, _ = Semester.objects.update_or_create(
                school_year=year,
                term=term,
                defaults={
                    "start": start.replace(year=start.year + shift),
                    "end": end.replace(year=end.year + shift),
                },
            )
            semesters.append(semester)
        self.p |= {
            "year_id": year.pk,
            "year_start": year.start,
            "semester_id": semesters[0].pk,
        }
        return 1 + len(semesters)

    def tree(self, cursor: Any) -> int:
        self.plan = plan(self.students, self.seed)
        code, name, name_en = PROVINCE
        columns = [
            "code",
            "name",
            "name_en",
            "kind",
            "parent_id",
            "path",
            "depth",
            "stage",
            "campus_count",
            "enrolled_count",
            "is_boarding",
            "is_active",
        ]

        def unit(
            code: str, name: str, kind: str, parent: tuple[int, str] | None, **extra: Any
        ) -> tuple[Any, ...]:
            path = f"{parent[1] if parent else '/'}{code}/"
            return (
                code,
                name,
                extra.get("name_en", ""),
                kind,
                parent[0] if parent else None,
                path,
                path.count("/") - 2,
                extra.get("stage", ""),
                1,
                extra.get("enrolled", 0),
                extra.get("boarding", False),
                True,
            )

        def ids(codes: Iterable[str]) -> dict[str, tuple[int, str]]:
            cursor.execute(
                "SELECT code, id, path FROM orgs_orgunit WHERE code = ANY(%s)", [list(codes)]
            )
            return {c: (i, p) for c, i, p in cursor.fetchall()}

        count = _copy(
            cursor, "orgs_orgunit", columns, [unit(code, name, "province", None, name_en=name_en)]
        )
        units = ids([code])
        cities = {c.city_code: c.city_name for c in self.plan.counties}
        count += _copy(
            cursor,
            "orgs_orgunit",
            columns,
            [
                unit(c, n, "city", units[code], name_en=CITY_EN.get(c, ""))
                for c, n in cities.items()
            ],
        )
        units |= ids(cities)
        count += _copy(
            cursor,
            "orgs_orgunit",
            columns,
            [unit(c.code, c.name, "county", units[c.city_code]) for c in self.plan.counties],
        )
        units |= ids(c.code for c in self.plan.counties)
        extra = []
        for c in self.plan.counties:
            prefix = f"{c.city_name}{c.name}"
            extra += [
                unit(
                    f"{c.code}C",
                    f"{prefix}中小学心理健康教育指导中心",
                    "county_center",
                    units[c.code],
                ),
                unit(f"{c.code}R", f"{prefix}教育研修院", "research", units[c.code]),
                unit(f"{c.code}H", f"{c.name}精神卫生中心", "institution", units[c.code]),
            ]
        count += _copy(cursor, "orgs_orgunit", columns, extra)
        count += _copy(
            cursor,
            "orgs_orgunit",
            columns,
            [
                unit(
                    s.code,
                    s.name,
                    "school",
                    units[s.county.code],
                    stage=s.stage,
                    enrolled=s.enrolled,
                    boarding=s.is_boarding,
                )
                for s in self.plan.schools
            ],
        )
        return count

    def classes(self, cursor: Any) -> int:
        assert self.plan is not None  # noqa: S101 - phases run in order
        cursor.execute(
            "CREATE TEMP TABLE _pc (school_code text, seq int, grade int, name text, size int, "
            "county_code text, first_serial int) ON COMMIT DROP"
        )
        rows = []
        serial: dict[str, int] = {}
        for school in self.plan.schools:
            county = school.county.code
            for seq, (grade, name, size) in enumerate(school.classes, start=1):
                first = serial.get(county, 0) + 1
                serial[county] = first + size - 1
                rows.append((school.code, seq, grade, name, size, county, first))
        _copy(
            cursor,
            "_pc",
            ["school_code", "seq", "grade", "name", "size", "county_code", "first_serial"],
            rows,
        )
        cursor.execute(
            """INSERT INTO orgs_schoolclass (school_id, school_year_id, grade, name)
               SELECT s.id, %(year_id)s, p.grade, p.name
               FROM _pc p JOIN orgs_orgunit s ON s.code = p.school_code
               ORDER BY p.school_code, p.seq""",
            self.p,
        )
        count = cursor.rowcount
        cursor.execute(
            "ALTER TABLE _pc ADD COLUMN klass_id bigint, ADD COLUMN school_id bigint, "
            "ADD COLUMN county_id bigint"
        )
        cursor.execute(
            """UPDATE _pc p SET klass_id = k.id, school_id = s.id, county_id = s.parent_id
               FROM orgs_orgunit s JOIN orgs_schoolclass k ON k.school_id = s.id
               WHERE s.code = p.school_code AND k.school_year_id = %(year_id)s
                 AND k.name = p.name""",
            self.p,
        )
        cursor.execute("ANALYZE _pc")
        return count

    def students_phase(self, cursor: Any) -> int:
        h = self.h
        key = "(p.county_code || '/' || n)"
        female, male = GIVEN_CHARS[Gender.FEMALE], GIVEN_CHARS[Gender.MALE]
        flags = [d.value for d in Disadvantage]
        cursor.execute(
            f"""INSERT INTO orgs_student (name, gender, birth_date, student_number, status,
                   disadvantages, created_at, updated_at, county_id, klass_id, school_id,
                   enrolled_on, left_on, left_reason)
               SELECT x.surname || x.given1 || x.given2, x.gender, x.birth,
                      'G' || x.county_code || to_char(x.birth, 'YYYY') || lpad(x.n::text, 7, '0'),
                      'enrolled',
                      CASE WHEN x.flag_roll < 10 THEN ARRAY[x.flag]::varchar(20)[]
                           ELSE '{{}}'::varchar(20)[] END,
                      now(), now(), x.county_id, x.klass_id, x.school_id, NULL, NULL, ''
               FROM (
                 SELECT p.county_code, p.county_id, p.klass_id, p.school_id, n,
                        substr({_q(SURNAMES)}, 1 + {h(key, 1, len(SURNAMES))}::int, 1) AS surname,
                        CASE WHEN {h(key, 2, 2)} = 0 THEN 'F' ELSE 'M' END AS gender,
                        CASE WHEN {h(key, 2, 2)} = 0
                             THEN substr({_q(female)}, 1 + {h(key, 3, len(female))}::int, 1)
                             ELSE substr({_q(male)}, 1 + {h(key, 3, len(male))}::int, 1) END
                          AS given1,
                        CASE WHEN {h(key, 4, 10)} >= 7 THEN ''
                             WHEN {h(key, 2, 2)} = 0
                             THEN substr({_q(female)}, 1 + {h(key, 5, len(female))}::int, 1)
                             ELSE substr({_q(male)}, 1 + {h(key, 5, len(male))}::int, 1) END
                          AS given2,
                        make_date({self.year} - 6 - p.grade, 9, 1) + {h(key, 6, 365)}::int
                          AS birth,
                        {h(key, 7, 100)} AS flag_roll,
                        ({_array(flags)})[1 + {h(key, 8, len(flags))}] AS flag
                 FROM _pc p CROSS JOIN LATERAL
                      generate_series(p.first_serial, p.first_serial + p.size - 1) n
                 ORDER BY p.county_code, n
               ) x""",  # noqa: S608 - the generator's own constants
            self.p,
        )
        return int(cursor.rowcount)

    def guardians_phase(self, cursor: Any) -> int:
        h = self.h
        tokens = [
            _enc(Guardian, "phone", phone)
            for phone in _phones(random.Random(self.seed + 3), PHONE_POOL)  # noqa: S311
        ]
        cursor.execute("CREATE TEMP TABLE _phone (i int PRIMARY KEY, token text) ON COMMIT DROP")
        _copy(cursor, "_phone", ("i", "token"), enumerate(tokens))
        key = "s.student_number"
        adult = ADULT_GIVEN
        cursor.execute(
            f"""INSERT INTO orgs_guardian (name, relation, phone, is_primary, school_id, student_id)
               SELECT g.name, g.relation, ph.token, g.k = 1, g.school_id, g.id
               FROM (
                 SELECT s.id, s.school_id, k, r.relation,
                        CASE WHEN r.relation = 'mother'
                             THEN substr({_q(SURNAMES)}, 1 + {h(key, 21, len(SURNAMES))}::int, 1)
                             ELSE substr(s.name, 1, 1) END
                        || substr({_q(adult)}, 1 + {h(key + " || k", 22, len(adult))}::int, 1)
                        || CASE WHEN {h(key + " || k", 23, 2)} = 0
                                THEN substr({_q(adult)},
                                            1 + {h(key + " || k", 24, len(adult))}::int, 1)
                                ELSE '' END AS name,
                        {h(key + " || k", 25, PHONE_POOL)} AS phone_index
                 FROM orgs_student s
                 CROSS JOIN LATERAL (SELECT {h(key, 20, 100)} AS roll) o
                 CROSS JOIN generate_series(1, 2) k
                 CROSS JOIN LATERAL (SELECT CASE
                     WHEN 'left_behind' = ANY(s.disadvantages) THEN
                          CASE WHEN k = 1 THEN 'grandparent' END
                     WHEN 'single_parent' = ANY(s.disadvantages) THEN
                          CASE WHEN k = 1 AND o.roll < 50 THEN 'mother'
                               WHEN k = 1 THEN 'father' END
                     WHEN o.roll < 55 THEN CASE WHEN k = 1 THEN 'mother' ELSE 'father' END
                     WHEN o.roll < 80 THEN CASE WHEN k = 1 THEN 'mother' END
                     ELSE CASE WHEN k = 1 THEN 'father' END END AS relation) r
                 WHERE r.relation IS NOT NULL
                 ORDER BY s.id, k
               ) g JOIN _phone ph ON ph.i = g.phone_index""",  # noqa: S608 - the generator's own constants
            self.p,
        )
        return int(cursor.rowcount)

    def staff(self, cursor: Any) -> int:
        assert self.plan is not None  # noqa: S101
        hashed = make_password(self.report.password)
        self.p["pw"] = hashed
        # username, display name, unit code, role, class (school code, seq) for homeroom teachers
        cursor.execute(
            "CREATE TEMP TABLE _staff (username text, display text, unit_code text, role text, "
            "class_seq int) ON COMMIT DROP"
        )
        rows: list[tuple[Any, ...]] = []
        for c in self.plan.counties:
            rows += [
                (f"center_{c.code}", f"{c.name}心理中心老师", c.code, Role.COUNTY_CENTER, None),
                (f"official_{c.code}", f"{c.name}教育局科长", c.code, Role.OFFICIAL, None),
                (f"supervisor_{c.code}", f"{c.name}督导", c.code, Role.SUPERVISOR, None),
                (
                    f"institution_{c.code}",
                    f"{c.name}精神卫生中心医生",
                    f"{c.code}H",
                    Role.INSTITUTION_STAFF,
                    None,
                ),
            ]
        for city_code, city_name in {c.city_code: c.city_name for c in self.plan.counties}.items():
            rows.append(
                (f"official_{city_code}", f"{city_name}教育局处长", city_code, Role.OFFICIAL, None)
            )
        rows += [
            ("official_33", "浙江省教育厅处长", "33", Role.OFFICIAL, None),
            ("platform_admin", "平台管理员", "33", Role.PLATFORM_ADMIN, None),
            ("auditor", "审计员（省）", "33", Role.AUDITOR, None),
        ]
        for s in self.plan.schools:
            rows += [
                (f"psych_{s.code}", f"心理老师（{s.name}）", s.code, Role.PSYCH_TEACHER, None),
                (f"leader_{s.code}", f"校长（{s.name}）", s.code, Role.SCHOOL_LEADER, None),
            ]
            rows += [
                (
                    f"homeroom_{s.code}_{seq:03d}",
                    f"班主任（{name}）",
                    s.code,
                    Role.HOMEROOM_TEACHER,
                    seq,
                )
                for seq, (_, name, _) in enumerate(s.classes, start=1)
            ]
        _copy(cursor, "_staff", ["username", "display", "unit_code", "role", "class_seq"], rows)
        cursor.execute(
            """INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                   email, is_staff, is_active, date_joined, display_name, phone, language,
                   password_changed_at, session_epoch)
               SELECT %(pw)s, false, username, '', '', username || '@province.mhcare.invalid',
                      role = 'platform_admin', true, now(), display, '', 'zh-hans', now(), 0
               FROM _staff ORDER BY username""",
            self.p,
        )
        count = cursor.rowcount
        cursor.execute(
            """INSERT INTO accounts_roleassignment (role, is_active, created_at, klass_id,
                   org_unit_id, user_id)
               SELECT st.role, true, now(), p.klass_id, o.id, u.id
               FROM _staff st JOIN accounts_user u ON u.username = st.username
               JOIN orgs_orgunit o ON o.code = st.unit_code
               LEFT JOIN _pc p ON p.school_code = st.unit_code AND p.seq = st.class_seq
               ORDER BY u.id"""
        )
        cursor.execute(
            """UPDATE orgs_schoolclass k SET homeroom_teacher_id = u.id
               FROM _pc p JOIN accounts_user u
                 ON u.username = 'homeroom_' || p.school_code || '_' || lpad(p.seq::text, 3, '0')
               WHERE k.id = p.klass_id"""
        )
        # each school's psychology teacher and leader, for the rows they write below
        cursor.execute(
            """CREATE TEMP TABLE _school ON COMMIT DROP AS
               SELECT s.id AS school_id, s.code, s.parent_id AS county_id, c.code AS county_code,
                      psy.id AS psych_id, psy.display_name AS psych_name, lead.id AS leader_id
               FROM orgs_orgunit s JOIN orgs_orgunit c ON c.id = s.parent_id
               JOIN accounts_user psy ON psy.username = 'psych_' || s.code
               JOIN accounts_user lead ON lead.username = 'leader_' || s.code
               WHERE s.kind = 'school'"""
        )
        cursor.execute("ALTER TABLE _school ADD PRIMARY KEY (school_id)")
        cursor.execute(
            """INSERT INTO staffing_mhteacher (name, kind, start_date, end_date, psychology_degree,
                   certificate_level, certificate_date, homeroom_equal_treatment, created_at,
                   updated_at, created_by_id, school_id, user_id)
               SELECT psych_name, 'fulltime', %(year_start)s - 365, NULL, true, '', NULL, false,
                      now(), now(), NULL, school_id, psych_id
               FROM _school ORDER BY school_id""",
            self.p,
        )
        self.report.logins = self._logins()
        return int(count)

    def _logins(self) -> dict[str, str]:
        """One login per role for the benches: in the county with the most students, its
        largest school (and that school's first class)."""
        assert self.plan is not None  # noqa: S101
        by_county: dict[str, int] = {}
        for s in self.plan.schools:
            by_county[s.county.code] = by_county.get(s.county.code, 0) + s.enrolled
        county = max(by_county, key=lambda c: (by_county[c], c))
        school = max(
            (s for s in self.plan.schools if s.county.code == county),
            key=lambda s: (s.enrolled, s.code),
        )
        city = next(c.city_code for c in self.plan.counties if c.code == county)
        return {
            Role.PSYCH_TEACHER: f"psych_{school.code}",
            Role.SCHOOL_LEADER: f"leader_{school.code}",
            Role.HOMEROOM_TEACHER: f"homeroom_{school.code}_001",
            Role.COUNTY_CENTER: f"center_{county}",
            Role.OFFICIAL: f"official_{county}",
            "city_official": f"official_{city}",
            "province_official": "official_33",
            Role.SUPERVISOR: f"supervisor_{county}",
            Role.INSTITUTION_STAFF: f"institution_{county}",
            Role.PLATFORM_ADMIN: "platform_admin",
            Role.AUDITOR: "auditor",
        }

    def screening(self, cursor: Any) -> int:
        instrument = Instrument.objects.latest_of("PHQ-9")
        if instrument is None:
            raise RuntimeError("PHQ-9 is missing: run the migrations first")
        pool = answer_pool(instrument.definition, instrument.code, self.seed)
        cursor.execute(
            "CREATE TEMP TABLE _answers (i int PRIMARY KEY, answers smallint[], total smallint, "
            "band text, is_critical bool, level text, reasons text[]) ON COMMIT DROP"
        )
        _copy(
            cursor,
            "_answers",
            ["i", "answers", "total", "band", "is_critical", "level", "reasons"],
            [
                (
                    a["i"],
                    a["answers"],
                    a["total"],
                    a["band"],
                    a["is_critical"],
                    a["level"],
                    a["reasons"],
                )
                for a in pool
            ],
        )
        self.p |= {"instrument": instrument.pk}
        cursor.execute(
            """INSERT INTO screening_campaign (name, target_grades, window_start, window_end,
                   allow_self_screening, created_at, created_by_id, org_unit_id, school_year_id,
                   semester_id)
               SELECT %(year_name)s || ' 学年秋季心理健康筛查（' || c.name || '）',
                      '{4,5,6,7,8,9,10,11,12}', %(year_start)s + 14, %(year_start)s + 60, false,
                      now(), u.id, c.id, %(year_id)s, %(semester_id)s
               FROM orgs_orgunit c JOIN accounts_user u ON u.username = 'center_' || c.code
               WHERE c.kind = 'county' ORDER BY c.code""",
            self.p | {"year_name": f"{self.year}-{self.year + 1}"},
        )
        cursor.execute(
            """INSERT INTO screening_campaigninstrument (grade_min, grade_max, campaign_id,
                   instrument_id)
               SELECT 4, 12, id, %(instrument)s FROM screening_campaign
               WHERE school_year_id = %(year_id)s ORDER BY id""",
            self.p,
        )
        h = self.h
        key = "s.student_number"
        cursor.execute(
            f"""INSERT INTO screening_screeningresult (answers, total, band, is_critical,
                   administered_on, created_at, county_id, entered_by_id, instrument_id,
                   school_id, student_id, scores, source, campaign_id)
               SELECT a.answers, a.total, a.band, a.is_critical,
                      %(year_start)s + 14 + {h(key, 31, 45)}::int, now(), s.county_id, sc.psych_id,
                      %(instrument)s, s.school_id, s.id, '{{}}', 'import', cp.id
               FROM orgs_student s
               JOIN orgs_schoolclass k ON k.id = s.klass_id
               JOIN _school sc ON sc.school_id = s.school_id
               JOIN screening_campaign cp ON cp.org_unit_id = s.county_id
                    AND cp.school_year_id = %(year_id)s
               JOIN _answers a ON a.i = {h(key, 32, ANSWER_POOL)}
               WHERE k.grade BETWEEN 4 AND 12 AND {h(key, 30, 1000)} < {SCREENED_PER_MILLE}
               ORDER BY s.id""",  # noqa: S608 - the generator's own constants
            self.p,
        )
        count = int(cursor.rowcount)
        # the proposals of the results that propose a level; those that become cases (below)
        # are confirmed
        cursor.execute(
            f"""INSERT INTO screening_riskproposal (level, reasons, status, created_at, county_id,
                   school_id, student_id, source_result_id)
               SELECT a.level, a.reasons,
                      CASE WHEN {h(key, 40, 100)} < {CASES_PER_CENT_OF_PROPOSALS}
                           THEN 'confirmed' ELSE 'pending' END,
                      now(), r.county_id, r.school_id, r.student_id, r.id
               FROM screening_screeningresult r JOIN orgs_student s ON s.id = r.student_id
               JOIN _answers a ON a.answers = r.answers AND a.level <> ''
                    AND a.i = {h(key, 32, ANSWER_POOL)}
               WHERE r.campaign_id IS NOT NULL ORDER BY r.id""",  # noqa: S608 - the generator's own constants
            self.p,
        )
        return count + int(cursor.rowcount)

    def cases(self, cursor: Any) -> int:
        h = self.h
        key = "s.student_number"
        reasons = [_enc(Case, "open_reason", text) for text in OPEN_REASONS]
        self.p |= {
            "reasons": reasons,
            "close": _enc(Case, "close_reason", "随访稳定，评估后结案"),
            "empty": "",
            "c1": cadence_days("1"),
            "c2": cadence_days("2"),
            "c3": cadence_days("3"),
            "event_reason": _enc(CaseEvent, "reason", "筛查结果经评估确认"),
            "payload": _enc(CaseReport, "payload", {"generated": True}),
            "response": _enc(CaseReport, "response", {}),
            "states": [_enc(FollowUp, "state_observed", t) for t in FOLLOW_UP_STATES],
            "actions": _enc(FollowUp, "actions", "与学生谈话，联系家长"),
            "with_whom": [_enc(FamilyContact, "with_whom", t) for t in ("母亲", "父亲", "祖父母")],
            "topics": _enc(FamilyContact, "topics", "在校情况与家庭支持"),
        }
        # level: the proposal's, one critical case in ten raised to 一级; status: 15 % closed,
        # 15 % monitoring, the rest open
        cursor.execute(
            f"""INSERT INTO crisis_case (level, status, source, opened_on, open_reason, closed_on,
                   close_reason, level_confirmed_at, next_follow_up_due, version, created_at,
                   updated_at, county_id, responsible_id, school_id, student_id)
               SELECT x.level, x.status, 'screening', x.opened_on,
                      (%(reasons)s::text[])[1 + (x.h5 %% 4)::int],
                      CASE WHEN x.status = 'closed'
                           THEN LEAST(x.opened_on + 30 + (x.h5 %% 30)::int, %(ref)s) END,
                      CASE WHEN x.status = 'closed' THEN %(close)s ELSE '' END,
                      (x.opened_on + time '10:00') AT TIME ZONE 'Asia/Shanghai', NULL, 1, now(),
                      now(), x.county_id, x.psych_id, x.school_id, x.student_id
               FROM (
                 SELECT CASE WHEN 'phq9_item9' = ANY(p.reasons) AND {h(key, 41, 10)} = 0 THEN '1'
                             ELSE p.level END AS level,
                        CASE WHEN {h(key, 42, 100)} < 15 THEN 'closed'
                             WHEN {h(key, 42, 100)} < 30 THEN 'monitoring'
                             ELSE 'open' END AS status,
                        r.administered_on + 1 + {h(key, 43, 5)}::int AS opened_on,
                        {h(key, 44, 1000)} AS h5,
                        p.county_id, p.school_id, p.student_id, sc.psych_id
                 FROM screening_riskproposal p
                 JOIN screening_screeningresult r ON r.id = p.source_result_id
                 JOIN orgs_student s ON s.id = p.student_id
                 JOIN _school sc ON sc.school_id = p.school_id
                 WHERE p.status = 'confirmed' ORDER BY p.id
               ) x""",  # noqa: S608 - the generator's own constants
            self.p,
        )
        count = int(cursor.rowcount)
        # a few referrals: one open 一级 / 二级 case in ten is referred to the county's institution
        cursor.execute(
            f"""UPDATE crisis_case c SET status = 'referred'
                FROM orgs_student s
                WHERE s.id = c.student_id AND c.status = 'open' AND c.level IN ('1', '2')
                  AND {h(key, 45, 100)} < {REFERRED_PER_CENT}""",  # noqa: S608 - the generator's own constants
            self.p,
        )
        cursor.execute(
            """INSERT INTO crisis_caseevent (kind, from_level, to_level, from_status, to_status,
                   reason, at, actor_id, case_id, school_id, review_id)
               SELECT 'opened', '', c.level, '', 'open', %(event_reason)s, c.level_confirmed_at,
                      c.responsible_id, c.id, c.school_id, NULL
               FROM crisis_case c ORDER BY c.id""",
            self.p,
        )
        count += int(cursor.rowcount)
        cursor.execute(
            """INSERT INTO crisis_casereport (version, level, payload, due_by, status, attempts,
                   last_error, next_attempt_at, sent_at, response, created_at, case_id, county_id,
                   school_id)
               SELECT 1, c.level, %(payload)s, c.level_confirmed_at + interval '24 hours',
                      'sent', 1,
                      '', NULL, c.level_confirmed_at + (c.id %% 20) * interval '1 hour',
                      %(response)s, now(), c.id, c.county_id, c.school_id
               FROM crisis_case c WHERE c.level IN ('1', '2') ORDER BY c.id""",
            self.p,
        )
        count += int(cursor.rowcount)
        cadence = "CASE c.level WHEN '1' THEN %(c1)s WHEN '2' THEN %(c2)s ELSE %(c3)s END"
        cursor.execute(
            f"""INSERT INTO crisis_followup (done_on, way, state_observed, actions, next_due,
                   created_at, by_id, case_id, school_id, student_id)
               SELECT f.done_on,
                      (ARRAY['talk', 'phone', 'with_parents', 'talk'])[1 + ((c.id + k) %% 4)::int],
                      (%(states)s::text[])[1 + ((c.id + k) %% 3)::int], %(actions)s,
                      f.done_on + {cadence}, now(), c.responsible_id, c.id, c.school_id,
                      c.student_id
               FROM crisis_case c CROSS JOIN generate_series(1, 3) k
               CROSS JOIN LATERAL (SELECT c.opened_on + (k - 1) * {cadence} AS done_on) f
               WHERE k <= 1 + c.id %% 3
                 AND f.done_on <= LEAST(coalesce(c.closed_on, %(ref)s), %(ref)s)
               ORDER BY c.id, k""",  # noqa: S608 - the generator's own constants
            self.p,
        )
        count += int(cursor.rowcount)
        cursor.execute(
            f"""UPDATE crisis_case c SET next_follow_up_due = f.last + {cadence}
                FROM (SELECT case_id, max(done_on) AS last FROM crisis_followup GROUP BY case_id) f
                WHERE f.case_id = c.id AND c.status <> 'closed'""",  # noqa: S608 - the generator's own constants
            self.p,
        )
        # family contacts: every case student, and one student in ten, by the class's homeroom
        # teacher, in the autumn semester
        cursor.execute(
            f"""INSERT INTO crisis_familycontact (contacted_on, way, with_whom, topics, created_at,
                   by_id, klass_id, school_id, semester_id, student_id, submission_token)
               SELECT LEAST(%(year_start)s + 5 + {h(key, 50, 80)}::int, %(ref)s),
                      (ARRAY['phone', 'visit', 'school_meeting', 'video', 'online'])
                          [1 + {h(key, 51, 5)}],
                      (%(with_whom)s::text[])[1 + {h(key, 52, 3)}], %(topics)s, now(),
                      coalesce(k.homeroom_teacher_id, sc.psych_id), s.klass_id, s.school_id,
                      %(semester_id)s, s.id, NULL
               FROM orgs_student s JOIN orgs_schoolclass k ON k.id = s.klass_id
               JOIN _school sc ON sc.school_id = s.school_id
               WHERE {h(key, 53, 100)} < {FAMILY_CONTACT_PER_CENT}
                  OR EXISTS (SELECT 1 FROM crisis_case c WHERE c.student_id = s.id)
               ORDER BY s.id""",  # noqa: S608 - the generator's own constants
            self.p,
        )
        count += int(cursor.rowcount)
        return count

    def referrals(self, cursor: Any) -> int:
        self.p |= {
            "ref_reason": _enc(Referral, "reason", "持续情绪低落，需专业评估"),
            "guardian": _enc(Referral, "consent_guardian", "母亲"),
        }
        cursor.execute(
            """INSERT INTO referrals_institution (level, departments, contact_name, contact_phone,
                   address, is_accepting, agreement_since, updated_at, county_id, unit_id)
               SELECT 'specialized', '儿童青少年心理科', '', '', '', true, %(year_start)s - 365,
                      now(), h.parent_id, h.id
               FROM orgs_orgunit h WHERE h.kind = 'institution' ORDER BY h.code""",
            self.p,
        )
        count = int(cursor.rowcount)
        cursor.execute(
            """INSERT INTO referrals_referral (state, urgency, reason, observations, created_at,
                   updated_at, consent_at, consent_guardian, consent_way, consent_scan,
                   consent_scan_name, consent_scan_type, override_at, override_reason, sent_at,
                   accepted_at, declined_at, decline_reason, treatment_started_at, feedback_at,
                   assessment_summary, diagnosis, recommendations, return_advice, return_cleared,
                   certificate_at, certificate_note, returned_at, return_plan, return_plan_at,
                   closed_at, withdrawn_at, withdraw_reason, case_id, consent_recorded_by_id,
                   county_id, feedback_by_id, institution_id, made_by_id, override_by_id,
                   school_id, student_id)
               SELECT 'sent', CASE c.level WHEN '1' THEN 'urgent' ELSE 'priority' END,
                      %(ref_reason)s, '', now(), now(), c.level_confirmed_at + interval '1 day',
                      %(guardian)s, 'in_person', '', '', '', NULL, '',
                      c.level_confirmed_at + interval '2 days', NULL, NULL, '', NULL, NULL, '',
                      '', '', '', false, NULL, '', NULL, '', NULL, NULL, NULL, '', c.id,
                      c.responsible_id, c.county_id, NULL, i.id, c.responsible_id, NULL,
                      c.school_id, c.student_id
               FROM crisis_case c JOIN referrals_institution i ON i.county_id = c.county_id
               WHERE c.status = 'referred' ORDER BY c.id""",
            self.p,
        )
        return count + int(cursor.rowcount)

    def lessons_and_rooms(self, cursor: Any) -> int:
        months = [datetime.date(self.year, m, 1) for m in LESSON_MONTHS]
        self.p |= {"months": months}
        # two 1-hour MH lessons a month (the 8th and the 22nd) for 85 % of the classes, one for
        # the others; one batch per school and day (a teacher logs a lesson for several classes)
        cursor.execute(
            f"""INSERT INTO staffing_lesson (given_on, month, hours, topic, teacher_name, batch,
                   source, created_at, county_id, klass_id, recorded_by_id, school_id, teacher_id)
               SELECT m + d, m, 1, '心理健康课', sc.psych_name,
                      md5(sc.code || (m + d)::text)::uuid, 'import', now(), sc.county_id,
                      p.klass_id,
                      sc.psych_id, sc.school_id, sc.psych_id
               FROM _pc p JOIN _school sc ON sc.school_id = p.school_id
               CROSS JOIN unnest(%(months)s::date[]) m CROSS JOIN (VALUES (7), (21)) v(d)
               WHERE d = 7 OR {self.h("p.school_code || p.seq", 60, 100)} < 85
               ORDER BY p.klass_id, m, d""",  # noqa: S608 - the generator's own constants
            self.p,
        )
        count = int(cursor.rowcount)
        cursor.execute(
            """INSERT INTO counseling_counselingroom (name, place, standards, capacity, is_active,
                   created_at, updated_at, county_id, unit_id)
               SELECT '心理辅导室', '行政楼二楼', '{individual,privacy,files,signage}', 1, true,
                      now(),
                      now(), sc.county_id, sc.school_id
               FROM _school sc ORDER BY sc.school_id"""
        )
        count += int(cursor.rowcount)
        cursor.execute(
            """INSERT INTO counseling_counselingroom (name, place, standards, capacity, is_active,
                   created_at, updated_at, county_id, unit_id)
               SELECT r.name, '中心一楼', r.standards::varchar(20)[], r.capacity, true, now(),
                      now(),
                      c.parent_id, c.id
               FROM orgs_orgunit c CROSS JOIN (VALUES
                   ('个体咨询室', '{individual,privacy,files,signage,assessment}', 1),
                   ('团体活动室', '{group,relaxation,sandplay,signage}', 12))
                   r(name, standards, capacity)
               WHERE c.kind = 'county_center' ORDER BY c.code, r.name"""
        )
        return count + int(cursor.rowcount)

    def finish(self, cursor: Any) -> int:
        # dropped at commit anyway; dropped now for a caller's enclosing transaction (tests)
        cursor.execute("DROP TABLE IF EXISTS _pc, _phone, _staff, _school, _answers")
        cursor.execute(
            f"""CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (students integer NOT NULL,
                   seed bigint NOT NULL, year integer NOT NULL, logins jsonb NOT NULL,
                   generated integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"""
        )
        cursor.execute("SELECT count(*) FROM orgs_student")
        self.report.students = int(cursor.fetchone()[0])
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (students, seed, year, logins, generated) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s)",
            [
                self.students,
                self.seed,
                self.year,
                json.dumps(self.report.logins),
                self.report.students,
            ],
        )
        return 1


OPEN_REASONS = (
    "PHQ-9 筛查中度以上，访谈确认情绪低落",
    "PHQ-9 第 9 题阳性，访谈确认有轻生念头",
    "筛查结果偏高，班主任反映近期退缩",
    "筛查结果偏高，家长反映睡眠差",
)
FOLLOW_UP_STATES = ("情绪较前平稳", "仍有低落，睡眠改善", "状态稳定，按时到校")


def _phones(rng: random.Random, count: int) -> list[str]:
    return [
        f"1{rng.choice('3589')}{rng.randrange(10)}{rng.randrange(100_000_000):08d}"
        for _ in range(count)
    ]


def _big_table_indexes(cursor: Any, tables: Sequence[str]) -> list[tuple[str, str]]:
    """The non-unique indexes of ``tables`` that back no constraint: (name, definition)."""
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(x.indexrelid)
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class t ON t.oid = x.indrelid
           WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
           ORDER BY t.relname, i.relname""",
        [list(tables)],
    )
    return list(cursor.fetchall())


BIG_TABLES = (
    "orgs_student",
    "orgs_guardian",
    "screening_screeningresult",
    "screening_riskproposal",
    "crisis_familycontact",
    "staffing_lesson",
)
# The tables the generator fills with more than a few rows: their foreign keys are dropped for the
# load and added back after, so that PostgreSQL checks each one with a single join rather than
# one deferred trigger event per row (the load checks every row either way).
LOADED_TABLES = (
    *BIG_TABLES,
    "orgs_schoolclass",
    "accounts_roleassignment",
    "crisis_case",
    "crisis_caseevent",
    "crisis_casereport",
    "crisis_followup",
    "staffing_mhteacher",
)


def _foreign_keys(cursor: Any, tables: Sequence[str]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the foreign keys of ``tables``."""
    cursor.execute(
        """SELECT t.relname, c.conname, pg_get_constraintdef(c.oid)
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           WHERE c.contype = 'f' AND t.relname = ANY(%s)
           ORDER BY t.relname, c.conname""",
        [list(tables)],
    )
    return list(cursor.fetchall())


def seed_province(
    *,
    students: int = DEFAULT_STUDENTS,
    seed: int = DEFAULT_SEED,
    year: int = 2026,
    reset_first: bool = False,
    drop_indexes: bool = True,
    say: Callable[[str], None] = lambda _: None,
) -> Report:
    """Generate the province in one transaction (a failure leaves the database as it was).
    ``drop_indexes``: drop the plain indexes of the big tables and the foreign keys of the loaded
    tables for the load, then rebuild the indexes and add the keys back (each checked over the
    whole table at once); faster from a few thousand students, see bench/README.md."""
    generator = _Generator(students=students, seed=seed, year=year, say=say)
    with transaction.atomic():
        if reset_first:
            generator.phase("reset", _reset_phase)
        elif holds_data():
            raise RuntimeError(ALREADY_SEEDED)
        dropped: list[tuple[str, str]] = []
        foreign_keys: list[tuple[str, str, str]] = []
        if drop_indexes:
            with connection.cursor() as cursor:
                dropped = _big_table_indexes(cursor, BIG_TABLES)
                for name, _ in dropped:
                    cursor.execute(f'DROP INDEX "{name}"')
                foreign_keys = _foreign_keys(cursor, LOADED_TABLES)
                for table, name, _ in foreign_keys:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        generator.phase("school year", generator.school_year)
        generator.phase("org tree and schools", generator.tree)
        generator.phase("classes", generator.classes)
        generator.phase("students", generator.students_phase)
        generator.phase("guardians", generator.guardians_phase)
        generator.phase("staff and roles", generator.staff)
        generator.phase("screening and proposals", generator.screening)
        generator.phase("cases, follow-ups, contacts", generator.cases)
        generator.phase("institutions, referrals", generator.referrals)
        generator.phase("lessons and rooms", generator.lessons_and_rooms)

        def rebuild(cursor: Any) -> int:
            # the deferred foreign-key checks run now (an index cannot be built over a table
            # with pending trigger events)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _, definition in dropped:
                cursor.execute(definition)
            return len(dropped)

        def restore_foreign_keys(cursor: Any) -> int:
            for table, name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            return len(foreign_keys)

        if drop_indexes:
            generator.phase("rebuild indexes", rebuild)
            generator.phase("check foreign keys", restore_foreign_keys)
        generator.phase("marker", generator.finish)
        committing = time.perf_counter()
    # the commit runs the deferred foreign-key checks of whatever was loaded with its keys on
    generator.report.phases.append(("commit", time.perf_counter() - committing, 0))
    say(f"{'commit':<28} {time.perf_counter() - committing:8.1f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        generator.report.phases.append(("analyze", time.perf_counter() - started, 0))
        say(f"{'analyze':<28} {time.perf_counter() - started:8.1f} s")
        cursor.execute("SELECT pg_database_size(current_database())")
        generator.report.database_bytes = int(cursor.fetchone()[0])
    return generator.report
