"""Benchmark of lesson compliance per class (the API's and the pages' path) for a county- or
province-sized generated data set, against a hand-written SQL query returning the same rows.

    DATABASE_URL=postgres://… .venv/bin/python bench/lessons.py [--schools 8000] [--classes 20]
        [--runs 7]

Creates once, under a bench city ``BENCHLC`` (with ``--schools`` schools in counties of 100 and
``--classes`` classes each), one official of the city and the lessons of October 2026 and
November 2026 (two 1-hour lessons per class and month, with every seventh class at one lesson and
every eleventh at none: the rows are not all alike), written with ``COPY``. Then, alternating
``--runs`` times:

1. **the selector** ``class_month_queryset(actor=<city official>, unit=<city>, month=2026-10)``:
   the scope filter from the policy, the classes of the month's school year, the lessons joined
   through ``FilteredRelation`` on (class, month), ``SUM`` grouped by class — one query;
2. **hand-written SQL**: the same rows from one ``LEFT JOIN … GROUP BY``.

Checks that both return the same rows (class id, hours), and prints the minimum and median of
each and their ratio (selector ÷ SQL). Also times ``school_compliance`` (the county page: classes
meeting the rule per school and month, and over the two months) once for the whole city.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhcare.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from mhcare.accounts.models import Role, RoleAssignment, User  # noqa: E402
from mhcare.core.imports.copy import copy_insert  # noqa: E402
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass, SchoolStage, SchoolYear  # noqa: E402
from staffing.lessons import selectors  # noqa: E402
from staffing.models import Lesson, LessonSource  # noqa: E402

CITY = "BENCHLC"
OCT = datetime.date(2026, 10, 1)
NOV = datetime.date(2026, 11, 1)
PER_COUNTY = 100

SQL = """
SELECT c.id, COALESCE(SUM(l.hours), 0) AS hours
FROM orgs_schoolclass c
JOIN orgs_orgunit s ON s.id = c.school_id
JOIN orgs_schoolyear y ON y.id = c.school_year_id
LEFT JOIN staffing_lesson l ON l.klass_id = c.id AND l.month = %(month)s
WHERE s.path LIKE %(path)s AND s.is_active
  AND y.start <= %(month_end)s AND y."end" >= %(month)s
GROUP BY c.id
ORDER BY c.id
"""


def _unit(code: str, name: str, kind: str, parent: OrgUnit | None, **extra: object) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, **extra)
        unit.save()
    return unit


def ensure_data(schools: int, classes: int) -> tuple[OrgUnit, User]:
    province = OrgUnit.objects.filter(kind=OrgKind.PROVINCE).first() or _unit(
        "99", "基准省", OrgKind.PROVINCE, None
    )
    city = _unit(CITY, "基准市（课程）", OrgKind.CITY, province)
    user, _created = User.objects.get_or_create(username="bench_lessons_official")
    RoleAssignment.objects.get_or_create(user=user, role=Role.OFFICIAL, org_unit=city)
    have = SchoolClass.objects.filter(school__path__startswith=city.path).count()
    if have == schools * classes:
        return city, user
    if have:
        sys.exit(f"The bench city holds {have} classes; drop them or ask for the same size.")
    year, _created = SchoolYear.objects.get_or_create(
        name="2026-2027",
        defaults={"start": datetime.date(2026, 9, 1), "end": datetime.date(2027, 8, 31)},
    )
    started = time.perf_counter()
    with transaction.atomic():
        counties = [
            _unit(f"{CITY}{n:03d}", f"基准县{n}", OrgKind.COUNTY, city)
            for n in range((schools + PER_COUNTY - 1) // PER_COUNTY)
        ]
        units = []
        for n in range(schools):
            county = counties[n // PER_COUNTY]
            unit = OrgUnit(
                code=f"{county.code}S{n:05d}",
                name=f"基准学校{n}",
                kind=OrgKind.SCHOOL,
                parent=county,
                stage=SchoolStage.JUNIOR,
            )
            unit.path = unit.compute_path()
            unit.depth = unit.path.count("/") - 2
            units.append(unit)
        OrgUnit.objects.bulk_create(units, batch_size=2000)
        school_rows = list(
            OrgUnit.objects.filter(path__startswith=city.path, kind=OrgKind.SCHOOL).values_list(
                "id", "parent_id"
            )
        )
        copy_insert(
            SchoolClass,
            (
                SchoolClass(school_id=sid, school_year=year, grade=7 + k % 3, name=f"{k + 1}班")
                for sid, _county in school_rows
                for k in range(classes)
            ),
        )
        county_of = dict(school_rows)
        class_rows = list(
            SchoolClass.objects.filter(school__path__startswith=city.path)
            .order_by("id")
            .values_list("id", "school_id")
        )
        recorder = user

        def lessons():  # noqa: ANN202
            for index, (cid, sid) in enumerate(class_rows):
                for month in (OCT, NOV):
                    count = 0 if index % 11 == 0 else 1 if index % 7 == 0 else 2
                    for lesson in range(count):
                        day = month + datetime.timedelta(days=7 + 7 * lesson)
                        yield Lesson(
                            school_id=sid,
                            county_id=county_of[sid],
                            klass_id=cid,
                            given_on=day,
                            month=month,
                            hours=Decimal("1.0"),
                            topic=f"主题{lesson}",
                            teacher_name="基准教师",
                            batch=uuid.uuid4(),
                            source=LessonSource.IMPORT,
                            recorded_by=recorder,
                        )

        written = copy_insert(Lesson, lessons())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orgs_orgunit; ANALYZE orgs_schoolclass; ANALYZE staffing_lesson")
    print(
        f"generated {schools} schools, {len(class_rows)} classes, {written} lessons "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return city, user


def run_selector(city: OrgUnit, user: User) -> list[tuple[int, Decimal]]:
    user.__dict__.pop("_mhcare_grants", None)
    rows = selectors.class_month_queryset(actor=user, unit=city, month=OCT).order_by("id")
    return [(row["id"], Decimal(row["hours"])) for row in rows]


def run_sql(city: OrgUnit) -> list[tuple[int, Decimal]]:
    with connection.cursor() as cursor:
        cursor.execute(
            SQL,
            {"month": OCT, "month_end": datetime.date(2026, 10, 31), "path": f"{city.path}%"},
        )
        return [(cid, Decimal(hours)) for cid, hours in cursor.fetchall()]


def timed(function, *args):  # noqa: ANN001, ANN201
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=8000)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    city, user = ensure_data(options.schools, options.classes)
    selector_times, sql_times = [], []
    reference = None
    for _ in range(options.runs):
        elapsed, rows = timed(run_selector, city, user)
        selector_times.append(elapsed)
        elapsed, expected = timed(run_sql, city)
        sql_times.append(elapsed)
        if rows != expected:
            sys.exit("The selector and the SQL returned different rows.")
        reference = rows
    assert reference is not None  # noqa: S101
    met = sum(1 for _cid, hours in reference if hours >= 2)
    print(f"rows: {len(reference)} classes, {met} meeting 2 h in 2026-10 (identical both ways)")
    for label, times in (("selector", selector_times), ("hand SQL", sql_times)):
        print(
            f"{label:9s} min {min(times) * 1000:8.1f} ms   median "
            f"{statistics.median(times) * 1000:8.1f} ms"
        )
    print(
        f"ratio selector / SQL: min {min(selector_times) / min(sql_times):.2f}, "
        f"median {statistics.median(selector_times) / statistics.median(sql_times):.2f}"
    )
    elapsed, compliance = timed(
        lambda: selectors.school_compliance(actor=user, unit=city, months=[OCT, NOV])
    )
    print(
        f"school_compliance for {len(compliance)} schools, 2 months: {elapsed * 1000:.0f} ms "
        f"({sum(r.met for r in compliance)} of {sum(r.classes for r in compliance)} classes "
        f"meet the rule in both months)"
    )


if __name__ == "__main__":
    main()
