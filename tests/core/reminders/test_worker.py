"""The reminder scan on a REAL Celery worker (a ``celery -A mhcare worker --pool=solo``
subprocess on Redis, not eager), killed with SIGKILL in the middle of a run and redelivered: every
reminder still goes out exactly once.

How the run is stopped "in the middle": the test holds, in its own uncommitted transaction, the
ledger row that the last rule (home visits) will insert. The worker commits the earlier rules, then
its INSERT … ON CONFLICT waits on that row. The test sees the worker waiting, kills it, rolls its
own row back, and starts a new worker, which gets the unacknowledged message again."""

import datetime
import signal
import subprocess
import uuid

import psycopg
import pytest
from django.utils import timezone

from crisis.models import HomeVisit, HomeVisitReason, KeyPeriod
from mhcare.core.models import ReminderSent
from mhcare.core.reminders.tasks import reminder_scan_task
from mhcare.notifications.models import Notification
from mhcare.orgs.models import Semester
from tests import workers
from tests.crisis.reporting.helpers import make_case

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _start_worker(start_celery_worker, queue: str) -> subprocess.Popen:
    return start_celery_worker(
        workers.solo_worker_argv(queue), settings=workers.FAST_REDELIVERY_SETTINGS, wait=False
    ).process


def _worker_waits_on_the_ledger(probe: psycopg.Connection) -> bool:
    row = probe.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND query ILIKE %s",
        ("%core_remindersent%",),
    ).fetchone()
    return bool(row and row[0])


def test_a_worker_killed_mid_scan_and_redelivered_sends_each_reminder_once(
    world, celery_broker, start_celery_worker, tmp_path
):
    # given an overdue follow-up (first rule) and home visits due (last rule)
    today = timezone.localdate()
    psych = world.users["psych_a"]
    case = make_case(
        world.students["a"],
        responsible=psych,
        next_follow_up_due=today - datetime.timedelta(days=10),
    )
    semester = Semester.objects.get()
    period = KeyPeriod.objects.create(
        semester=semester,
        org_unit=world.county_a,
        name="key period",
        starts_on=today - datetime.timedelta(days=5),
        ends_on=today + datetime.timedelta(days=1),
    )
    HomeVisit.objects.create(
        key_period=period,
        student=world.students["a"],
        school=world.school_a,
        reason=HomeVisitReason.CASE,
    )
    queue = f"crisis-reminders-test-{uuid.uuid4().hex[:8]}"
    blocker = psycopg.connect(workers.conninfo())
    probe = psycopg.connect(workers.conninfo(), autocommit=True)
    first = second = None
    try:
        # the test holds the home-visit ledger row (uncommitted): the worker will wait on it
        blocker.execute(
            "INSERT INTO core_remindersent "
            "(kind, object_type, object_id, due_on, recipient_id, stage, sent_at) "
            "VALUES ('home_visit', 'keyperiod', %s, %s, %s, 0, now())",
            (period.pk, period.ends_on, psych.pk),
        )
        first = _start_worker(start_celery_worker, queue)
        result = reminder_scan_task.apply_async(queue=queue)

        workers.wait_until(
            lambda: _worker_waits_on_the_ledger(probe), 60, "the worker to block mid-scan"
        )
        # the rules before it have committed: the follow-up reminders are out
        assert Notification.objects.filter(kind="crisis.follow_up").count() == 3

        # when the worker dies mid-run and the held row goes away
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        blocker.rollback()
        assert not ReminderSent.objects.filter(kind="home_visit").exists()

        # then a new worker gets the message again and finishes the scan
        second = _start_worker(start_celery_worker, queue)
        workers.wait_until(
            lambda: ReminderSent.objects.filter(kind="home_visit").exists(),
            90,
            "the redelivered scan",
        )
        workers.wait_until(
            lambda: celery_broker.hlen("unacked") == 0, 30, "the redelivered message to be acked"
        )
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
        blocker.close()
        probe.close()

    # each reminder exactly once
    kinds = sorted(Notification.objects.values_list("kind", "recipient__username"))
    assert kinds == [
        ("crisis.follow_up", "center_a"),
        ("crisis.follow_up", "leader_a"),
        ("crisis.follow_up", "psych_a"),
        ("crisis.home_visit", "psych_a"),
    ]
    assert ReminderSent.objects.filter(object_id=case.pk, kind="follow_up").count() == 3
    assert ReminderSent.objects.count() == 4
    # and it was the same message, redelivered: the second run found the follow-ups already sent
    task_id = result.id
    first_log = (tmp_path / "worker-1.log").read_text()
    assert f"reminder_scan_task[{task_id}] received" in first_log
    # the worker knows the kernel engines' tasks (they sit in sub-packages of mhcare.core)
    for task in (
        "mhcare.core.reminders.tasks.reminder_scan_task",
        "mhcare.core.outbox.tasks.outbox_deliver_task",
        "mhcare.core.outbox.tasks.outbox_sweep_task",
    ):
        assert f". {task}" in first_log
    second_log = (tmp_path / "worker-2.log").read_text()
    assert f"reminder_scan_task[{task_id}] succeeded" in second_log
    assert "'follow_up': 0" in second_log
    assert "'home_visit': 1" in second_log
