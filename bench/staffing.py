"""Benchmark of the staffing status of every school under a unit (``staffing.teachers.rule.
school_staffing``, what the county page and ``GET /api/v1/staffing/schools/`` run) against one
hand-written SQL statement returning the same rows.

    DATABASE_URL=postgres://… .venv/bin/python bench/staffing.py [--schools 8000] [--runs 7]

Creates (once) a bench province ``BS`` with 20 counties and N schools (campuses and stages
varied), about 100 students per school (one school in 40 has 1 000, a few of them with students
who joined or left around the day) and MH teacher posts (full-time in most schools, some ended,
some part-time). Then times, alternating, the app's computation and the hand-written SQL on the
whole province, checks that both give the same rows (code, students, campuses, stage, required,
full-time teachers, status) and prints min / median of each and the ratio.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhcare.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from mhcare.orgs.models import MULTI_STAGE, OrgKind, OrgUnit, SchoolYear  # noqa: E402
from staffing.teachers import rule  # noqa: E402

DAY = datetime.date(2025, 3, 1)  # between the two deadlines: every branch of the rule is used
PROVINCE = "BS"
COUNTIES = 20
STAGES = ["primary", "junior", "senior", "nine_year", "complete_secondary", "twelve_year"]


def _unit(code: str, name: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        unit = OrgUnit(code=code, name=name, kind=kind, parent=parent)
        unit.save()
    return unit


@transaction.atomic
def ensure_data(schools: int) -> OrgUnit:
    province = _unit(PROVINCE, "基准省（师资）", OrgKind.PROVINCE, None)
    have = OrgUnit.objects.filter(path__startswith=province.path, kind=OrgKind.SCHOOL).count()
    if have >= schools:
        _teachers(province)
        return province
    year, _ = SchoolYear.objects.get_or_create(
        name="2024-2025",
        defaults={"start": datetime.date(2024, 9, 1), "end": datetime.date(2025, 8, 31)},
    )
    counties = [
        _unit(f"{PROVINCE}{c:02d}", f"基准县{c}", OrgKind.COUNTY, province) for c in range(COUNTIES)
    ]
    with connection.cursor() as cur:
        for index, county in enumerate(counties):
            per = schools // COUNTIES
            cur.execute(
                """
                INSERT INTO orgs_orgunit (code, name, name_en, kind, parent_id, path, depth, stage,
                    campus_count, enrolled_count, is_boarding, is_active)
                SELECT %(county)s || lpad(g::text, 5, '0'), '基准学校' || g, '', 'school', %(id)s,
                    %(path)s || %(county)s || lpad(g::text, 5, '0') || '/', 2,
                    (ARRAY['primary','junior','senior','primary','junior','nine_year',
                           'complete_secondary','twelve_year'])[1 + (g + %(i)s) %% 8],
                    CASE WHEN (g + %(i)s) %% 13 = 0 THEN 2 ELSE 1 END, 0, false, true
                FROM generate_series(1, %(per)s) g
                """,
                {
                    "county": county.code,
                    "id": county.pk,
                    "path": county.path,
                    "per": per,
                    "i": index,
                },
            )
        cur.execute(
            """
            INSERT INTO orgs_schoolclass (school_id, school_year_id, grade, name)
            SELECT id, %s, 8, '八(1)班' FROM orgs_orgunit
            WHERE kind = 'school' AND path LIKE %s
            """,
            [year.pk, province.path + "%"],
        )
        # ~100 students a school; one school in 40 has 1 000 (half of those with one who left
        # the day before DAY and one who joins the day after: 1 000 on DAY either way round).
        cur.execute(
            """
            INSERT INTO orgs_student (school_id, county_id, klass_id, name, gender, birth_date,
                student_number, status, disadvantages, enrolled_on, left_on, created_at, updated_at)
            SELECT c.school_id, u.parent_id, c.id, '学生', 'F', DATE '2012-05-01',
                'BS' || c.school_id || 'N' || g, 'enrolled', '{}',
                CASE WHEN g = 1001 THEN %(after)s::date END,
                CASE WHEN g = 1002 THEN %(before)s::date END,
                now(), now()
            FROM orgs_schoolclass c JOIN orgs_orgunit u ON u.id = c.school_id
            CROSS JOIN LATERAL generate_series(1,
                CASE WHEN c.school_id %% 40 = 0 THEN 1000 + 2 * (c.school_id %% 2)
                     ELSE 60 + c.school_id %% 80 END) g
            WHERE u.path LIKE %(path)s
            """,
            {
                "path": province.path + "%",
                "after": DAY + datetime.timedelta(days=1),
                "before": DAY,
            },
        )
    _teachers(province)
    return province


def _teachers(province: OrgUnit) -> None:
    """MH teacher posts (once): full-time in most schools, some part-time, some ended."""
    from staffing.models import MHTeacher

    if MHTeacher.objects.filter(school__path__startswith=province.path).exists():
        return
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO staffing_mhteacher (school_id, name, kind, start_date, end_date,
                psychology_degree, certificate_level, homeroom_equal_treatment, created_at,
                updated_at)
            SELECT id, '教师' || id,
                CASE WHEN id %% 5 = 0 THEN 'parttime' ELSE 'fulltime' END,
                DATE '2023-09-01',
                CASE WHEN id %% 7 = 0 THEN %(ended)s::date END,
                false, '', false, now(), now()
            FROM orgs_orgunit WHERE kind = 'school' AND path LIKE %(path)s AND id %% 11 <> 0
            """,
            {"path": province.path + "%", "ended": DAY - datetime.timedelta(days=1)},
        )
        cur.execute("ANALYZE orgs_orgunit; ANALYZE orgs_student; ANALYZE staffing_mhteacher")


HAND_SQL = """
WITH s AS (
    SELECT id, code, path, campus_count, stage FROM orgs_orgunit
    WHERE kind = 'school' AND is_active AND path LIKE %(path)s
), st AS (
    SELECT st.school_id, count(*) AS n FROM orgs_student st JOIN s ON s.id = st.school_id
    WHERE (enrolled_on IS NULL OR enrolled_on <= %(day)s)
      AND (left_on > %(day)s OR (left_on IS NULL AND status NOT IN ('transferred', 'graduated')))
    GROUP BY st.school_id
), t AS (
    SELECT t.school_id, count(*) AS n FROM staffing_mhteacher t JOIN s ON s.id = t.school_id
    WHERE kind = 'fulltime' AND start_date <= %(day)s AND (end_date IS NULL OR end_date >= %(day)s)
    GROUP BY t.school_id
), r AS (
    SELECT s.code, s.path, coalesce(st.n, 0) AS students, s.campus_count, s.stage,
        coalesce(t.n, 0) AS fulltime,
        %(day)s >= %(required_from)s AND (
            coalesce(st.n, 0) >= %(threshold)s OR s.campus_count > 1
            OR s.stage = ANY(%(multi)s) OR %(day)s >= %(all_from)s
        ) AS required
    FROM s LEFT JOIN st ON st.school_id = s.id LEFT JOIN t ON t.school_id = s.id
)
SELECT code, students, campus_count, stage, required, fulltime,
    CASE WHEN NOT required THEN 'not_yet_due'
         WHEN fulltime >= %(minimum)s THEN 'compliant' ELSE 'non_compliant' END
FROM r ORDER BY path
"""


def hand(unit: OrgUnit, day: datetime.date) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(
            HAND_SQL,
            {
                "path": unit.path + "%",
                "day": day,
                "required_from": settings.STAFFING_REQUIRED_FROM,
                "all_from": settings.STAFFING_ALL_SCHOOLS_FROM,
                "threshold": settings.STAFFING_STUDENT_THRESHOLD,
                "minimum": settings.STAFFING_MIN_FULLTIME,
                "multi": [str(s) for s in MULTI_STAGE],
            },
        )
        return [tuple(row) for row in cur.fetchall()]


def app(unit: OrgUnit, day: datetime.date) -> list[tuple]:
    return [
        (r.code, r.students, r.campuses, r.stage, r.required, r.fulltime_teachers, r.status)
        for r in rule.school_staffing(unit=unit, on=day)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=8000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    province = ensure_data(args.schools)
    print(f"data ready in {time.perf_counter() - started:.1f} s")
    students = OrgUnit.objects.filter(path__startswith=province.path, kind=OrgKind.SCHOOL).count()
    expected = hand(province, DAY)
    got = app(province, DAY)
    if got != expected:
        sys.exit("the app and the hand-written SQL disagree")
    statuses = {s: sum(r[-1] == s for r in got) for s in rule.Status.values}
    print(f"schools: {students}; statuses on {DAY}: {statuses}")
    times: dict[str, list[float]] = {"app": [], "sql": []}
    for _ in range(args.runs):
        for name, run in (("app", app), ("sql", hand)):
            t0 = time.perf_counter()
            run(province, DAY)
            times[name].append(time.perf_counter() - t0)
    for name, values in times.items():
        low, mid = min(values) * 1000, statistics.median(values) * 1000
        print(f"{name}: min {low:.0f} ms, median {mid:.0f} ms")
    ratio = statistics.median(times["app"]) / statistics.median(times["sql"])
    print(f"ratio app / sql (median): {ratio:.2f}")


if __name__ == "__main__":
    main()
