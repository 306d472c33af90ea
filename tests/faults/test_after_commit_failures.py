"""A failure after the COMMIT does not turn a stored write into an error page.

A teacher's observation is stored, then its after-commit hook (the psychology teacher's e-mail
task, published to the broker) fails: the broker is down. The answer must be the write's (201),
not 500 — a teacher told "failed" enters it again, and the school gets it twice. The failure is
logged. (Seen in tests/faults/test_database_restart.py: the COMMIT succeeded, the hook then ran on a
connection PostgreSQL had just closed, and the answer was 500.)"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown
from rest_framework.test import APIClient

from mhcare.notifications.models import Notification
from mhcare.notifications.tasks import notification_email_task
from screening.models import Observation

# transaction=True: the hooks run only after a real COMMIT (and ``robust`` is honoured there).
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_stored_observation_answers_201_when_its_e_mail_cannot_be_enqueued(
    world, monkeypatch, caplog
):
    published: list[Any] = []

    def broker_down(*args: Any, **kwargs: Any) -> None:
        published.append(args)
        raise BrokerDown("[Errno 111] Connection refused")

    monkeypatch.setattr(notification_email_task, "delay", broker_down)
    client = APIClient()
    client.force_authenticate(world.users["homeroom_a"])
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"):
        response = client.post(
            reverse("api-observation-list"),
            {
                "student": world.students["a"].pk,
                "category": "mood",
                "description": "after commit",
                "observed_on": timezone.localdate().isoformat(),
            },
            format="json",
        )
    assert published  # the hook ran, after the COMMIT, and failed
    assert response.status_code == 201, response.content[:500]
    [observation] = Observation.objects.all()
    assert response.json()["id"] == observation.pk
    # the psychology teacher still has it in her inbox; only its e-mail is missing, and logged
    assert Notification.objects.filter(key=f"observation:{observation.pk}").count() == 1
    assert any("on_commit" in record.getMessage() for record in caplog.records)
