"""Benchmark of the indicator snapshot refresh over a generated province, beside hand-written SQL
for the same numbers.

    DATABASE_URL=postgres://…/<a bench db> .venv/bin/python bench/indicators.py \
        [--schools 10000] [--students-per-school 100] [--runs 5]

Creates (once, set-based with INSERT … SELECT generate_series) a bench province of its own
(``IB…`` codes): 11 cities, 90 counties, N schools, three classes per school (grades 4, 8, 11),
M students per school; a screening result for 90 % of the students (October 2026), a crisis case
for 2 % (levels 1/2/3, opened in October; the 一级/二级 ones with an 上报 row sent 0–35 h after
confirmation, 1 in 20 never sent), two follow-ups per case, and a direct or online family contact
for 60 % of the students. Use a database of its own: the refresh covers every unit in it. Then
(once, ``generate_provision``) the staffing sources of the provision indicators: MH teachers,
training events and participants, leading / crisis groups, lessons.

Then it alternates ``--runs`` times:

1. ``services.snapshot_refresh`` for the school year 2026 (the nightly job's work for one
   period): all twelve indicators, a few grouped statements each over the province, the
   roll-up to county / city / province and the bulk upsert of every unit's snapshots;
2. the computations alone (the same statements, no roll-up, no write);
3. hand-written SQL: per-school GROUP BY statements for the nine school-level indicators (the
   four crisis / screening ones and five provision ones: full-time teacher all / required,
   leading groups, teacher training, lesson hours; no roll-up, no write). The three unit-level
   provision indicators (researchers, centers, referral feedback: no rows in the bench province)
   are computed by the refresh but not compared.

and prints min / median of each and the ratio, after checking that both give the same numbers
for every school.
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

from compliance import indicators, services  # noqa: E402
from compliance.models import IndicatorSnapshot  # noqa: E402
from compliance.periods import parse_period  # noqa: E402
from crisis.models import Case, CaseReport, FollowUp  # noqa: E402
from mhcare.accounts.models import User  # noqa: E402
from mhcare.core.risk import cadence_days  # noqa: E402
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolYear, Semester  # noqa: E402
from screening.models import Instrument  # noqa: E402
from staffing.lessons import calendar as lesson_calendar  # noqa: E402
from staffing.models import MHTeacher  # noqa: E402

PREFIX = "IB"
CITIES, COUNTIES = 11, 90


def _enc(model: type, field: str, value: object) -> str:
    """The stored (encrypted) form of ``value`` for an encrypted column, computed once."""
    return model._meta.get_field(field).get_prep_value(value)  # type: ignore[attr-defined]


def generate(schools: int, per_school: int) -> None:
    if OrgUnit.objects.filter(code=PREFIX).exists():
        print(f"bench province {PREFIX} exists; reusing it")
        return
    started = time.perf_counter()
    year, _ = SchoolYear.objects.get_or_create(
        name="2026-2027",
        defaults={"start": datetime.date(2026, 9, 1), "end": datetime.date(2027, 8, 31)},
    )
    semester, _ = Semester.objects.get_or_create(
        school_year=year,
        term=1,
        defaults={"start": datetime.date(2026, 9, 1), "end": datetime.date(2027, 1, 31)},
    )
    user, _ = User.objects.get_or_create(username="bench_indicators")
    instrument = Instrument.objects.order_by("id").first()
    if instrument is None:
        raise SystemExit("run migrations first: the shipped instruments are needed")
    province = OrgUnit(code=PREFIX, name="基准省", kind=OrgKind.PROVINCE)
    province.save()
    reason = _enc(Case, "open_reason", "基准")
    empty = _enc(Case, "close_reason", "")
    payload = _enc(CaseReport, "payload", {"bench": True})
    response = _enc(CaseReport, "response", {})
    state = _enc(FollowUp, "state_observed", "平稳")
    f_empty = _enc(FollowUp, "actions", "")
    p: dict[str, Any] = {
        "pre": PREFIX,
        "prov": province.pk,
        "cities": CITIES,
        "counties": COUNTIES,
        "schools": schools,
        "per": per_school,
        "year": year.pk,
        "sem": semester.pk,
        "user": user.pk,
        "instr": instrument.pk,
        "reason": reason,
        "empty": empty,
        "payload": payload,
        "response": response,
        "state": state,
        "fempty": f_empty,
    }
    statements = [
        # cities, counties, schools (path = chain of codes)
        """INSERT INTO orgs_orgunit (code, name, name_en, kind, path, depth, stage, campus_count,
               enrolled_count, is_boarding, is_active, parent_id)
           SELECT %(pre)s || lpad(i::text, 2, '0'), '基准市' || i, '', 'city',
                  '/' || %(pre)s || '/' || %(pre)s || lpad(i::text, 2, '0') || '/', 1, '', 1, 0,
                  false, true, %(prov)s
           FROM generate_series(1, %(cities)s) i""",
        """INSERT INTO orgs_orgunit (code, name, name_en, kind, path, depth, stage, campus_count,
               enrolled_count, is_boarding, is_active, parent_id)
           SELECT %(pre)s || lpad(c.n::text, 2, '0') || lpad(i::text, 3, '0'), '基准县' || i, '',
                  'county', c.path || %(pre)s || lpad(c.n::text, 2, '0') || lpad(i::text, 3, '0')
                  || '/', 2, '', 1, 0, false, true, c.id
           FROM generate_series(1, %(counties)s) i
           JOIN (SELECT id, path, substr(code, 3)::int AS n FROM orgs_orgunit
                 WHERE parent_id = %(prov)s) c ON c.n = 1 + (i - 1) %% %(cities)s""",
        """INSERT INTO orgs_orgunit (code, name, name_en, kind, path, depth, stage, campus_count,
               enrolled_count, is_boarding, is_active, parent_id)
           SELECT k.code || lpad(i::text, 6, '0'), '基准学校' || i, '', 'school',
                  k.path || k.code || lpad(i::text, 6, '0') || '/', 3, 'middle', 1, %(per)s,
                  false, true, k.id
           FROM generate_series(1, %(schools)s) i
           JOIN (SELECT id, code, path, row_number() OVER (ORDER BY code) AS n
                 FROM orgs_orgunit WHERE kind = 'county' AND path LIKE '/' || %(pre)s || '/%%') k
             ON k.n = 1 + (i - 1) %% %(counties)s""",
        # three classes per school: grades 4 (not screened), 8, 11
        """INSERT INTO orgs_schoolclass (grade, name, school_id, school_year_id)
           SELECT g, g || '年级1班', s.id, %(year)s
           FROM orgs_orgunit s CROSS JOIN (VALUES (4), (8), (11)) v(g)
           WHERE s.kind = 'school' AND s.path LIKE '/' || %(pre)s || '/%%'""",
        # Fresh statistics before the big inserts: with the new units and classes unknown to the
        # planner, the student insert loops over the classes per student (minutes, not seconds).
        "ANALYZE orgs_orgunit, orgs_schoolclass",
        """INSERT INTO orgs_student (name, gender, birth_date, student_number, status,
               disadvantages, created_at, updated_at, county_id, klass_id, school_id, left_reason)
           SELECT '学生', 'F', DATE '2012-05-01', %(pre)s || s.id || '-' || j, 'enrolled',
                  '{}', now(), now(), s.parent_id, c.id, s.id, ''
           FROM orgs_orgunit s
           CROSS JOIN generate_series(1, %(per)s) j
           JOIN orgs_schoolclass c ON c.school_id = s.id AND c.school_year_id = %(year)s
                AND c.grade = (ARRAY[4, 8, 11])[1 + j %% 3]
           WHERE s.kind = 'school' AND s.path LIKE '/' || %(pre)s || '/%%'""",
        "ANALYZE orgs_student",
        """INSERT INTO screening_screeningresult (answers, total, band, is_critical,
               administered_on, created_at, county_id, instrument_id, school_id, student_id,
               scores, source)
           SELECT '{}', 0, '', false, DATE '2026-10-01' + (st.id %% 28)::int, now(),
                  st.county_id, %(instr)s, st.school_id, st.id, '{}', 'form'
           FROM orgs_student st
           WHERE st.student_number LIKE %(pre)s || '%%' AND st.id %% 10 <> 0""",
        """INSERT INTO crisis_case (level, status, source, opened_on, open_reason, closed_on,
               close_reason, level_confirmed_at, next_follow_up_due, version, created_at,
               updated_at, county_id, school_id, student_id)
           SELECT (1 + st.id %% 3)::text, 'open', 'screening',
                  DATE '2026-10-01' + (st.id %% 30)::int,
                  %(reason)s, NULL, %(empty)s,
                  TIMESTAMPTZ '2026-10-01 09:00+08' + ((st.id %% 30) || ' days')::interval,
                  NULL, 1, now(), now(), st.county_id, st.school_id, st.id
           FROM orgs_student st
           WHERE st.student_number LIKE %(pre)s || '%%' AND st.id %% 50 = 7""",
        "ANALYZE crisis_case",
        """INSERT INTO crisis_casereport (version, level, payload, due_by, status, attempts,
               last_error, next_attempt_at, sent_at, response, created_at, case_id, county_id,
               school_id)
           SELECT 1, c.level, %(payload)s, c.level_confirmed_at + interval '24 hours',
                  CASE WHEN c.id %% 20 = 0 THEN 'pending' ELSE 'sent' END, 1, %(empty)s, NULL,
                  CASE WHEN c.id %% 20 = 0 THEN NULL
                       ELSE c.level_confirmed_at + ((c.id %% 36) || ' hours')::interval END,
                  %(response)s, now(), c.id, c.county_id, c.school_id
           FROM crisis_case c JOIN orgs_orgunit s ON s.id = c.school_id
           WHERE c.level IN ('1', '2') AND s.path LIKE '/' || %(pre)s || '/%%'""",
        """INSERT INTO crisis_followup (done_on, way, state_observed, actions, next_due,
               created_at, by_id, case_id, school_id, student_id)
           SELECT c.opened_on + (k * (c.id %% 9))::int, 'talk', %(state)s, %(fempty)s,
                  c.opened_on + 30, now(), %(user)s, c.id, c.school_id, c.student_id
           FROM crisis_case c JOIN orgs_orgunit s ON s.id = c.school_id
           CROSS JOIN generate_series(1, 2) k
           WHERE s.path LIKE '/' || %(pre)s || '/%%'""",
        """INSERT INTO crisis_familycontact (contacted_on, way, with_whom, topics, created_at,
               by_id, klass_id, school_id, semester_id, student_id)
           SELECT DATE '2026-09-05' + (st.id %% 80)::int,
                  CASE WHEN st.id %% 7 = 0 THEN 'online' ELSE 'phone' END, %(state)s, %(fempty)s,
                  now(), %(user)s, st.klass_id, st.school_id, %(sem)s, st.id
           FROM orgs_student st WHERE st.student_number LIKE %(pre)s || '%%' AND st.id %% 5 < 3""",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, p if "%(" in sql else None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated in {time.perf_counter() - started:.1f} s")


def generate_provision() -> None:
    """The provision sources (staffing), once, set-based, for the bench province's schools:
    full-time MH teachers in 2 of 3 schools (1 in 7 of them left in June 2026), part-time ones in
    every other school; one training event per county (MH content in every other county) attended
    by the teachers of 3 schools in 4; a leading group in 4 schools of 5 and a crisis group in 2 of
    3; lessons of 1 h on the 10th of September–November 2026 for 3 classes in 4, plus one on the
    20th for every other class."""
    if MHTeacher.objects.filter(school__path__startswith=f"/{PREFIX}/").exists():
        print("bench provision data exists; reusing it")
        return
    started = time.perf_counter()
    user = User.objects.get(username="bench_indicators")
    p = {"pre": PREFIX, "user": user.pk}
    schools = "s.kind = 'school' AND s.path LIKE '/' || %(pre)s || '/%%'"
    statements = [
        f"""INSERT INTO staffing_mhteacher (name, kind, start_date, end_date, psychology_degree,
               certificate_level, homeroom_equal_treatment, created_at, updated_at, school_id)
           SELECT '教师' || k.kind, k.kind, DATE '2025-09-01',
                  CASE WHEN k.kind = 'fulltime' AND s.id %% 7 = 0 THEN DATE '2026-06-30' END,
                  false, '', false, now(), now(), s.id
           FROM orgs_orgunit s CROSS JOIN (VALUES ('fulltime'), ('parttime')) k(kind)
           WHERE {schools} AND ((k.kind = 'fulltime' AND s.id %% 3 <> 0)
                                OR (k.kind = 'parttime' AND s.id %% 2 = 0))""",
        """INSERT INTO staffing_trainingevent (kind, title, held_on, hours, includes_mh_content,
               created_at, unit_id)
           SELECT 'in_service', '心理健康培训', DATE '2026-10-15', 8, c.id %% 2 = 0, now(), c.id
           FROM orgs_orgunit c
           WHERE c.kind = 'county' AND c.path LIKE '/' || %(pre)s || '/%%'""",
        f"""INSERT INTO staffing_trainingparticipant (name, role, is_homeroom_teacher, event_id,
               school_id, teacher_id)
           SELECT t.name, '', false, e.id, s.id, t.id
           FROM staffing_mhteacher t JOIN orgs_orgunit s ON s.id = t.school_id
           JOIN staffing_trainingevent e ON e.unit_id = s.parent_id
           WHERE {schools} AND s.id %% 4 <> 0""",
        f"""INSERT INTO staffing_leadinggroup (kind, established_on, dissolved_on,
               responsible_leader, created_at, school_id)
           SELECT k.kind, DATE '2025-10-01', NULL, '校长', now(), s.id
           FROM orgs_orgunit s CROSS JOIN (VALUES ('leading'), ('crisis')) k(kind)
           WHERE {schools} AND ((k.kind = 'leading' AND s.id %% 5 <> 0)
                                OR (k.kind = 'crisis' AND s.id %% 3 <> 1))""",
        f"""INSERT INTO staffing_lesson (given_on, month, hours, topic, teacher_name, batch, source,
               created_at, county_id, klass_id, recorded_by_id, school_id)
           SELECT m + d, m, 1, '心理课', '教师', gen_random_uuid(), 'import', now(), s.parent_id,
                  c.id, %(user)s, s.id
           FROM orgs_schoolclass c JOIN orgs_orgunit s ON s.id = c.school_id
           CROSS JOIN (VALUES (DATE '2026-09-01'), (DATE '2026-10-01'), (DATE '2026-11-01')) v(m)
           CROSS JOIN (VALUES (9), (19)) w(d)
           WHERE {schools} AND c.grade IN (8, 11)
             AND ((w.d = 9 AND c.id %% 4 <> 0) OR (w.d = 19 AND c.id %% 2 = 0))""",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, p)
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
    months, month = [], period.start.replace(day=1)
    while month <= period.end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
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
    parser.add_argument("--schools", type=int, default=10_000)
    parser.add_argument("--students-per-school", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--period", default="2026")
    args = parser.parse_args()
    generate(args.schools, args.students_per_school)
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
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
