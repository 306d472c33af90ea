"""The report task on a REAL Celery worker consuming from Redis (not eager): the request is
committed, enqueued on commit, picked up by the worker thread (same process, so its database
connection goes to the test database) and rendered."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from compliance import services
from compliance.models import ReportRequest, ReportStatus
from mhcare.celery import app as celery_app

TEST_BROKER = "redis://127.0.0.1:6379/15"


def _forget_broker_connections():
    """Producers are pooled per app; drop the pool so the next publish uses the current broker."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_worker():
    saved = {
        key: celery_app.conf[key] for key in ("broker_url", "task_always_eager", "result_backend")
    }
    celery_app.conf.update(broker_url=TEST_BROKER, task_always_eager=False, result_backend=None)
    _forget_broker_connections()
    celery_app.control.purge()
    try:
        with start_worker(
            celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30
        ) as worker:
            yield worker
    finally:
        celery_app.control.purge()
        celery_app.conf.update(saved)
        _forget_broker_connections()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_the_requested_report(world, redis_worker):
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
