"""The audit seal job on a REAL Celery worker (not eager): enqueued through the broker, run by a
worker subprocess started as `make run` starts it, it seals the test database's events."""

import pytest

from mhcare.audit import chain
from mhcare.audit.models import AuditEvent, AuditSeal
from mhcare.audit.tasks import audit_seal_task
from tests.workers import wait_until


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_seals_the_audit_log(start_celery_worker):
    # given three events, and a worker whose seal delay is 0 (every committed event is due)
    for n in range(3):
        AuditEvent.objects.create(actor_username=f"u{n}", action="view")
    start_celery_worker(env={"AUDIT_SEAL_DELAY_SECONDS": "0"})
    # when
    audit_seal_task.delay()
    # then
    wait_until(AuditSeal.objects.exists, 60, "a seal written by the worker")
    seal = AuditSeal.objects.get()
    assert seal.event_count == 3
    assert chain.verify().is_intact
