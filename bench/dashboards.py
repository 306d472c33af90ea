"""Benchmark of the province official's pages (issue 14): the indicator dashboard read from the
snapshots, and a screening campaign's coverage page with its 30-s reload read from the schools'
pre-aggregated counts — beside what the coverage page used to do (count the students live) and
hand-written SQL for the same totals.

    DATABASE_URL=postgres://…/<a bench db> .venv/bin/python bench/dashboards.py \
        [--students 300000] [--seed S] [--runs 5]

(or through ``bench/run_all.py``). The province is ``manage.py seed_province``
(``bench/harness.py::ensure_province``): 11 cities, 90 counties, a PHQ-9 campaign per county.
Once: the school year's snapshots and the campaigns' coverage counts. The province official
(``official_33``, with a verified second factor as after a real login) opens, alternately
``--runs`` times, through Django's test client (the whole request: middleware, policy, template):

1. the dashboard ``/compliance/indicators/33/`` (target < 300 ms);
2. the largest county campaign's page at the county (its schools);
3. its 30-s reload ``/screening/campaigns/<id>/coverage/?unit=<county>``;
4. the old way of that reload: the live grouped count over the county's students;
5. hand-written SQL for the same per-school totals (live, over the students);
6. the nightly recount of every campaign of the year (``coverage_refresh``);
7. the province's trend page ``/compliance/trends/`` (its band tables read the counties'
   ``TrendBandCount`` rows; target < 300 ms), beside
8. the old way of its band tables: the results grouped live by grade and sex (what the page did
   before), and the nightly recount of the band counts (``trends.band_counts_refresh``).

It checks that the page's totals equal the live count and the hand SQL, that the trend page's
band counts equal the live grouping, and that the reload's
query count is the same for two counties of different sizes. Prints min / median of each and, as its
last line, ``RESULT {json}``.
"""

from __future__ import annotations

import argparse
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

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.harness import DEFAULT_SEED, ensure_province, print_result  # noqa: E402
from compliance import services as compliance_services  # noqa: E402
from compliance import trends  # noqa: E402
from compliance.models import IndicatorSnapshot, TrendBandCount  # noqa: E402
from compliance.periods import default_period  # noqa: E402
from mhcare.accounts.models import User  # noqa: E402
from mhcare.orgs.models import OrgKind, OrgUnit, Student  # noqa: E402
from screening.campaigns import selectors, services  # noqa: E402
from screening.models import Campaign  # noqa: E402

DASHBOARD_TARGET_MS = 300


def prepare(students: int, seed: int) -> tuple[OrgUnit, Campaign, User]:
    marker = ensure_province(os.environ["DATABASE_URL"], students, seed)
    province = OrgUnit.objects.get(parent__isnull=True, kind=OrgKind.PROVINCE)
    period = default_period()
    if not IndicatorSnapshot.objects.filter(period=period.code, unit=province).exists():
        started = time.perf_counter()
        rows = compliance_services.snapshot_refresh(period=period)
        print(f"snapshots {period.code}: {rows} rows in {time.perf_counter() - started:.1f} s")
    if Campaign.objects.filter(coverage_computed_at__isnull=True).exists():
        started = time.perf_counter()
        rows = services.coverage_refresh()
        print(f"coverage counts: {rows} school rows in {time.perf_counter() - started:.1f} s")
    if not TrendBandCount.objects.exists():
        started = time.perf_counter()
        rows = trends.band_counts_refresh()
        print(f"trend band counts: {rows} rows in {time.perf_counter() - started:.1f} s")
    # the county campaign with the most students
    largest = (
        Student.objects.filter(status="enrolled")
        .order_by()
        .values("county_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if largest is None:
        raise SystemExit("the bench province has no student")
    campaign = Campaign.objects.select_related("org_unit").get(org_unit_id=largest["county_id"])
    user = User.objects.get(username=marker["logins"]["province_official"])
    return province, campaign, user


def client_for(user: User) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def timed_get(client: Client, url: str) -> tuple[float, int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return seconds, len(queries.captured_queries), response.content


def live_counts(campaign: Campaign, unit: OrgUnit, user: User) -> dict[Any, tuple[int, int]]:
    """The old reload: the live grouped count over every student under ``unit``."""
    students = selectors._student_base(user, campaign, unit)
    return selectors.grouped_counts(campaign, students, selectors._child_path_sql(unit.depth))


def hand_sql(campaign: Campaign) -> dict[str, tuple[int, int]]:
    """Per-school (enrolled, completed) written by hand: one instrument for every grade here, so
    a student is complete with one result of the campaign."""
    sql = """
        SELECT u.path, count(*), count(*) FILTER (WHERE d.student_id IS NOT NULL)
        FROM orgs_student s
        JOIN orgs_schoolclass c ON c.id = s.klass_id
        JOIN orgs_orgunit u ON u.id = s.school_id
        LEFT JOIN (SELECT DISTINCT student_id FROM screening_screeningresult
                   WHERE campaign_id = %(campaign)s) d ON d.student_id = s.id
        WHERE s.status = 'enrolled' AND c.school_year_id = %(year)s
          AND c.grade BETWEEN 4 AND 12 AND u.path LIKE %(path)s
          AND NOT EXISTS (SELECT 1 FROM screening_screeningconsent sc
                          WHERE sc.student_id = s.id AND sc.decision = 'refused')
        GROUP BY 1"""
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "campaign": campaign.pk,
                "year": campaign.school_year_id,
                "path": campaign.org_unit.path + "%",
            },
        )
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def stats(values: list[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--students", type=int, default=int(os.environ.get("BENCH_STUDENTS", "300000"))
    )
    parser.add_argument(
        "--seed", type=int, default=int(os.environ.get("BENCH_SEED", str(DEFAULT_SEED)))
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    province, campaign, user = prepare(args.students, args.seed)
    county = campaign.org_unit
    students = Student.objects.filter(school__path__startswith=province.path).count()
    schools = OrgUnit.objects.filter(kind=OrgKind.SCHOOL, path__startswith=province.path).count()
    county_schools = OrgUnit.objects.filter(kind=OrgKind.SCHOOL, parent=county).count()
    print(
        f"province {province.code}: {schools} schools, {students} students; campaign "
        f"{campaign.pk} of {county.name} ({county_schools} schools)"
    )
    client = client_for(user)
    dashboard = reverse("compliance:unit", args=[province.code])
    detail = reverse("screening:campaign_detail", args=[campaign.pk]) + f"?unit={county.pk}"
    reload_url = reverse("screening:campaign_coverage", args=[campaign.pk]) + f"?unit={county.pk}"
    # another county's campaign, with another number of schools
    other = (
        Campaign.objects.filter(school_year=campaign.school_year)
        .exclude(pk=campaign.pk)
        .select_related("org_unit")
        .order_by("id")
        .first()
    )
    if other is None:
        raise SystemExit("the bench province has one campaign only")
    other_reload = (
        reverse("screening:campaign_coverage", args=[other.pk]) + f"?unit={other.org_unit_id}"
    )

    times: dict[str, list[float]] = {
        "dashboard": [],
        "campaign_page": [],
        "coverage_reload": [],
        "old_live_count": [],
        "hand_sql": [],
        "nightly_recount": [],
        "trends_page": [],
        "old_live_bands": [],
        "bands_recount": [],
    }
    year = campaign.school_year.start.year
    trends_url = reverse("compliance:trends") + f"?unit={province.code}&year={year}"
    counties = [c.pk for c in trends.counties_of(province)]
    queries: dict[str, int] = {}
    timed_get(client, dashboard)  # warm the templates and the caches once
    for _ in range(args.runs):
        seconds, queries["dashboard"], _body = timed_get(client, dashboard)
        times["dashboard"].append(seconds)
        seconds, queries["campaign_page"], _body = timed_get(client, detail)
        times["campaign_page"].append(seconds)
        seconds, queries["coverage_reload"], _body = timed_get(client, reload_url)
        times["coverage_reload"].append(seconds)
        started = time.perf_counter()
        live = live_counts(campaign, county, user)
        times["old_live_count"].append(time.perf_counter() - started)
        started = time.perf_counter()
        hand = hand_sql(campaign)
        times["hand_sql"].append(time.perf_counter() - started)
        started = time.perf_counter()
        services.coverage_refresh()
        times["nightly_recount"].append(time.perf_counter() - started)
        seconds, queries["trends_page"], _body = timed_get(client, trends_url)
        times["trends_page"].append(seconds)
        started = time.perf_counter()
        live_bands = trends.band_counts_live(counties, (year - 1, year))
        times["old_live_bands"].append(time.perf_counter() - started)
        started = time.perf_counter()
        trends.band_counts_refresh()
        times["bands_recount"].append(time.perf_counter() - started)

    # the page's figures are the live ones
    rows, as_of = selectors.coverage_by_child_as_of(actor=user, campaign=campaign, unit=county)
    paths = dict(OrgUnit.objects.filter(parent=county).values_list("id", "path"))
    page = {paths[r.key]: (r.enrolled, r.completed) for r in rows if r.enrolled}
    equal = page == live == hand
    # Asked twice, the second counted: the first may also write the session (its idle-timeout
    # bookkeeping, once a minute — on the whole province a nightly recount above takes ≈ 45 s).
    timed_get(client, other_reload)
    _s, other_queries, _b = timed_get(client, other_reload)
    # Two counties with different numbers of schools: the same statements.
    constant = other_queries == queries["coverage_reload"]
    print(f"coverage as of {as_of}; page totals == live count == hand SQL: {equal}")
    shown = trends.trends(unit=province, year=year).band_counts()
    bands_equal = bool(live_bands) and shown == live_bands
    print(f"trend page band counts == live grouping: {bands_equal} ({len(shown)} cells)")
    print(
        f"queries: dashboard {queries['dashboard']}, "
        f"reload {queries['coverage_reload']} (another county: {other_queries}), "
        f"campaign page {queries['campaign_page']}"
    )
    figures: dict[str, float] = {}
    for label, values in times.items():
        low, mid = stats(values)
        print(f"{label}: min {low * 1000:.0f} ms, median {mid * 1000:.0f} ms ({args.runs} runs)")
        figures[f"{label}_min_ms"] = round(low * 1000, 1)
        figures[f"{label}_median_ms"] = round(mid * 1000, 1)
    dash_med = statistics.median(times["dashboard"]) * 1000
    reload_vs_old = statistics.median(times["coverage_reload"]) / statistics.median(
        times["old_live_count"]
    )
    print(f"reload / old live count (median): {reload_vs_old:.3f}")
    trends_med = statistics.median(times["trends_page"]) * 1000
    ok = bool(
        equal
        and constant
        and bands_equal
        and dash_med < DASHBOARD_TARGET_MS
        and trends_med < DASHBOARD_TARGET_MS
    )
    print_result(
        "dashboards",
        figures,
        ratio=round(dash_med / DASHBOARD_TARGET_MS, 3),
        target=f"province dashboard and trend page < {DASHBOARD_TARGET_MS} ms; coverage and "
        "bands from counts, equal to the live count; reload statements constant in the number "
        "of schools",
        ok=ok,
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
