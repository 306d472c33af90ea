"""The outbox of critical-result alerts (``CriticalAlertPending``): a critical result stored by the
form or by an import has its outbox row in the same transaction; the alerts are sent after COMMIT
on the alerts queue and the row deleted with them; whatever is lost on the way (the queued task,
a failed send, the broker) is sent by the every-minute sweep, each alert once."""

import psycopg
import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from mhcare.notifications.models import Notification
from screening import alerts
from screening.alerts import alert_key, alert_pending
from screening.models import CriticalAlertPending, ImportStatus, Instrument, ScreeningResult
from screening.services import result_create
from screening.tasks import alert_pending_task
from tests.screening.imports.conftest import csv_bytes, row, run_import
from tests.workers import conninfo, wait_until

CRITICAL_PHQ9 = [0] * 8 + [2]  # item 9 positive


def enter_critical(world, student="a"):
    return result_create(
        actor=world.users["psych_a"],
        student=world.students[student],
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=CRITICAL_PHQ9,
        administered_on=timezone.localdate(),
    )


def alerted(result):
    return set(
        Notification.objects.filter(key=alert_key(result.pk)).values_list(
            "recipient__username", flat=True
        )
    )


@pytest.mark.django_db
def test_a_critical_result_is_alerted_after_commit_and_leaves_no_outbox_row(
    world, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = enter_critical(world)
        # then the row is written with the result, before COMMIT
        assert CriticalAlertPending.objects.filter(result=result).exists()
        assert not alerted(result)
    assert len(callbacks) >= 1
    assert alerted(result) == {"psych_a", "leader_a"}
    assert not CriticalAlertPending.objects.exists()


@pytest.mark.django_db
def test_a_result_that_is_not_critical_writes_no_outbox_row(world):
    result_create(
        actor=world.users["psych_a"],
        student=world.students["a"],
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=[1] * 8 + [0],
        administered_on=timezone.localdate(),
    )
    assert not CriticalAlertPending.objects.exists()


@pytest.mark.django_db
def test_the_sweep_sends_an_alert_whose_task_was_lost(world, django_capture_on_commit_callbacks):
    # given the task queued after COMMIT never ran (the callbacks are captured, not executed)
    with django_capture_on_commit_callbacks(execute=False):
        result = enter_critical(world)
    assert not alerted(result)
    # when the sweep runs
    assert alert_pending_task.apply().get() == 2  # psych_a and leader_a
    # then
    assert alerted(result) == {"psych_a", "leader_a"}
    assert not CriticalAlertPending.objects.exists()
    # and a second sweep sends nothing again
    assert alert_pending() == 0
    assert Notification.objects.filter(key=alert_key(result.pk)).count() == 2


@pytest.mark.django_db
def test_a_failed_send_keeps_the_rows_for_the_next_sweep(world, monkeypatch):
    # given two critical results whose alerts are still to send
    first, second = enter_critical(world, "a"), enter_critical(world, "a_other_class")

    def broken(outgoing):
        raise ConnectionError("mail relay down")

    monkeypatch.setattr(alerts, "notification_send_many", broken)
    # when the send fails
    with pytest.raises(ConnectionError):
        alert_pending()
    # then nothing was sent and nothing forgotten
    assert not Notification.objects.filter(kind=alerts.ALERT_KIND).exists()
    assert set(CriticalAlertPending.objects.values_list("result_id", flat=True)) == {
        first.pk,
        second.pk,
    }
    # when the next sweep succeeds
    monkeypatch.undo()
    alert_pending()
    assert alerted(first) == {"psych_a", "leader_a"}
    assert alerted(second) == {"psych_a", "leader_a"}
    assert not CriticalAlertPending.objects.exists()


@pytest.mark.django_db
def test_a_broker_that_refuses_the_task_loses_no_alert(
    world, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def refused():
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(alert_pending_task, "delay", refused)
    # when the result is stored (the user's request succeeds)
    with django_capture_on_commit_callbacks(execute=True):
        result = enter_critical(world)
    # then the failure is logged and the row waits for the sweep
    assert "sweep will send them" in caplog.text
    assert CriticalAlertPending.objects.filter(result=result).exists()
    monkeypatch.undo()
    alert_pending()
    assert alerted(result) == {"psych_a", "leader_a"}


@pytest.mark.django_db
def test_an_import_writes_the_outbox_rows_of_its_critical_results_in_its_transaction(
    world, campaign, phq9, django_capture_on_commit_callbacks
):
    a, b = world.students["a"], world.students["a_other_class"]
    content = csv_bytes([row(a, CRITICAL_PHQ9), row(b, [0] * 9)])
    with django_capture_on_commit_callbacks(execute=False):
        job = run_import(world, campaign, phq9, content)
    assert job.status == ImportStatus.DONE, job.errors
    critical = ScreeningResult.objects.get(student=a, campaign=campaign)
    assert list(CriticalAlertPending.objects.values_list("result_id", flat=True)) == [critical.pk]
    assert alert_pending() == 2
    assert alerted(critical) == {"psych_a", "leader_a"}


@pytest.mark.django_db
def test_a_failed_import_queues_no_alert(world, campaign, phq9):
    content = csv_bytes(
        [row(world.students["a"], CRITICAL_PHQ9), ["G0000000000000000", "某某", *[0] * 9]]
    )
    job = run_import(world, campaign, phq9, content)
    assert job.status == ImportStatus.FAILED
    assert not CriticalAlertPending.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_alert_each_result_once(world, monkeypatch):
    # given two critical results in the outbox (their queued tasks lost), one of them being sent
    # by another worker (its row locked in that worker's open transaction)
    monkeypatch.setattr(alert_pending_task, "delay", lambda: None)
    first, second = enter_critical(world, "a"), enter_critical(world, "a_other_class")
    with psycopg.connect(conninfo()) as other:
        other.execute(
            "SELECT 1 FROM screening_criticalalertpending WHERE result_id = %s FOR UPDATE",
            [first.pk],
        )
        # when this sender runs meanwhile
        alert_pending()
        # then it sent the other one only, without waiting
        assert not alerted(first)
        assert alerted(second)
        assert list(CriticalAlertPending.objects.values_list("result_id", flat=True)) == [first.pk]
    # when the other worker went away without sending, the next sweep sends it
    alert_pending()
    assert alerted(first) == {"psych_a", "leader_a"}
    assert not CriticalAlertPending.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_alert_of_a_critical_result(world, start_celery_worker):
    # given a worker as `make run` starts it (every queue, the alerts queue included)
    start_celery_worker()
    # when a critical result is stored (the task is queued on COMMIT, through the broker)
    result = enter_critical(world)
    # then the worker sends its alerts and empties the outbox
    wait_until(lambda: len(alerted(result)) == 2, 60, "the alerts sent by the worker")
    assert alerted(result) == {"psych_a", "leader_a"}
    assert not CriticalAlertPending.objects.exists()
