"""Celery queues by kind (issue 14): every task of the code has a route to one of the queues, every
queue has its worker in docker-compose with the queue's time limits, and — with real workers — a
report that takes long on the reports queue does not hold up an alert on the alerts queue."""

import time

import psycopg
import pytest
import yaml
from django.conf import settings

from compliance.models import ReportRequest, ReportStatus
from compliance.tasks import report_render_task
from mhcare.celery import app as celery_app
from mhcare.notifications.models import Notification
from mhcare.notifications.services import notification_send
from mhcare.orgs.models import SchoolYear
from tests.workers import ROOT, conninfo, defined_tasks, load_run_script, solo_worker_argv

QUEUES = set(settings.CELERY_QUEUE_NAMES)


def _compose_services() -> dict[str, dict[str, object]]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _option(command: list[str], name: str) -> str:
    values = [part.split("=", 1)[1] for part in command if part.startswith(f"--{name}=")]
    assert len(values) == 1, (name, command)
    return values[0]


def test_every_task_of_the_code_is_routed_to_a_known_queue():
    celery_app.loader.import_default_modules()
    registered = {name for name in celery_app.tasks if not name.startswith("celery.")}
    # the registry and the source agree (tests/test_worker_registry.py); each task has a route
    assert registered == defined_tasks()
    unrouted = sorted(registered - set(settings.CELERY_TASK_ROUTES))
    assert not unrouted, f"tasks without a queue in CELERY_TASK_ROUTES: {unrouted}"
    assert set(settings.CELERY_TASK_ROUTES) <= registered, "a route names no task"
    for name in registered:
        route = celery_app.amqp.router.route({}, name)
        assert route["queue"].name in QUEUES, name
    # the queues the issue names, crisis alerts and the 上报 outbox on their own
    assert {"alerts", "reminders", "imports", "reports", "default"} == QUEUES
    assert celery_app.amqp.router.route({}, "compliance.report_render")["queue"].name == "reports"
    for alert in (
        "mhcare.notifications.tasks.notification_email_task",
        "mhcare.core.outbox.tasks.outbox_deliver_task",
    ):
        assert celery_app.amqp.router.route({}, alert)["queue"].name == "alerts"


def test_every_task_declares_time_limits_within_its_queue():
    celery_app.loader.import_default_modules()
    for name, route in settings.CELERY_TASK_ROUTES.items():
        soft_cap, hard_cap = settings.CELERY_QUEUE_TIME_LIMITS[route["queue"]]
        task = celery_app.tasks[name]
        assert task.time_limit is not None, f"{name} declares no hard time limit"
        assert task.soft_time_limit is not None, f"{name} declares no soft time limit"
        assert task.soft_time_limit < task.time_limit <= hard_cap, name
        assert task.soft_time_limit <= soft_cap, name


def test_docker_compose_runs_one_worker_per_queue_with_its_time_limits():
    services = _compose_services()
    workers = {name: spec for name, spec in services.items() if name.startswith("worker")}
    assert set(workers) == {f"worker-{queue}" for queue in QUEUES}
    for queue in QUEUES:
        command = [str(part) for part in workers[f"worker-{queue}"]["command"]]
        assert command[:3] == ["celery", "--app=mhcare", "worker"]
        assert _option(command, "queues") == queue
        assert _option(command, "hostname") == f"{queue}@%h"
        soft, hard = settings.CELERY_QUEUE_TIME_LIMITS[queue]
        assert (int(_option(command, "soft-time-limit")), int(_option(command, "time-limit"))) == (
            soft,
            hard,
        )
        health = " ".join(workers[f"worker-{queue}"]["healthcheck"]["test"])
        assert f"--destination {queue}@$$HOSTNAME" in health


def test_the_single_worker_of_make_run_consumes_every_queue():
    # no -Q: a worker consumes every queue of CELERY_TASK_QUEUES
    argv = load_run_script().worker_argv("python")
    assert "-Q" not in argv
    assert not any(part.startswith("--queues") for part in argv)
    # the queues a worker declares at start (``amqp.queues`` of this process also holds the
    # throwaway queues earlier tests sent to: Celery adds a queue it is asked to send to)
    assert set(celery_app.conf.task_queues) == QUEUES


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _report_held_in_the_worker(world) -> tuple[ReportRequest, psycopg.Connection]:
    """A report whose render is running and cannot finish: its row is locked by another
    transaction, so the worker waits inside the task (as a long render would keep it busy)."""
    report = ReportRequest.objects.create(
        requested_by=world.users["official_a"],
        org_unit=world.county_a,
        school_year=SchoolYear.current(),
    )
    lock = psycopg.connect(conninfo())
    lock.execute("SELECT id FROM compliance_reportrequest WHERE id = %s FOR UPDATE", [report.pk])
    report_render_task.delay(report.pk)

    def worker_waits_on_the_row() -> bool:
        with psycopg.connect(conninfo(), autocommit=True) as probe:
            row = probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                [lock.info.backend_pid],
            ).fetchone()
        return bool(row and row[0])

    if not _wait(worker_waits_on_the_row, 60):
        lock.close()
        raise AssertionError("the report task did not start")
    return report, lock


def _send_alert(world) -> Notification:
    recipient = world.users["psych_a"]
    recipient.email = "psych_a@example.org"
    recipient.save(update_fields=["email"])
    return notification_send(
        recipient=recipient,
        kind="crisis.critical_result",
        key=f"alert-{time.monotonic_ns()}",
        title="Critical screening result",
        urgent=True,
    )


def _emailed(notification: Notification) -> bool:
    notification.refresh_from_db(fields=["emailed_at"])
    return notification.emailed_at is not None


def _report_done(report: ReportRequest) -> bool:
    report.refresh_from_db(fields=["status"])
    return report.status == ReportStatus.DONE


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_long_report_does_not_delay_an_alert(world, start_celery_worker):
    # given a worker per queue, as docker-compose runs them, the reports one busy with a render
    start_celery_worker(solo_worker_argv("reports"))
    start_celery_worker(solo_worker_argv("alerts"))
    report, lock = _report_held_in_the_worker(world)
    try:
        # when a crisis alert is sent
        alert = _send_alert(world)
        # then it is e-mailed while the report is still rendering
        assert _wait(lambda: _emailed(alert), 30), "the alert waited behind the report"
        report.refresh_from_db(fields=["status"])
        assert report.status != ReportStatus.DONE
    finally:
        lock.rollback()
        lock.close()
    # and the report finishes once it may
    assert _wait(lambda: _report_done(report), 60)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_one_worker_on_both_queues_makes_the_alert_wait(world, start_celery_worker):
    """The counter-proof: without a worker of its own, the alert queues behind the report."""
    argv = solo_worker_argv("reports,alerts")
    start_celery_worker(argv)
    report, lock = _report_held_in_the_worker(world)
    try:
        alert = _send_alert(world)
        assert not _wait(lambda: _emailed(alert), 5)
    finally:
        lock.rollback()
        lock.close()
    assert _wait(lambda: _report_done(report), 60)
    assert _wait(lambda: _emailed(alert), 30)
