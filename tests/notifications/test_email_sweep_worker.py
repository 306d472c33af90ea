"""The ordinary e-mails' sweep on a REAL Celery worker: the sweep, routed to the reminders queue,
queues its batch through the broker and the worker sends the lost e-mail (``emailed_at`` set)."""

import datetime

import pytest
from django.utils import timezone

from mhcare.notifications.models import Notification
from mhcare.notifications.tasks import notification_email_sweep_task
from tests.workers import wait_until


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_a_lost_reminder_email_from_the_hourly_sweep(
    world, start_celery_worker
):
    psych = world.users["psych_a"]
    # a reminder whose e-mail task never reached the broker: written, never e-mailed
    lost = Notification.objects.create(
        recipient=psych, kind="test", key="lost", title="随访提醒", send_email=True
    )
    Notification.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=90)
    )
    start_celery_worker()
    notification_email_sweep_task.delay()
    wait_until(
        lambda: Notification.objects.get(pk=lost.pk).emailed_at is not None,
        60,
        "the lost reminder e-mailed by the worker",
    )
