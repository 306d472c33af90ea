"""A medium province made in SQL (INSERT … SELECT generate_series), for the tests that look at
query plans: the planner picks its plans from table sizes, so a plan test needs province-sized
tables, which factories cannot make in seconds.

``make_province(counties=10, schools=2000, per_school=100)`` makes one province, one city, the
counties, the schools (spread evenly), three classes a school, ``per_school`` students a school,
a screening result for 90 % of the students, an open case for 2 % with two follow-ups each and a
family contact for 60 %; then ANALYZE. Codes start with ``PT`` so the rows are easy to tell."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection

from crisis.models import Case
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolYear, Semester
from screening.models import Instrument

PREFIX = "PT"


def _enc(model: type, field: str, value: object) -> str:
    return model._meta.get_field(field).get_prep_value(value)  # type: ignore[attr-defined]


def make_province(*, counties: int = 10, schools: int = 2000, per_school: int = 100) -> OrgUnit:
    year, _ = SchoolYear.objects.get_or_create(
        name="2026-2027",
        defaults={"start": datetime.date(2026, 9, 1), "end": datetime.date(2027, 8, 31)},
    )
    semester, _ = Semester.objects.get_or_create(
        school_year=year,
        term=1,
        defaults={"start": datetime.date(2026, 9, 1), "end": datetime.date(2027, 1, 31)},
    )
    from mhcare.accounts.models import User

    user, _ = User.objects.get_or_create(username="plan_province_writer")
    instrument = Instrument.objects.order_by("id").first()
    assert instrument is not None, "the shipped instruments are needed"
    province = OrgUnit(code=PREFIX, name="计划省", kind=OrgKind.PROVINCE)
    province.save()
    city = OrgUnit(code=f"{PREFIX}01", name="计划市", kind=OrgKind.CITY, parent=province)
    city.save()
    empty = _enc(Case, "close_reason", "")
    p: dict[str, Any] = {
        "pre": PREFIX,
        "city": city.pk,
        "counties": counties,
        "schools": schools,
        "per": per_school,
        "year": year.pk,
        "sem": semester.pk,
        "user": user.pk,
        "instr": instrument.pk,
        "reason": _enc(Case, "open_reason", "计划"),
        "empty": empty,
    }
    statements = [
        """INSERT INTO orgs_orgunit (code, name, name_en, kind, path, depth, stage, campus_count,
               enrolled_count, is_boarding, is_active, parent_id)
           SELECT %(pre)s || '01' || lpad(i::text, 3, '0'), '计划县' || i, '', 'county',
                  '/' || %(pre)s || '/' || %(pre)s || '01/' || %(pre)s || '01'
                  || lpad(i::text, 3, '0') || '/', 2, '', 1, 0, false, true, %(city)s
           FROM generate_series(1, %(counties)s) i""",
        """INSERT INTO orgs_orgunit (code, name, name_en, kind, path, depth, stage, campus_count,
               enrolled_count, is_boarding, is_active, parent_id)
           SELECT k.code || lpad(i::text, 6, '0'), '计划学校' || i, '', 'school',
                  k.path || k.code || lpad(i::text, 6, '0') || '/', 3, 'junior', 1, %(per)s,
                  false, true, k.id
           FROM generate_series(1, %(schools)s) i
           JOIN (SELECT id, code, path, row_number() OVER (ORDER BY code) AS n
                 FROM orgs_orgunit WHERE parent_id = %(city)s) k
             ON k.n = 1 + (i - 1) %% %(counties)s""",
        """INSERT INTO orgs_schoolclass (grade, name, school_id, school_year_id)
           SELECT g, g || '年级1班', s.id, %(year)s
           FROM orgs_orgunit s CROSS JOIN (VALUES (7), (8), (9)) v(g)
           WHERE s.kind = 'school' AND s.path LIKE '/' || %(pre)s || '/%%'""",
        """INSERT INTO orgs_student (name, gender, birth_date, student_number, status,
               disadvantages, created_at, updated_at, county_id, klass_id, school_id, left_reason)
           SELECT '学生' || j, 'F', DATE '2012-05-01', %(pre)s || s.id || '-' || j, 'enrolled',
                  '{}', now(), now(), s.parent_id, c.id, s.id, %(empty)s
           FROM orgs_orgunit s
           CROSS JOIN generate_series(1, %(per)s) j
           JOIN orgs_schoolclass c ON c.school_id = s.id AND c.school_year_id = %(year)s
                AND c.grade = 7 + j %% 3
           WHERE s.kind = 'school' AND s.path LIKE '/' || %(pre)s || '/%%'""",
        """INSERT INTO screening_screeningresult (answers, total, band, is_critical,
               administered_on, created_at, county_id, instrument_id, school_id, student_id,
               scores, source)
           SELECT '{}', 0, '', false, DATE '2026-10-01' + (st.id %% 28)::int, now(),
                  st.county_id, %(instr)s, st.school_id, st.id, '{}', 'form'
           FROM orgs_student st
           WHERE st.student_number LIKE %(pre)s || '%%'
             AND abs(hashtext(st.student_number)) %% 10 <> 0""",
        """INSERT INTO crisis_case (level, status, source, opened_on, open_reason, closed_on,
               close_reason, level_confirmed_at, next_follow_up_due, version, created_at,
               updated_at, county_id, school_id, student_id)
           SELECT (1 + st.id %% 3)::text, 'open', 'screening',
                  DATE '2026-10-01' + (st.id %% 30)::int, %(reason)s, NULL, %(empty)s,
                  TIMESTAMPTZ '2026-10-01 09:00+08' + ((st.id %% 30) || ' days')::interval,
                  DATE '2026-11-01' + (st.id %% 40)::int, 1, now(), now(),
                  st.county_id, st.school_id, st.id
           FROM orgs_student st
           WHERE st.student_number LIKE %(pre)s || '%%'
             AND abs(hashtext(st.student_number)) %% 50 = 7""",
        """INSERT INTO crisis_followup (done_on, way, state_observed, actions, next_due,
               created_at, by_id, case_id, school_id, student_id)
           SELECT c.opened_on + k, 'talk', %(empty)s, %(empty)s, c.opened_on + 30, now(),
                  %(user)s, c.id, c.school_id, c.student_id
           FROM crisis_case c CROSS JOIN generate_series(1, 2) k
           WHERE c.county_id IN (SELECT id FROM orgs_orgunit WHERE parent_id = %(city)s)""",
        """INSERT INTO crisis_familycontact (contacted_on, way, with_whom, topics, created_at,
               by_id, klass_id, school_id, semester_id, student_id)
           SELECT DATE '2026-09-05' + (st.id %% 80)::int, 'phone', %(empty)s, %(empty)s,
                  now(), %(user)s, st.klass_id, st.school_id, %(sem)s, st.id
           FROM orgs_student st WHERE st.student_number LIKE %(pre)s || '%%'
             AND abs(hashtext(st.student_number)) %% 5 < 3""",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, p)
        cursor.execute("ANALYZE")
    return province
