"""Every task defined in the code is registered in the worker as it is deployed: started with the
command line of `make run` (scripts/run.py) and of docker-compose.yml, asked for its tasks over the
control API (what ``celery -A mhcare inspect registered`` prints), and compared with the tasks read
from the source. One missing task fails: the results import stayed "waiting" for ever because the
worker had never heard of ``screening.imports.tasks.import_run_task``."""

import secrets
import sys

import pytest
import yaml
from cryptography.fernet import Fernet
from django.urls import reverse

from mhcare.celery import app as celery_app
from mhcare.core.views import NO_WORKER, expected_tasks
from tests.workers import ROOT, TEST_BROKER, defined_tasks, load_run_script

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

IMPORT_TASK = "screening.imports.tasks.import_run_task"


def _compose_command(service: str) -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return [str(part) for part in compose["services"][service]["command"]]


def test_the_source_defines_the_tasks_of_the_feature_packages():
    tasks = defined_tasks()
    assert {
        IMPORT_TASK,
        "mhcare.core.reminders.tasks.reminder_scan_task",
        "mhcare.core.outbox.tasks.outbox_deliver_task",
        "mhcare.notifications.tasks.notification_email_task",
        "compliance.report_render",
    } <= tasks
    # the web process knows the same tasks as the source says (what /healthz expects)
    assert expected_tasks() == tasks


def test_the_make_run_worker_registers_every_task(start_celery_worker, client):
    run = load_run_script()
    argv = run.worker_argv(sys.executable, "{name}")
    assert argv[1:5] == ["-m", "celery", "-A", "mhcare"]
    # settings as `make run` sets them (Makefile: DJANGO_SETTINGS_MODULE=mhcare.settings.local)
    worker = start_celery_worker(argv, settings="mhcare.settings.local")

    missing = defined_tasks() - worker.registered()
    assert not missing, f"the worker of `make run` lacks {sorted(missing)}"

    # and /healthz says the worker is complete
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "worker": "ok (1 worker)",
    }


def test_the_docker_compose_worker_registers_every_task(start_celery_worker):
    # one worker per queue, all of the same image and application: the alerts one stands for all
    command = _compose_command("worker-alerts")
    assert command[:3] == ["celery", "--app=mhcare", "worker"]
    argv = [
        sys.executable,
        "-m",
        *[
            part.replace("${CELERY_ALERTS_CONCURRENCY:-2}", "2")
            for part in command
            if not part.startswith("--hostname=")
        ],
        "--hostname={name}",
    ]
    worker = start_celery_worker(
        argv,
        settings="mhcare.settings.production",
        env={
            "SECRET_KEY": secrets.token_urlsafe(48),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "mhcare.example.org",
            "SITE_URL": "https://mhcare.example.org",
        },
    )
    missing = defined_tasks() - worker.registered()
    assert not missing, f"the docker-compose worker lacks {sorted(missing)}"


def test_a_worker_without_the_sub_package_tasks_fails_the_check_and_healthz(
    start_celery_worker, client
):
    # given a worker of the application as it was (discovery of <app>.tasks only)
    worker = start_celery_worker(
        [sys.executable, "-m", "celery", "-A", "tests.celery_app_before_fix", "worker",
         "--pool=solo", "-n", "{name}", "-l", "info"]
    )  # fmt: skip
    # then the comparison finds the import task missing
    assert IMPORT_TASK in defined_tasks() - worker.registered()
    # and /healthz says which worker lacks which tasks
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["worker"].startswith(f"error: {worker.name} missing tasks [")
    assert IMPORT_TASK in body["worker"]


def test_healthz_says_when_no_worker_answers(celery_broker, client):
    assert celery_app.conf.broker_url == TEST_BROKER  # the tests' own Redis database
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "redis": "ok",
        "worker": NO_WORKER,
    }
