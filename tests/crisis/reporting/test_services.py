"""上报 delivery against a real HTTP server on loopback (not a mock of the HTTP client): success,
failure then success on retry, idempotency, backoff, a row locked by another worker, and delivery
switched off."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from crisis.models import CaseReport, ReportStatus
from crisis.reporting import services
from crisis.reporting.services import CHANNEL, Outcome
from mhcare.audit.models import Action, AuditEvent
from mhcare.core.outbox import tasks
from tests.crisis.reporting.helpers import make_case, make_report


@pytest.fixture
def report(world):
    case = make_case(world.students["a"], responsible=world.users["psych_a"])
    return make_report(case)


def test_a_report_is_posted_with_token_and_idempotency_key_and_recorded_as_sent(
    world, platform, report
):
    platform.answers = [(201, {"receipt": "ZJ-2026-000123"})]

    outcome = services.report_deliver(report_id=report.pk)

    assert outcome == Outcome.SENT
    [received] = platform.received
    assert received.headers["Authorization"] == "Bearer test-token"
    assert received.headers["Idempotency-Key"] == f"case-{report.case_id}-v1"
    assert received.headers["Content-Type"].startswith("application/json")
    body = received.body
    assert body["schema"] == "mhcare.case-report/1"
    assert body["student"]["name"] == "张小明"
    assert body["reported_at"].endswith("Z")
    report.refresh_from_db()
    assert report.status == ReportStatus.SENT
    assert report.sent_at is not None
    assert report.attempts == 1
    assert report.next_attempt_at is None
    assert report.response == {"receipt": "ZJ-2026-000123"}
    # the row records exactly what was sent
    assert report.payload == body
    event = AuditEvent.objects.get(action=Action.EXPORT)
    assert event.student_id == world.students["a"].pk
    assert event.detail["outcome"] == "sent"


def test_a_failure_is_retried_with_backoff_and_then_succeeds(world, platform, report):
    platform.answers = [(503, {"error": "maintenance"}), (200, {"receipt": "R-2"})]
    start = timezone.now()

    # first attempt: the platform answers 503
    assert services.report_deliver(report_id=report.pk, now=start) == Outcome.FAILED
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.attempts == 1
    assert "HTTP 503" in report.last_error
    assert report.next_attempt_at == start + datetime.timedelta(seconds=60)

    # before the backoff has passed nothing is posted
    assert services.report_deliver(report_id=report.pk, now=start) == Outcome.SKIPPED
    assert len(platform.received) == 1

    # after it, the retry succeeds with the same idempotency key
    later = start + datetime.timedelta(seconds=61)
    assert services.report_deliver(report_id=report.pk, now=later) == Outcome.SENT
    report.refresh_from_db()
    assert report.status == ReportStatus.SENT
    assert report.attempts == 2
    assert report.last_error == ""
    assert report.sent_at == later
    keys = {r.headers["Idempotency-Key"] for r in platform.received}
    assert keys == {f"case-{report.case_id}-v1"}
    assert len(platform.received) == 2


@pytest.mark.django_db(transaction=True)
def test_a_new_row_is_kicked_on_commit_and_the_sweep_retries_it(world, platform, deliver_on_create):
    """End to end through Celery (eager in tests): the post_save hook delivers after commit, the
    first POST fails, the every-minute sweep sends it once the backoff has passed."""
    platform.answers = [(500, {"error": "boom"}), (200, {"receipt": "R-3"})]
    case = make_case(world.students["a"], responsible=world.users["psych_a"])

    with transaction.atomic():
        report = make_report(case)
        assert platform.received == []  # nothing leaves before the case transaction commits

    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert len(platform.received) == 1
    assert tasks.outbox_sweep_task.delay().get() == 0  # not due yet: the sweep leaves it

    CaseReport.objects.filter(pk=report.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert tasks.outbox_sweep_task.delay().get() == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.SENT
    assert report.response == {"receipt": "R-3"}
    assert len(platform.received) == 2


def test_delivering_the_same_row_twice_posts_once(world, platform, report):
    assert services.report_deliver(report_id=report.pk) == Outcome.SENT
    assert services.report_deliver(report_id=report.pk) == Outcome.SKIPPED
    assert tasks.outbox_deliver_task.delay(CHANNEL, report.pk).get() == "skipped"
    assert len(platform.received) == 1
    report.refresh_from_db()
    assert report.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_another_worker_is_skipped(world, platform):
    case = make_case(world.students["a"])
    # not due at creation, so that a kick on commit (if the hook is connected) leaves it alone
    report = make_report(case, next_attempt_at=timezone.now() + datetime.timedelta(hours=1))
    CaseReport.objects.filter(pk=report.pk).update(next_attempt_at=timezone.now())
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            CaseReport.objects.select_for_update().get(pk=report.pk)
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        assert services.report_deliver(report_id=report.pk) == Outcome.SKIPPED
    finally:
        release.set()
        thread.join(10)
    assert platform.received == []
    assert services.report_deliver(report_id=report.pk) == Outcome.SENT


def test_an_unreachable_platform_is_a_failure_to_retry(world, settings, report):
    settings.PROVINCIAL_REPORT_URL = "http://127.0.0.1:9/closed"  # discard port: refused
    settings.PROVINCIAL_REPORT_TIMEOUT = 2

    assert services.report_deliver(report_id=report.pk) == Outcome.FAILED

    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.last_error
    assert report.next_attempt_at > timezone.now()


def test_without_an_endpoint_rows_wait(world, settings, report):
    settings.PROVINCIAL_REPORT_URL = ""

    assert services.report_deliver(report_id=report.pk) == Outcome.DISABLED
    assert tasks.outbox_sweep_task.delay().get() == 0

    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING
    assert report.attempts == 0


def test_the_backoff_doubles_and_is_capped(settings):
    settings.REPORT_RETRY_BASE_SECONDS = 60
    settings.REPORT_RETRY_MAX_SECONDS = 3600
    waits = [services.retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 7, 50)]
    assert waits == [60, 120, 240, 480, 3600, 3600]


def test_the_sweep_picks_due_unsent_rows_only(world, platform):
    now = timezone.now()
    students = world.students
    due = make_report(make_case(students["a"]), next_attempt_at=now)
    make_report(make_case(students["a2"]), next_attempt_at=now + datetime.timedelta(minutes=5))
    make_report(make_case(students["b"]), status=ReportStatus.SENT, sent_at=now)
    assert services.report_due_ids(now=now) == [due.pk]
