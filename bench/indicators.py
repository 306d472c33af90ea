"""Benchmark of the indicator snapshot refresh over a generated province, beside hand-written SQL
for the same numbers.

    DATABASE_URL=postgres://…/<a bench db> .venv/bin/python bench/indicators.py \
        [--students 300000] [--seed S] [--runs 5]

(or through ``bench/run_all.py``, which sets ``DATABASE_URL`` and ``BENCH_STUDENTS``).

The province is ``manage.py seed_province`` (``bench/harness.py::ensure_province``: made once
per size and seed): the real 11 cities and 90 counties, ≈ N / 1 083 schools, PHQ-9 results for
92 % of the grade 4–12 students, crisis cases for ≈ 5 % of the screened (一级 / 二级 ones with an
上报 row), follow-ups, family contacts (every case student and 10 % of the others), a full-time
MH teacher per school and two MH lessons a month per class in Sep–Nov. This bench adds (once,
``generate_provision``) the provision sources the generator does not make: one training event per
county (MH content in every other county) attended by the teachers of 3 schools in 4, a leading
group in 4 schools of 5 and a crisis group in 2 of 3.

Then it alternates ``--runs`` times:

1. ``services.snapshot_refresh`` for the school year 2026 (the nightly job's work for one
   period): all twelve indicators, a few grouped statements each over the province, the
   roll-up to county / city / province and the bulk upsert of every unit's snapshots;
2. the computations alone (the same statements, no roll-up, no write);
3. hand-written SQL: per-school GROUP BY statements for the nine school-level indicators (the
   four crisis / screening ones and five provision ones: full-time teacher all / required,
   leading groups, teacher training, lesson hours; no roll-up, no write). The three unit-level
   provision indicators (researchers, centers, referral feedback) are computed by the refresh but
   not compared.

and prints min / median of each and the ratio, after checking that both give the same numbers
for every school. Last line: ``RESULT {json}`` (ratio: computations ÷ hand SQL, median; target
≤ 2).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhcare.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.harness import DEFAULT_SEED, ensure_province, print_result  # noqa: E402
from compliance import indicators, services  # noqa: E402
from compliance.models import IndicatorSnapshot  # noqa: E402
from compliance.periods import parse_period  # noqa: E402
from mhcare.core.risk import cadence_days  # noqa: E402
from mhcare.orgs.models import OrgKind, OrgUnit  # noqa: E402
from staffing.lessons import calendar as lesson_calendar  # noqa: E402
from staffing.models import TrainingEvent  # noqa: E402


def generate_provision() -> None:
    """The provision sources the generator leaves out, once, set-based, for every school: one
    training event per county (MH content in every other county) attended by the teachers of 3
    schools in 4; a leading group in 4 schools of 5 and a crisis group in 2 of 3."""
    if TrainingEvent.objects.exists():
        print("bench provision data exists; reusing it")
        return
    started = time.perf_counter()
    schools = "s.kind = 'school'"
    statements = [
        """INSERT INTO staffing_trainingevent (kind, title, held_on, hours, includes_mh_content,
               created_at, unit_id)
           SELECT 'in_service', '心理健康培训', DATE '2026-10-15', 8, c.id % 2 = 0, now(), c.id
           FROM orgs_orgunit c WHERE c.kind = 'county'""",
        f"""INSERT INTO staffing_trainingparticipant (name, role, is_homeroom_teacher, event_id,
               school_id, teacher_id)
           SELECT t.name, '', false, e.id, s.id, t.id
           FROM staffing_mhteacher t JOIN orgs_orgunit s ON s.id = t.school_id
           JOIN staffing_trainingevent e ON e.unit_id = s.parent_id
           WHERE {schools} AND s.id % 4 <> 0""",
        f"""INSERT INTO staffing_leadinggroup (kind, established_on, dissolved_on,
               responsible_leader, created_at, school_id)
           SELECT k.kind, DATE '2025-10-01', NULL, '校长', now(), s.id
           FROM orgs_orgunit s CROSS JOIN (VALUES ('leading'), ('crisis')) k(kind)
           WHERE {schools} AND ((k.kind = 'leading' AND s.id % 5 <> 0)
                                OR (k.kind = 'crisis' AND s.id % 3 <> 1))""",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated the provision data in {time.perf_counter() - started:.1f} s")


def hand_sql(period_code: str) -> dict[str, dict[int, tuple[int, int]]]:
    period = parse_period(period_code)
    if period.school_year is None:
        raise SystemExit(f"{period_code}: no school year")
    lo, hi = period.bounds()
    day = period.reference_date()
    sday = min(period.end, timezone.localdate())
    # the months that are over (the app judges a month once it ended)
    months, month, today = [], period.start.replace(day=1), timezone.localdate()
    while month <= period.end:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        if following <= today:
            months.append(month)
        month = following
    taught = lesson_calendar.teaching_months(months)
    p: dict[str, Any] = {
        "start": period.start,
        "end": period.end,
        "year": period.school_year.pk,
        "lo": lo,
        "hi": hi,
        "day": day,
        "c1": cadence_days("1"),
        "c2": cadence_days("2"),
        "c3": cadence_days("3"),
        "sday": sday,
        "minimum": settings.STAFFING_MIN_FULLTIME,
        "taught": taught,
        "required": lesson_calendar.required_hours(),
        "first": taught[0] if taught else period.start,
        "last_end": lesson_calendar.month_end(taught[-1]) if taught else period.end,
    }
    queries = {
        "screening_coverage": """
            SELECT s.school_id,
                   count(*) FILTER (WHERE EXISTS (
                       SELECT 1 FROM screening_screeningresult r WHERE r.student_id = s.id
                       AND r.administered_on BETWEEN %(start)s AND %(end)s)),
                   count(*)
            FROM orgs_student s JOIN orgs_schoolclass c ON c.id = s.klass_id
            WHERE s.status = 'enrolled' AND c.school_year_id = %(year)s
              AND c.grade BETWEEN 5 AND 12
            GROUP BY s.school_id""",
        "highrisk_reported": """
            SELECT school_id,
                   count(DISTINCT case_id)
                   - count(DISTINCT case_id) FILTER (WHERE sent_at IS NULL OR sent_at > due_by),
                   count(DISTINCT case_id)
            FROM crisis_casereport
            WHERE level IN ('1', '2') AND due_by >= %(lo)s + interval '24 hours'
              AND due_by < %(hi)s + interval '24 hours'
              AND (sent_at IS NOT NULL OR due_by <= now())
            GROUP BY school_id""",
        "followup_on_time": """
            SELECT c.school_id,
                   count(*) FILTER (WHERE coalesce(f.last, c.opened_on) >= %(day)s::date
                       - CASE c.level WHEN '1' THEN %(c1)s WHEN '2' THEN %(c2)s ELSE %(c3)s END),
                   count(*)
            FROM crisis_case c
            LEFT JOIN LATERAL (SELECT max(done_on) AS last FROM crisis_followup f
                               WHERE f.case_id = c.id AND f.done_on <= %(day)s) f ON true
            WHERE c.opened_on <= %(day)s AND (c.status <> 'closed' OR c.closed_on > %(day)s)
            GROUP BY c.school_id""",
        "family_contact": """
            SELECT s.school_id,
                   count(*) FILTER (WHERE EXISTS (
                       SELECT 1 FROM crisis_familycontact f WHERE f.student_id = s.id
                       AND f.way IN ('visit', 'phone', 'video', 'school_meeting')
                       AND f.contacted_on BETWEEN %(start)s AND %(end)s)),
                   count(*)
            FROM orgs_student s JOIN orgs_schoolclass c ON c.id = s.klass_id
            WHERE s.status = 'enrolled' AND c.school_year_id = %(year)s
            GROUP BY s.school_id""",
        # --- the provision indicators (staffing); the day-based rules read the period's last
        # day, or today while it runs; every school is required from STAFFING_ALL_SCHOOLS_FROM
        "fulltime_teacher_all": """
            SELECT s.id, (count(t.id) >= %(minimum)s)::int, 1
            FROM orgs_orgunit s
            LEFT JOIN staffing_mhteacher t ON t.school_id = s.id AND t.kind = 'fulltime'
                 AND t.start_date <= %(sday)s AND (t.end_date IS NULL OR t.end_date >= %(sday)s)
            WHERE s.kind = 'school' AND s.is_active
            GROUP BY s.id""",
        "leading_groups": """
            SELECT s.id, (count(DISTINCT g.kind) = 2)::int, 1
            FROM orgs_orgunit s
            LEFT JOIN staffing_leadinggroup g ON g.school_id = s.id
                 AND g.kind IN ('leading', 'crisis') AND g.established_on <= %(sday)s
                 AND (g.dissolved_on IS NULL OR g.dissolved_on >= %(sday)s)
            WHERE s.kind = 'school' AND s.is_active
            GROUP BY s.id""",
        "teacher_training": """
            SELECT t.school_id,
                   count(*) FILTER (WHERE EXISTS (
                       SELECT 1 FROM staffing_trainingparticipant p
                       JOIN staffing_trainingevent e ON e.id = p.event_id
                       WHERE p.teacher_id = t.id AND e.includes_mh_content
                         AND e.held_on BETWEEN %(start)s AND %(end)s)),
                   count(*)
            FROM staffing_mhteacher t
            WHERE t.kind IN ('fulltime', 'parttime') AND t.start_date <= %(end)s
              AND (t.end_date IS NULL OR t.end_date >= %(start)s)
            GROUP BY t.school_id""",
        "lesson_hours": """
            SELECT c.school_id,
                   count(*) FILTER (WHERE NOT EXISTS (
                       SELECT 1 FROM unnest(%(taught)s::date[]) m
                       WHERE m BETWEEN date_trunc('month', y.start)::date AND y."end"
                         AND coalesce((SELECT sum(l.hours) FROM staffing_lesson l
                                       WHERE l.klass_id = c.id AND l.month = m), 0)
                             < %(required)s)),
                   count(*)
            FROM orgs_schoolclass c JOIN orgs_schoolyear y ON y.id = c.school_year_id
            JOIN orgs_orgunit s ON s.id = c.school_id
            WHERE s.is_active AND y.start <= %(last_end)s AND y."end" >= %(first)s
              AND EXISTS (SELECT 1 FROM unnest(%(taught)s::date[]) m
                          WHERE m BETWEEN date_trunc('month', y.start)::date AND y."end")
            GROUP BY c.school_id""",
    }
    if sday < settings.STAFFING_ALL_SCHOOLS_FROM:
        raise SystemExit("the bench assumes every school is required (STAFFING_ALL_SCHOOLS_FROM)")
    queries["fulltime_teacher_required"] = queries["fulltime_teacher_all"]
    out: dict[str, dict[int, tuple[int, int]]] = {}
    with connection.cursor() as cursor:
        for code, sql in queries.items():
            cursor.execute(sql, p)
            out[code] = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--students", type=int, default=int(os.environ.get("BENCH_STUDENTS", "300000"))
    )
    parser.add_argument(
        "--seed", type=int, default=int(os.environ.get("BENCH_SEED", str(DEFAULT_SEED)))
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--period", default="2026")
    args = parser.parse_args()
    ensure_province(os.environ["DATABASE_URL"], args.students, args.seed)
    generate_provision()
    period = parse_period(args.period)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orgs_student")
        students = cursor.fetchone()[0]
    units = OrgUnit.objects.count()
    print(f"units {units}, students {students}, period {period.code}")

    refresh_times, sql_times, compute_times = [], [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        written = services.snapshot_refresh(period=period)
        refresh_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for indicator in indicators.all_indicators():  # the computations alone (no roll-up/write)
            if indicator.computation is not None:
                list(indicator.computation(period, None))
        compute_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        expected = hand_sql(period.code)
        sql_times.append(time.perf_counter() - t0)

    # the same numbers for every school (a school without rows is 0 of 0 in the snapshots)
    schools = set(OrgUnit.objects.filter(kind=OrgKind.SCHOOL).values_list("id", flat=True))
    snaps = {
        (s.unit_id, s.indicator): (s.numerator, s.denominator)
        for s in IndicatorSnapshot.objects.filter(period=period.code, unit_id__in=schools)
    }
    mismatches = 0
    for code, rows in expected.items():
        for school in schools:
            if snaps.get((school, code)) != rows.get(school, (0, 0)):
                mismatches += 1
    totals = {
        code: (sum(n for n, _ in rows.values()), sum(d for _, d in rows.values()))
        for code, rows in expected.items()
    }
    print(f"snapshot rows written per refresh: {written}")
    print(f"province totals (hand SQL): {totals}")
    print(f"schools × indicators that differ: {mismatches}")
    r_min, r_med = min(refresh_times), statistics.median(refresh_times)
    s_min, s_med = min(sql_times), statistics.median(sql_times)
    print(f"snapshot_refresh: min {r_min:.2f} s, median {r_med:.2f} s ({args.runs} runs)")
    print(f"hand-written SQL: min {s_min:.2f} s, median {s_med:.2f} s")
    print(f"ratio (refresh / SQL): min {r_min / s_min:.2f}, median {r_med / s_med:.2f}")
    c_min, c_med = min(compute_times), statistics.median(compute_times)
    print(f"computations alone: min {c_min:.2f} s, median {c_med:.2f} s")
    print(f"ratio (computations / SQL): min {c_min / s_min:.2f}, median {c_med / s_med:.2f}")
    ratio = round(c_med / s_med, 2)
    print_result(
        "indicators",
        {
            "students": students,
            "schools": len(schools),
            "snapshot rows written per refresh": written,
            "snapshot_refresh min / median (s)": f"{r_min:.2f} / {r_med:.2f}",
            "computations alone min / median (s)": f"{c_min:.2f} / {c_med:.2f}",
            "hand-written SQL min / median (s)": f"{s_min:.2f} / {s_med:.2f}",
            "ratio whole refresh / SQL (median)": round(r_med / s_med, 2),
            "schools × indicators that differ": mismatches,
        },
        ratio=ratio,
        target="computations ≤ 2× hand-written SQL (median), 0 differences",
        ok=mismatches == 0 and ratio <= 2,
    )
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
