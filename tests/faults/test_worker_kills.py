"""Workers killed (SIGKILL, as an out-of-memory kill) in the middle of a task, then a new worker:
the broker redelivers the unacknowledged message (``acks_late``) and each effect happens exactly
once. Real Celery workers (``celery -A mhcare worker --pool=solo``) on Redis, not eager.

- a compliance report's generation (killed while it builds, after it was marked running);
- an outbox delivery (上报; killed while the platform holds its POST): the platform gets the
  POST again with the same ``Idempotency-Key`` and stores it once; the row is sent once.

The reminder scan proves its own in tests/core/reminders/test_worker.py (killed mid-scan,
redelivered, each reminder once); the results import in tests/screening/imports/test_worker_crash.py
(killed mid-run again and again, given up after MAX_ATTEMPTS)."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings

from compliance import services as compliance_services
from compliance.models import ReportRequest, ReportStatus
from crisis.models import CaseReport
from crisis.models import ReportStatus as CaseReportStatus
from crisis.reporting.services import CHANNEL
from mhcare.audit.models import Action, AuditEvent
from mhcare.core.outbox.tasks import outbox_deliver_task
from screening.imports import services as import_services
from screening.imports.tasks import import_run_task
from screening.models import ImportJob, ImportStatus, ScreeningResult
from tests import workers
from tests.crisis.reporting.helpers import make_case, make_report
from tests.screening.imports.conftest import campaign as campaign_fixture
from tests.screening.imports.conftest import csv_bytes, row
from tests.screening.imports.conftest import english_uploaders as english_uploaders_fixture
from tests.screening.imports.conftest import phq9 as phq9_fixture

# the imports' fixtures, under their own names
campaign, phq9, english_uploaders = campaign_fixture, phq9_fixture, english_uploaders_fixture

# serial: it kills workers mid-task and waits for redelivery: run alone, not beside another xdist
# worker (`make test` runs `-m serial` after the parallel run).
pytestmark = [pytest.mark.serial, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SETTINGS = "tests.faults.worker_settings"
# The worker takes every queue (as `make run`'s single worker does): the report task is routed to
# "reports"; the tasks this module sends itself go to the default queue.
WORKER_QUEUES = ",".join(django_settings.CELERY_QUEUE_NAMES)
QUEUE = django_settings.CELERY_TASK_DEFAULT_QUEUE


def _start(start_celery_worker: Any, env: dict[str, str] | None = None) -> subprocess.Popen:
    return start_celery_worker(
        workers.solo_worker_argv(WORKER_QUEUES), settings=SETTINGS, env=env, wait=False
    ).process


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def _stop(*processes: subprocess.Popen | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_a_worker_killed_mid_report_and_redelivered_stores_the_report_once(
    world, celery_broker, start_celery_worker
):
    slow = {"MHCARE_TEST_SLOW_REPORT": "3"}
    first = second = None
    try:
        first = _start(start_celery_worker, slow)
        # when an official requests a report (enqueued on commit, taken by the worker)
        report = compliance_services.report_request(
            actor=world.users["official_a"], org_unit=world.county_a
        )
        # and the worker dies while it builds it (marked running, progress committed)
        workers.wait_until(
            lambda: ReportRequest.objects.get(pk=report.pk).progress >= 20,
            90,
            "the report to be half built",
        )
        half = ReportRequest.objects.get(pk=report.pk)
        assert (half.status, half.html) == (ReportStatus.RUNNING, None)
        _kill(first)
        # then a new worker gets the message again and finishes it
        second = _start(start_celery_worker)
        workers.wait_until(
            lambda: ReportRequest.objects.get(pk=report.pk).is_finished, 90, "the report"
        )
        workers.wait_until(lambda: celery_broker.hlen("unacked") == 0, 30, "the ack")
    finally:
        _stop(first, second)
    done = ReportRequest.objects.get(pk=report.pk)
    assert done.status == ReportStatus.DONE, done.error
    assert bytes(done.html)[:2] == b"\x1f\x8b"
    assert bytes(done.xlsx)[:2] == b"PK"
    # one report, generated once
    assert ReportRequest.objects.count() == 1
    generated = AuditEvent.objects.filter(
        action=Action.EXPORT, object_id=str(report.pk), detail__generated_by="worker"
    )
    assert generated.count() == 1


class _Platform:
    """The provincial platform on loopback: stores each report once by its Idempotency-Key (a
    retry of a stored one is answered as a success); holds the first POST until released."""

    def __init__(self) -> None:
        self.posts: list[str] = []
        self.stored: dict[str, Any] = {}
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.url = ""


@pytest.fixture
def platform() -> Iterator[_Platform]:
    state = _Platform()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers["Idempotency-Key"]
            with state.lock:
                state.posts.append(key)
                first = len(state.posts) == 1
            if first:
                state.first_arrived.set()
                state.release.wait(60)  # the sender dies meanwhile
            with state.lock:
                state.stored.setdefault(key, json.loads(raw))
            data = json.dumps({"receipt": f"R-{len(state.stored)}"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/crisis-reports"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_worker_killed_mid_delivery_and_redelivered_delivers_once(
    world, celery_broker, start_celery_worker, platform
):
    case = make_case(world.students["a"], responsible=world.users["psych_a"])
    row = make_report(case)
    env = {"PROVINCIAL_REPORT_URL": platform.url, "PROVINCIAL_REPORT_TIMEOUT": "60"}
    first = second = None
    try:
        first = _start(start_celery_worker, env)
        outbox_deliver_task.apply_async(args=[CHANNEL, row.pk], queue=QUEUE)
        # when the worker dies while the platform holds its POST (the row locked, not yet sent)
        assert platform.first_arrived.wait(90), "the first POST never came"
        _kill(first)
        platform.release.set()
        row.refresh_from_db()
        assert (row.status, row.attempts) == (CaseReportStatus.PENDING, 0)
        # then a new worker gets the message again and posts it again, with the same key
        second = _start(start_celery_worker, env)
        workers.wait_until(
            lambda: CaseReport.objects.get(pk=row.pk).status == CaseReportStatus.SENT,
            90,
            "the redelivered delivery",
        )
        workers.wait_until(lambda: celery_broker.hlen("unacked") == 0, 30, "the ack")
    finally:
        _stop(first, second)
    # the platform stored it once (the retry carried the same Idempotency-Key)
    assert platform.posts == [f"case-{case.pk}-v1"] * 2
    assert list(platform.stored) == [f"case-{case.pk}-v1"]
    # the row was sent once: one attempt recorded, one export audited
    row.refresh_from_db()
    assert (row.status, row.attempts) == (CaseReportStatus.SENT, 1)
    assert row.response == {"receipt": "R-1"}
    assert AuditEvent.objects.filter(action=Action.EXPORT, object_id=str(row.pk)).count() == 1


def test_an_import_killed_once_and_redelivered_stores_each_result_once(
    world, campaign, phq9, celery_broker, start_celery_worker
):
    """tests/screening/imports/test_worker_crash.py kills the import until it is given up; here
    the second delivery succeeds, and each result is stored once."""
    student, other = world.students["a"], world.students["a_other_class"]
    job = import_services.import_job_create(
        actor=world.users["psych_a"],
        campaign=campaign,
        instrument=phq9,
        unit=world.school_a,
        filename="results.csv",
        content=csv_bytes([row(student, [1] * 9), row(other, [2] * 9)]),
        enqueue=False,
    )
    blocker = psycopg.connect(workers.conninfo())
    probe = psycopg.connect(workers.conninfo(), autocommit=True)
    first = second = None
    try:
        # the test holds a student's row: the import's COMMIT (its foreign key check) waits on it
        blocker.execute("SELECT 1 FROM orgs_student WHERE id = %s FOR UPDATE", (student.pk,))
        first = _start(start_celery_worker)
        import_run_task.apply_async(args=[job.pk], queue=QUEUE)
        workers.wait_until(lambda: _waits_on_a_lock(probe), 90, "the import to block mid-run")
        # when the worker dies there (its results written, not committed)
        _kill(first)
        probe.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        workers.wait_until(lambda: not _waits_on_a_lock(probe), 30, "the session to end")
        blocker.rollback()
        assert not ScreeningResult.objects.exists()
        # then a new worker gets the message again and imports the file
        second = _start(start_celery_worker)
        workers.wait_until(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE,
            90,
            "the redelivered import",
        )
        workers.wait_until(lambda: celery_broker.hlen("unacked") == 0, 30, "the ack")
    finally:
        _stop(first, second)
        blocker.close()
        probe.close()
    job.refresh_from_db()
    assert job.attempts == 2
    assert sorted(ScreeningResult.objects.values_list("student_id", flat=True)) == sorted(
        [student.pk, other.pk]
    )


def _waits_on_a_lock(probe: psycopg.Connection) -> bool:
    found = probe.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    ).fetchone()
    return bool(found and found[0])
