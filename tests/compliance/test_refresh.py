"""Snapshots refreshed after imports (issue 12): an import that commits announces its units through
the kernel hook (``registry.data_changed``), compliance keeps one pending row per county (the
debounce: 50 imports → one refresh), the sweep recomputes that county and re-sums the city and
the province from the counties' fresh rows, so the levels never disagree."""

import datetime

import pytest
from django.db import transaction

from compliance import refresh, services
from compliance.models import IndicatorSnapshot, SnapshotRefreshPending
from compliance.periods import current_periods, parse_period
from mhcare.accounts.models import Role
from mhcare.core import registry
from staffing.lessons import services as lesson_services
from staffing.lessons.importers import HEADERS, parse_lessons
from tests import factories
from tests.compliance.test_indicators import screen, snapshot

pytestmark = pytest.mark.django_db

YEAR = "2026"  # the world's school year, current on the test machine's date (2026-2027)


def refresh_all():
    for period in current_periods():
        services.snapshot_refresh(period=period)


def pending():
    return sorted(SnapshotRefreshPending.objects.values_list("county_id", flat=True))


def test_a_lesson_import_marks_its_county_after_commit(world, django_capture_on_commit_callbacks):
    data = "\r\n".join(["班级,日期,课时,主题,授课教师", "八(1)班,2026-10-12,1,认识情绪,王老师"])
    rows, errors = parse_lessons(data.encode("utf-8"), "课表.csv")
    assert errors == []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = lesson_services.lesson_import(
            actor=world.users["psych_a"],
            school=world.school_a,
            rows=rows,
            source="课表.csv",
            columns=HEADERS,
        )
    assert result.created == 1
    assert pending() == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert pending() == [world.county_a.pk]


def test_a_rolled_back_import_marks_nothing(world, django_capture_on_commit_callbacks):
    def failing_import():
        with transaction.atomic():
            registry.data_changed([world.school_b.pk], "screening")
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_import()
    assert callbacks == []
    assert pending() == []


def test_fifty_imports_in_a_minute_leave_one_pending_row_per_county(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _i in range(50):
            registry.data_changed([world.school_a.pk], "screening")
            registry.data_changed([world.school_a2.pk, world.school_b.pk], "roster")
    assert pending() == sorted([world.county_a.pk, world.county_b.pk])
    # one sweep refreshes each county once, then nothing is pending
    assert refresh.refresh_pending() == 2
    assert pending() == []
    assert refresh.refresh_pending() == 0


def test_the_sweep_refreshes_the_county_and_resums_city_and_province(
    world, django_capture_on_commit_callbacks
):
    refresh_all()
    assert snapshot(world.province, YEAR, "screening_coverage") == (0, 4)
    screen(world, world.students["b"], datetime.date(2026, 10, 8))
    with django_capture_on_commit_callbacks(execute=True):
        registry.data_changed([world.school_b.pk], "screening")
    assert pending() == [world.county_b.pk]

    assert refresh.refresh_pending() == 1
    assert snapshot(world.school_b, YEAR, "screening_coverage") == (1, 1)
    assert snapshot(world.county_b, YEAR, "screening_coverage") == (1, 1)
    city = world.county_b.parent
    assert snapshot(city, YEAR, "screening_coverage") == (1, 4)
    assert snapshot(world.province, YEAR, "screening_coverage") == (1, 4)
    # the same numbers as a full refresh of every level
    before = sorted(
        IndicatorSnapshot.objects.values_list(
            "unit_id", "period", "indicator", "numerator", "denominator"
        )
    )
    refresh_all()
    after = sorted(
        IndicatorSnapshot.objects.values_list(
            "unit_id", "period", "indicator", "numerator", "denominator"
        )
    )
    assert before == after


def test_counties_of_maps_schools_and_counties(world):
    assert refresh.counties_of([world.school_a.pk, world.school_a2.pk]) == [world.county_a.pk]
    assert refresh.counties_of([world.county_b.pk]) == [world.county_b.pk]
    assert refresh.counties_of([world.province.pk]) == []


def test_a_sweep_holding_the_lock_makes_the_other_return(world):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [refresh.SWEEP_LOCK])
    try:
        # the lock is per session: the same session could take it again, so use a second one
        import psycopg

        from tests.workers import conninfo

        with psycopg.connect(conninfo()) as other:
            assert not other.execute(
                "SELECT pg_try_advisory_lock(%s)", [refresh.SWEEP_LOCK]
            ).fetchone()[0]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [refresh.SWEEP_LOCK])


def test_the_nightly_job_fills_missing_school_year_months_once(world):
    from compliance.periods import school_year_months

    months = school_year_months()
    assert months[0] == "2026-09"
    missing = services.missing_trend_periods()
    assert [p.code for p in missing] == months
    services.snapshot_refresh(period=parse_period(months[0]))
    assert months[0] not in [p.code for p in services.missing_trend_periods()]


# --- trend over periods -------------------------------------------------------------------------


@pytest.fixture
def months_computed(world):
    from compliance.periods import trend_months

    months = trend_months(3)  # e.g. 2026-10, 2026-11, 2026-12
    screen(world, world.students["a"], datetime.date.fromisoformat(months[-1] + "-02"))
    for month in months[1:]:  # the oldest month never computed: no value
        services.snapshot_refresh(period=parse_period(month))
    return months


def test_the_dashboard_shows_a_sparkline_and_a_table_per_indicator(
    client, world, months_computed, settings
):
    from django.urls import reverse

    from tests.conftest import login

    settings.COMPLIANCE_TREND_MONTHS = 3
    login(client, world.users["official_a"])
    page = client.get(reverse("compliance:unit", args=[world.county_a.code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="sparkline"' in html
    assert 'data-testid="trend-screening_coverage"' in html
    table = html.split('data-testid="trend-table"')[1]
    first, second, third = months_computed
    assert all(m in table for m in months_computed)
    row = table.split('data-trend="screening_coverage"')[1].split("</tr>")[0]
    assert row.count("–") == 1  # the month never computed
    assert "33.3%" in row  # county A: 1 of its 3 students screened this month
    assert "onclick" not in html
    assert "style=" not in html


def test_the_api_gives_the_series_with_trend_1(client, world, months_computed, settings):
    from django.urls import reverse

    from tests.conftest import login

    settings.COMPLIANCE_TREND_MONTHS = 3
    login(client, world.users["official_a"])
    url = reverse("api-compliance-indicators")
    plain = client.get(url, {"unit": world.county_a.code, "period": months_computed[-1]}).json()
    assert "trend" not in plain[0]
    data = client.get(
        url, {"unit": world.county_a.code, "period": months_computed[-1], "trend": 1}
    ).json()
    rows = {r["code"]: r for r in data}
    series = rows["screening_coverage"]["trend"]
    assert [p["period"] for p in series] == months_computed
    assert series[0] == {
        "period": months_computed[0],
        "numerator": None,
        "denominator": None,
        "value": None,
    }
    assert (series[-1]["numerator"], series[-1]["denominator"]) == (1, 3)
    assert series[-1]["value"] == rows["screening_coverage"]["value"]
    # another county's official: 404 as if missing
    client.force_login(factories.user_with_role(Role.OFFICIAL, world.county_b, username="off_b"))
    other = client.get(
        url, {"unit": world.county_a.code, "period": months_computed[-1], "trend": 1}
    )
    assert other.status_code == 404


def test_sparkline_escapes_its_title_and_breaks_on_missing_values():
    from mhcare.core.charts import sparkline_svg

    svg = str(sparkline_svg([("a", None), ("b", 40.0), ("c", 60.0)], title="<x>", target=50))
    assert "&lt;x&gt;" in svg
    assert "<x>" not in svg
    assert svg.count("<polyline") == 1
    assert svg.count("<circle") == 1
