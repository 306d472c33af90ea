"""Index plans at province scale: on a medium province made by the province generator
(``province.generate.seed_province``: 200 000 students in the real tree of 90 counties, with a
year of screening results, cases, follow-ups, family contacts, referrals and lessons; each county's
and each school's students in a run of ids, as rosters are imported), the SQL of the real pages is
EXPLAINed (ANALYZE): the lists' first and deep pages, a student's page (the 一生一策 growth file),
the APIs' lists (the results by campaign too) and the dashboards, then every page without URL
parameters, as a county center, a county official, a supervisor, a school leader, a psychology
teacher and a homeroom teacher of a large county — no sequential scan of a large table, and no
scan of one that throws away thousands of rows by its filter (a walk of the primary key filtered
by the school, which reads the rows of every school before it)."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisis.models import Case, CaseStatus
from mhcare.accounts.models import Role
from mhcare.orgs.models import OrgKind, OrgUnit, Student
from province import generate
from screening.models import ScreeningResult
from tests import factories
from tests.accounts.test_pages_two_roles import parameterless_paths

# The tables that grow with the province's students (the generator's big tables and the cases).
LARGE = frozenset(generate.BIG_TABLES) | {"crisis_case", "crisis_followup", "crisis_caseevent"}


# A scan of a large table that reads and throws away more rows than this walks the table (e.g.
# the primary key in id order, filtered row by row by the school's path) instead of an index
# that matches the filter.
MAX_ROWS_REMOVED = 5_000
SEED = 20260901


def _nodes(plan: dict) -> list[dict]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


def _bad_scans(sqls: list[str], explained: set[str]) -> list[str]:
    """EXPLAIN ANALYZE each SELECT that reads a large table and is not in ``explained`` yet (the
    pages share their header's queries): a sequential scan of a large table, or a scan of one
    that removes more than ``MAX_ROWS_REMOVED`` rows by its filter, is reported with its plan."""
    bad = []
    with connection.cursor() as cursor:
        for sql in sqls:
            if not sql.lstrip().upper().startswith("SELECT") or " FOR UPDATE" in sql.upper():
                continue
            if sql in explained or not any(f'"{table}"' in sql for table in LARGE):
                continue
            explained.add(sql)
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            raw = cursor.fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
            for node in _nodes(plan):
                table = node.get("Relation Name")
                if table not in LARGE:
                    continue
                removed = node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1)
                if node["Node Type"] == "Seq Scan" or removed > MAX_ROWS_REMOVED:
                    bad.append(f"{node['Node Type']} on {table} (removed {removed})\n{sql}")
    return bad


@pytest.mark.django_db
def test_pages_at_province_scale_use_indexes():
    generate.seed_province(students=200_000, seed=SEED)
    assert Student.objects.count() >= 190_000
    # The county with the most students, and a school of it with an open case.
    largest = Student.objects.values("county").annotate(n=Count("id")).order_by("-n", "county")
    county = OrgUnit.objects.get(pk=largest[0]["county"], kind=OrgKind.COUNTY)
    case = Case.objects.filter(county=county, status=CaseStatus.OPEN).order_by("id")[50]
    school = case.school
    center = factories.user_with_role(Role.COUNTY_CENTER, county, username="plan_center")
    psych = factories.user_with_role(Role.PSYCH_TEACHER, school, username="plan_psych")
    homeroom = factories.user_with_role(
        Role.HOMEROOM_TEACHER, school, klass=case.student.klass, username="plan_homeroom"
    )
    in_county = Student.objects.filter(county=county).order_by("id").values_list("id", flat=True)
    deep_after = in_county[len(in_county) * 3 // 4]
    api_cursor = base64.b64encode(f"p={deep_after}".encode()).decode()
    campaign = ScreeningResult.objects.filter(county=county).values("campaign")[:1].get()
    results_of_campaign = f"{reverse('api-result-list')}?campaign={campaign['campaign']}"
    pages = {
        center: [
            reverse("orgs:student_list"),
            f"{reverse('orgs:student_list')}?after={deep_after}",
            reverse("crisis:highrisk_list"),
            reverse("orgs:student_detail", args=[case.student_id]),
            reverse("api-student-list"),
            f"{reverse('api-student-list')}?cursor={api_cursor}",
            results_of_campaign,
            reverse("core:home"),
        ],
        psych: [
            results_of_campaign,
            reverse("orgs:student_list"),
            reverse("crisis:highrisk_list"),
            reverse("orgs:student_detail", args=[case.student_id]),
            reverse("core:home"),
        ],
        homeroom: [
            reverse("orgs:student_list"),
            reverse("orgs:student_detail", args=[case.student_id]),
            reverse("core:home"),
        ],
    }
    # Every other page without URL parameters, as every role of a school, a class or a county
    # (an official of a city or the province reads aggregates of many counties: snapshots, or
    # scans that are the right plan there).
    leader = factories.user_with_role(Role.SCHOOL_LEADER, school, username="plan_leader")
    official = factories.user_with_role(Role.OFFICIAL, county, username="plan_official")
    supervisor = factories.user_with_role(Role.SUPERVISOR, county, username="plan_supervisor")
    # (the API's schema reads no records: 0.3–0.7 s a role to render)
    everywhere = [p for p in parameterless_paths() if p != reverse("api-schema")]
    for user in (center, psych, homeroom, leader, official, supervisor):
        pages[user] = pages.get(user, []) + [p for p in everywhere if p not in pages.get(user, [])]
    bad: list[str] = []
    explained: set[str] = set()
    seen_ok = 0
    for user, urls in pages.items():
        client = Client()
        client.force_login(user)
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code < 500, url
            if url in everywhere and response.status_code != 200:
                continue  # not this role's page (403), or a redirect to its own
            seen_ok += 1
            sqls = [q["sql"] for q in ctx.captured_queries]
            bad += [f"{user.username} {url}: {b}" for b in _bad_scans(sqls, explained)]
    assert seen_ok > 100
    assert not bad, "\n\n".join(bad)
