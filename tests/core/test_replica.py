"""The read replica (issue 14): dashboards, trends and report builds read from the "replica"
alias when one is configured; writes never go there, and a request that wrote reads from the
primary. The test settings give the replica a test database of its own, so the two can hold
different rows — as a lagging replica would — and the page shows which one it read."""

import gzip

import pytest
from django.apps import apps
from django.db import connections, router
from django.urls import reverse

from compliance import services
from compliance.models import IndicatorSnapshot, ReportRequest, ReportStatus
from mhcare.core.replica import PIN_COOKIE, reset_pin, using_replica
from mhcare.orgs.models import SchoolYear

pytestmark = pytest.mark.django_db(databases=["default", "replica"])

PERIOD = "2026"
# What the dashboard reads: the org tree, the user and their roles, and the snapshots (in the
# order of their foreign keys).
COPIED_MODELS = (
    "orgs.OrgUnit",
    "orgs.SchoolYear",
    "orgs.Semester",
    "accounts.User",
    "orgs.SchoolClass",
    "accounts.RoleAssignment",
    "compliance.IndicatorSnapshot",
)


def _replicate() -> None:
    """The replica as streaming replication leaves it: the primary's rows, copied table by table."""
    with connections["default"].cursor() as source, connections["replica"].cursor() as target:
        for label in COPIED_MODELS:
            table = apps.get_model(label)._meta.db_table
            with source.cursor.copy(f'COPY "{table}" TO STDOUT') as out:
                data = b"".join(bytes(chunk) for chunk in out)
            target.execute(f'DELETE FROM "{table}"')  # noqa: S608 - a model's own table
            with target.cursor.copy(f'COPY "{table}" FROM STDIN') as into:
                into.write(data)


@pytest.fixture
def lagging_replica(world, settings):
    """Screening coverage of 西湖区: 1 of 4 on the primary, 3 of 4 on the replica."""
    from django.utils import timezone

    IndicatorSnapshot.objects.create(
        unit=world.county_a,
        period=PERIOD,
        indicator="screening_coverage",
        numerator=1,
        denominator=4,
        computed_at=timezone.now(),
    )
    _replicate()
    IndicatorSnapshot.objects.using("replica").filter(unit=world.county_a).update(numerator=3)
    settings.REPLICA_DATABASE = "replica"
    return world


def _dashboard(client, world):
    return client.get(reverse("compliance:unit", args=[world.county_a.code]) + f"?period={PERIOD}")


def test_the_dashboard_reads_the_replica(client, lagging_replica):
    w = lagging_replica
    client.force_login(w.users["official_a"])

    response = _dashboard(client, w)

    assert response.status_code == 200
    body = response.content.decode()
    assert "75.0%" in body  # the replica's row
    assert "25.0%" not in body
    assert PIN_COOKIE not in response.cookies  # reading pins nothing
    assert "75.0%" in _dashboard(client, w).content.decode()


def test_without_a_replica_the_dashboard_reads_the_primary(client, lagging_replica, settings):
    settings.REPLICA_DATABASE = ""
    client.force_login(lagging_replica.users["official_a"])

    assert "25.0%" in _dashboard(client, lagging_replica).content.decode()


def test_a_write_goes_to_the_primary_and_the_next_page_reads_it_there(client, lagging_replica):
    w = lagging_replica
    client.force_login(w.users["official_a"])

    # when the official requests a report (a POST that writes)
    response = client.post(
        reverse("compliance:report_list") + f"?unit={w.county_a.code}",
        {"unit": w.county_a.code, "period": PERIOD},
    )

    # then the row is on the primary only
    assert response.status_code == 302, response.content.decode()
    assert ReportRequest.objects.using("default").filter(org_unit=w.county_a).count() == 1
    assert not ReportRequest.objects.using("replica").exists()
    # and the browser reads from the primary for a moment (the replica may lag behind the write)
    assert PIN_COOKIE in response.cookies
    assert response.cookies[PIN_COOKIE]["max-age"] == 10
    assert "25.0%" in _dashboard(client, w).content.decode()
    # once the pin has expired, the dashboard reads the replica again
    client.cookies.pop(PIN_COOKIE)
    assert "75.0%" in _dashboard(client, w).content.decode()


def test_the_router_sends_only_chosen_reads_to_the_replica(lagging_replica):
    reset_pin()  # as before a Celery task: the fixture's own writes pinned this thread
    assert router.db_for_read(IndicatorSnapshot) == "default"  # not chosen
    with using_replica():
        assert router.db_for_read(IndicatorSnapshot) == "replica"
        assert router.db_for_write(IndicatorSnapshot) == "default"  # writes never
        # a write pins what follows to the primary: this context reads its own writes
        IndicatorSnapshot.objects.filter(unit=lagging_replica.county_a).update(numerator=2)
        assert router.db_for_read(IndicatorSnapshot) == "default"
        assert IndicatorSnapshot.objects.get(unit=lagging_replica.county_a).numerator == 2
    assert IndicatorSnapshot.objects.using("replica").get().numerator == 3


def test_the_report_build_reads_the_replica(lagging_replica):
    w = lagging_replica
    report = ReportRequest.objects.create(
        requested_by=w.users["official_a"],
        org_unit=w.county_a,
        school_year=SchoolYear.current(),
        period=PERIOD,
    )

    # the task writes its status on the primary, then builds from the replica
    services.report_render(report_id=report.pk)

    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    html = gzip.decompress(bytes(report.html)).decode()
    assert "75.0%" in html
    assert "25.0%" not in html
    assert not ReportRequest.objects.using("replica").exists()
