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
    assert bytes(report.pdf).startswith(b"%PDF")


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
