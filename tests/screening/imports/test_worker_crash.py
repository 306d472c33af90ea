"""A results import on a REAL Celery worker (a ``celery -A mhcare worker --pool=solo`` subprocess
on Redis), killed with SIGKILL mid-run again and again: the broker redelivers the message
(``acks_late``), each run is counted on the job, and after ``MAX_ATTEMPTS`` the job ends FAILED
with a message instead of crashing workers for ever.

How a run is stopped "in the middle": the test holds the student's row ``FOR UPDATE`` in its own
transaction; the import's transaction (the foreign key check of the result it wrote, at COMMIT)
waits on it, after the run was counted and committed. The test sees the worker waiting and kills
it."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import redis
from django.db import connection

from mhcare.celery import app as celery_app
from screening.imports import parsing, services
from screening.imports.tasks import import_run_task
from screening.models import ImportJob, ImportStatus, ScreeningResult
from tests.screening.imports.conftest import csv_bytes, row

ROOT = Path(__file__).resolve().parents[3]
# A Redis database of its own (the reminders' worker test flushes 13).
TEST_BROKER = "redis://127.0.0.1:6379/11"
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _settings_dict() -> dict:
    s = connection.settings_dict
    return {
        "dbname": s["NAME"],
        "user": s.get("USER") or "postgres",
        "password": s.get("PASSWORD") or "",
        "host": s.get("HOST") or "127.0.0.1",
        "port": s.get("PORT") or "5432",
    }


def _database_url() -> str:
    s = _settings_dict()
    password = f":{s['password']}" if s["password"] else ""
    return f"postgres://{s['user']}{password}@{s['host']}:{s['port']}/{s['dbname']}"


def _conninfo() -> str:
    return " ".join(f"{k}={v}" for k, v in _settings_dict().items() if v)


def _start_worker(queue: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        # the reminders' worker settings: real broker, 3 s visibility timeout (fast redelivery)
        "DJANGO_SETTINGS_MODULE": "tests.core.reminders.worker_settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": TEST_BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "mhcare", "worker", "--pool=solo",
        "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h", "-l", "info", "--without-gossip",
        "--without-mingle", "--without-heartbeat", "-I", "screening.imports.tasks",
    ]  # fmt: skip
    return subprocess.Popen(  # noqa: S603 - fixed command line
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _worker_waits_on_the_student(probe: psycopg.Connection) -> bool:
    """The worker's transaction waits for the student's row (the foreign key of the results it
    wrote, checked at COMMIT: Django's foreign keys are deferred)."""
    found = probe.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    ).fetchone()
    return bool(found and found[0])


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def broker():
    client = redis.Redis.from_url(TEST_BROKER)
    client.flushdb()
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=TEST_BROKER, task_always_eager=False)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield client
    finally:
        celery_app.conf.update(saved)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        client.flushdb()


def test_a_job_that_kills_its_worker_is_given_up_after_max_attempts(
    world, campaign, phq9, broker, tmp_path
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
    blocker = psycopg.connect(_conninfo())
    probe = psycopg.connect(_conninfo(), autocommit=True)
    worker = None
    try:
        blocker.execute("SELECT 1 FROM orgs_student WHERE id = %s FOR UPDATE", (student.pk,))
        import_run_task.apply_async(args=[job.pk], queue=queue)
        for attempt in range(1, services.MAX_ATTEMPTS + 1):
            # given a worker that takes the (re)delivered message and blocks mid-run
            worker = _start_worker(queue, tmp_path / f"worker-{attempt}.log")
            _wait(lambda: _worker_waits_on_the_student(probe), 90, f"run {attempt} to block")
            # when it dies (as an out-of-memory kill would)
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            # (its database session, waiting on a lock, would notice the lost client only once
            # granted: end it, as the server does for a dead connection)
            probe.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            _wait(lambda: not _worker_waits_on_the_student(probe), 30, "the session to end")
            # then the run was counted, nothing was stored, the job waits for redelivery
            job.refresh_from_db()
            assert (job.status, job.attempts) == (ImportStatus.RUNNING, attempt)
            assert not ScreeningResult.objects.exists()
        blocker.rollback()
        # the broker delivers the message once more: the job is given up, not run
        worker = _start_worker(queue, tmp_path / "worker-last.log")
        _wait(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportStatus.FAILED,
            90,
            "the job to be given up",
        )
        _wait(lambda: broker.hlen("unacked") == 0, 30, "the message to be acked")
    finally:
        _stop(worker)
        blocker.close()
        probe.close()
    job.refresh_from_db()
    assert job.attempts == services.MAX_ATTEMPTS
    expected = parsing.format_message(services.ERROR_GAVE_UP, attempts=services.MAX_ATTEMPTS)
    assert [e["message"] for e in job.errors] == [expected]
    assert not ScreeningResult.objects.exists()
