"""Bench 2: the county center's student list and high-risk list, first page and a deep page,
through the real views (Django test client: every middleware, session auth) and the API (token
auth), beside the hand-written SQL that returns the same rows.

    DATABASE_URL=postgres://…/<a bench db> .venv/bin/python bench/lists.py [--runs 7] \
        [--deep 100000] [--students N] [--as-is]

Data: the harness's province (``manage.py seed_province`` through ``bench/harness.py``, made once
per size), or with ``--as-is`` any database with students and open cases. The bench user is a
county center (县心理中心) of the county with the most students.

For each list it alternates ``--runs`` times: the page through the view, the selector alone,
and the hand SQL (same rows, same order, same LIMIT, with the joins and the columns the page
shows — the student list's columns are also what /api/v1/students/ shows) — first page
and deep page (``--deep`` rows in, or the county's last page when it is smaller) — and prints min
/ median. The high-risk list's deep page is its last page (a county has a few thousand open
cases at most). The targets: the selector ≤ 2 × the hand SQL, and the deep page ≤ 2 × the first
through the view and the API (keyset paging). The whole view against the hand SQL is printed too:
it carries the fixed cost of a page (middleware, session, audit row, template), which no plan
change removes.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Its own settings whatever the caller set (bench/run_all.py passes the local settings).
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.lists_settings"

import django  # noqa: E402

from bench.harness import DEFAULT_SEED, ensure_province  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from crisis import selectors as crisis_selectors  # noqa: E402
from mhcare.accounts.models import Role, RoleAssignment, User  # noqa: E402
from mhcare.accounts.tokens import token_create  # noqa: E402
from mhcare.orgs import selectors as org_selectors  # noqa: E402
from mhcare.orgs.models import OrgUnit  # noqa: E402

USERNAME = "bench_lists_center"


def bench_user() -> tuple[User, OrgUnit]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT county_id FROM orgs_student GROUP BY county_id ORDER BY count(*) DESC LIMIT 1"
        )
        county = OrgUnit.objects.get(pk=cursor.fetchone()[0])
    user, _ = User.objects.get_or_create(username=USERNAME)
    user.set_password("Bench-lists-2026!")
    user.password_changed_at = timezone.now()
    user.save()
    RoleAssignment.objects.get_or_create(user=user, role=Role.COUNTY_CENTER, org_unit=county)
    return user, county


def timed(fn: Callable[[], Any]) -> float:
    """Milliseconds of one call. Each call starts without the garbage of the one before (a page
    through the view leaves thousands of objects whose collection otherwise lands in whichever
    probe runs next, usually the selector right after the view); the call's own collections
    stay in its time."""
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def hand_students(county: int, after: int) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT s.id, s.name, s.student_number, s.gender, s.disadvantages, s.klass_id,
                      c.grade, c.name, s.school_id, u.code, u.name
               FROM orgs_student s
               JOIN orgs_orgunit u ON u.id = s.school_id
               JOIN orgs_schoolclass c ON c.id = s.klass_id
               WHERE s.county_id = %s AND s.id > %s ORDER BY s.id LIMIT 51""",
            [county, after],
        )
        return cursor.fetchall()


def hand_cases(county: int, due: str | None, after: int | None) -> list[tuple[Any, ...]]:
    where, params = "", [county]
    if after is not None:
        where = """AND (k.next_follow_up_due > %s::date
                        OR (k.next_follow_up_due = %s::date AND k.id > %s)
                        OR k.next_follow_up_due IS NULL)"""
        params += [due, due, after]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT k.id, k.level, k.status, k.source, k.next_follow_up_due,
                      EXISTS (SELECT 1 FROM crisis_casereport r
                              WHERE r.case_id = k.id AND r.status <> 'sent') AS unreported,
                      k.student_id, s.name, s.klass_id, c.grade, c.name, k.school_id, u.name
               FROM crisis_case k
               JOIN orgs_student s ON s.id = k.student_id
               JOIN orgs_schoolclass c ON c.id = s.klass_id
               JOIN orgs_orgunit u ON u.id = k.school_id
               WHERE k.county_id = %s AND k.status <> 'closed' {where}
               ORDER BY k.next_follow_up_due NULLS LAST, k.id LIMIT 51""",
            params,
        )
        return cursor.fetchall()


def stats(values: list[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--deep", type=int, default=100_000)
    parser.add_argument(
        "--students", type=int, default=int(os.environ.get("BENCH_STUDENTS", "300000"))
    )
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", DEFAULT_SEED)))
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="use the database as it is (any students and open cases), no seed_province",
    )
    args = parser.parse_args()
    if not args.as_is:
        ensure_province(os.environ["DATABASE_URL"], args.students, args.seed)

    user, county = bench_user()
    _token, key = token_create(actor=user, name="bench lists", days=30)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orgs_student WHERE county_id = %s", [county.pk])
        in_county = cursor.fetchone()[0]
        deep = min(args.deep, max(in_county - 60, 0))
        cursor.execute(
            "SELECT id FROM orgs_student WHERE county_id = %s ORDER BY id OFFSET %s LIMIT 1",
            [county.pk, deep],
        )
        deep_after = cursor.fetchone()[0]
        cursor.execute(
            """SELECT next_follow_up_due, id, count(*) OVER () FROM crisis_case
               WHERE county_id = %s AND status <> 'closed'
               ORDER BY next_follow_up_due NULLS LAST, id""",
            [county.pk],
        )
        ordered = cursor.fetchall()
        case_due, case_after, open_cases = ordered[max(0, len(ordered) - 40)]
    # (the app's cursor: "<due date>:<id>"; all bench cases have a due date)
    case_cursor = f"{case_due.isoformat()}:{case_after}"
    print(
        f"county {county.code}: {in_county} students, {open_cases} open cases; "
        f"student deep page after {deep} rows, case deep page = the last"
    )

    client = Client()
    client.force_login(user)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    api_cursor = base64.b64encode(f"p={deep_after}".encode()).decode()

    def page(url: str, c: Client = client) -> None:
        response = c.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")

    def sel_students(after: int | None) -> None:
        found = org_selectors.student_list(actor=user, after=after, page_size=50)
        if len(found.students) != 50:
            raise SystemExit("the student page is not full")

    def sel_cases(after: str | None) -> None:
        found = crisis_selectors.case_list(actor=user, after=after, page_size=50)
        if not found.rows:
            raise SystemExit("the high-risk page is empty")

    probes: dict[str, Callable[[], Any]] = {
        "students view first": lambda: page("/students/"),
        "students view deep": lambda: page(f"/students/?after={deep_after}"),
        "students selector first": lambda: sel_students(None),
        "students selector deep": lambda: sel_students(deep_after),
        "students SQL first": lambda: hand_students(county.pk, 0),
        "students SQL deep": lambda: hand_students(county.pk, deep_after),
        "students API first": lambda: page("/api/v1/students/", api),
        "students API deep": lambda: page(f"/api/v1/students/?cursor={api_cursor}", api),
        "high-risk view first": lambda: page("/crisis/high-risk/"),
        "high-risk view last": lambda: page(f"/crisis/high-risk/?after={case_cursor}"),
        "high-risk selector first": lambda: sel_cases(None),
        "high-risk selector last": lambda: sel_cases(case_cursor),
        "high-risk SQL first": lambda: hand_cases(county.pk, None, None),
        "high-risk SQL last": lambda: hand_cases(county.pk, case_due.isoformat(), case_after),
    }
    for probe in probes.values():  # warm up (caches, plans, first connection)
        probe()
    times: dict[str, list[float]] = {label: [] for label in probes}
    for _ in range(args.runs):
        for label, probe in probes.items():
            times[label].append(timed(probe))
    figures: dict[str, float] = {}
    for label, values in times.items():
        low, med = stats(values)
        figures[f"{label} ms (median)"] = round(med, 2)
        print(f"{label:28s} min {low:8.2f} ms  median {med:8.2f} ms")

    def ratio(a: str, b: str) -> float:
        return round(statistics.median(times[a]) / statistics.median(times[b]), 2)

    ratios = {
        "students selector/SQL first": ratio("students selector first", "students SQL first"),
        "students selector/SQL deep": ratio("students selector deep", "students SQL deep"),
        "high-risk selector/SQL first": ratio("high-risk selector first", "high-risk SQL first"),
        "high-risk selector/SQL last": ratio("high-risk selector last", "high-risk SQL last"),
        "students view deep/first": ratio("students view deep", "students view first"),
        "students API deep/first": ratio("students API deep", "students API first"),
        "high-risk view last/first": ratio("high-risk view last", "high-risk view first"),
        "students view/SQL first": ratio("students view first", "students SQL first"),
        "high-risk view/SQL first": ratio("high-risk view first", "high-risk SQL first"),
    }
    for label, value in ratios.items():
        print(f"ratio {label:32s} {value}")
    checked = [v for k, v in ratios.items() if "view/SQL" not in k]
    ok = all(v <= 2 for v in checked)
    figures.update({f"ratio {k}": v for k, v in ratios.items()})
    worst = max(checked)
    print(
        "RESULT "
        + json.dumps(
            {
                "bench": "lists",
                "figures": figures,
                "ratio": worst,
                "target": "selector <= 2x hand SQL; deep page <= 2x first (view, API)",
                "ok": ok,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
