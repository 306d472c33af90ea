"""A results import on a REAL Celery worker (a ``celery -A mhcare worker --pool=solo`` subprocess
on Redis), killed with SIGKILL mid-run again and again: the broker redelivers the message
(``acks_late``), each run is counted on the job, and after ``MAX_ATTEMPTS`` the job ends FAILED
with a message instead of crashing workers for ever.

How a run is stopped "in the middle": the test holds the student's row ``FOR UPDATE`` in its own
transaction; the import's transaction (the foreign key check of the result it wrote, at COMMIT)
waits on it, after the run was counted and committed. The test sees the worker waiting and kills
it."""

import signal
import subprocess
import uuid

import psycopg
import pytest

from screening.imports import parsing, services
from screening.imports.tasks import import_run_task
from screening.models import ImportJob, ImportStatus, ScreeningResult
from tests import workers
from tests.screening.imports.conftest import csv_bytes, row

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _start_worker(start_celery_worker, queue: str) -> subprocess.Popen:
    return start_celery_worker(
        workers.solo_worker_argv(queue), settings=workers.FAST_REDELIVERY_SETTINGS, wait=False
    ).process


def _worker_waits_on_the_student(probe: psycopg.Connection) -> bool:
    """The worker's transaction waits for the student's row (the foreign key of the results it
    wrote, checked at COMMIT: Django's foreign keys are deferred)."""
    found = probe.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    ).fetchone()
    return bool(found and found[0])


def test_a_job_that_kills_its_worker_is_given_up_after_max_attempts(
    world, campaign, phq9, celery_broker, start_celery_worker
):
    student = world.students["a"]
    job = services.import_job_create(
        actor=world.users["psych_a"],
        campaign=campaign,
        instrument=phq9,
        unit=world.school_a,
        filename="results.csv",
        content=csv_bytes([row(student, [1] * 9)]),
        enqueue=False,
    )
    queue = f"imports-test-{uuid.uuid4().hex[:8]}"
    blocker = psycopg.connect(workers.conninfo())
    probe = psycopg.connect(workers.conninfo(), autocommit=True)
    worker = None
    try:
        blocker.execute("SELECT 1 FROM orgs_student WHERE id = %s FOR UPDATE", (student.pk,))
        import_run_task.apply_async(args=[job.pk], queue=queue)
        for attempt in range(1, services.MAX_ATTEMPTS + 1):
            # given a worker that takes the (re)delivered message and blocks mid-run
            worker = _start_worker(start_celery_worker, queue)
            workers.wait_until(
                lambda: _worker_waits_on_the_student(probe), 90, f"run {attempt} to block"
            )
            # when it dies (as an out-of-memory kill would)
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            # (its database session, waiting on a lock, would notice the lost client only once
            # granted: end it, as the server does for a dead connection)
            probe.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            workers.wait_until(
                lambda: not _worker_waits_on_the_student(probe), 30, "the session to end"
            )
            # then the run was counted, nothing was stored, the job waits for redelivery
            job.refresh_from_db()
            assert (job.status, job.attempts) == (ImportStatus.RUNNING, attempt)
            assert not ScreeningResult.objects.exists()
        blocker.rollback()
        # the broker delivers the message once more: the job is given up, not run
        worker = _start_worker(start_celery_worker, queue)
        workers.wait_until(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportStatus.FAILED,
            90,
            "the job to be given up",
        )
        workers.wait_until(
            lambda: celery_broker.hlen("unacked") == 0, 30, "the message to be acked"
        )
    finally:
        blocker.close()
        probe.close()
    job.refresh_from_db()
    assert job.attempts == services.MAX_ATTEMPTS
    expected = parsing.format_message(services.ERROR_GAVE_UP, attempts=services.MAX_ATTEMPTS)
    assert [e["message"] for e in job.errors] == [expected]
    assert not ScreeningResult.objects.exists()
