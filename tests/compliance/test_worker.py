"""The report task on a REAL Celery worker consuming from Redis (not eager): the request is
committed, enqueued on commit, picked up by a worker subprocess started as `make run` starts it
(``start_celery_worker``, tests/conftest.py), which renders it in the test database."""

import time

import pytest

from compliance import services
from compliance.models import ReportRequest, ReportStatus


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_the_requested_report(world, start_celery_worker):
    start_celery_worker()
    # when the official requests a report (the task is enqueued when the transaction commits)
    report = services.report_request(actor=world.users["official_a"], org_unit=world.county_a)
    # then the worker renders it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        report = ReportRequest.objects.get(pk=report.pk)
        if report.is_finished:
            break
        time.sleep(0.25)
    assert report.status == ReportStatus.DONE, report.error
    assert report.progress == 100
    assert bytes(report.html)[:2] == b"\x1f\x8b"  # the frozen HTML (gzip)
    assert bytes(report.xlsx)[:2] == b"PK"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_refreshes_the_indicator_snapshots(world, start_celery_worker):
    from compliance.models import IndicatorSnapshot
    from compliance.tasks import snapshot_refresh_task

    start_celery_worker()
    # when the nightly job is sent to the broker (here for one school year)
    snapshot_refresh_task.delay("2026")
    # then a worker computes every implemented indicator for every unit
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if IndicatorSnapshot.objects.filter(period="2026").count() == 12 * 7:
            break
        time.sleep(0.25)
    row = IndicatorSnapshot.objects.get(
        unit=world.province, period="2026", indicator="screening_coverage"
    )
    assert (row.numerator, row.denominator) == (0, 4)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_monthly_reports_once_per_unit(world, start_celery_worker):
    from compliance.tasks import reports_monthly_task
    from mhcare.notifications.models import Notification

    start_celery_worker()
    # when the monthly job is sent twice (a retry, or beat firing twice)
    reports_monthly_task.delay("2026-09")
    reports_monthly_task.delay("2026-09")
    # then the worker makes one report per county, city and province, all generated
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        reports = list(ReportRequest.objects.filter(scheduled=True, period="2026-09"))
        if len(reports) == 4 and all(r.is_finished for r in reports):
            break
        time.sleep(0.25)
    assert len(reports) == 4
    assert {r.status for r in reports} == {ReportStatus.DONE}
    assert (
        Notification.objects.filter(
            recipient=world.users["official_a"], kind="compliance.report_monthly"
        ).count()
        == 1
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sweeps_the_counties_an_import_changed(world, start_celery_worker):
    import datetime

    from compliance.models import IndicatorSnapshot, SnapshotRefreshPending
    from compliance.periods import parse_period
    from compliance.services import snapshot_refresh
    from compliance.tasks import snapshot_refresh_pending_task
    from mhcare.core import registry
    from tests.compliance.test_indicators import screen

    start_celery_worker()
    snapshot_refresh(period=parse_period("2026"))  # last night's snapshots
    # when results of a county-B school are imported (committed: the hook marks county B)
    screen(world, world.students["b"], datetime.date(2026, 10, 8))
    registry.data_changed([world.school_b.pk], "screening")
    assert list(SnapshotRefreshPending.objects.values_list("county_id", flat=True)) == [
        world.county_b.pk
    ]
    # and the minute's sweep is sent to the broker
    snapshot_refresh_pending_task.delay()
    # then a worker refreshes county B and re-sums the province from the counties
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = IndicatorSnapshot.objects.filter(
            unit=world.province, period="2026", indicator="screening_coverage"
        ).first()
        if row is not None and row.numerator == 1:
            break
        time.sleep(0.25)
    assert row is not None
    assert (row.numerator, row.denominator) == (1, 4)
