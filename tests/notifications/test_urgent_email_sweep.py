"""Urgent e-mails whose task was never queued (the broker down at COMMIT; the after-commit hook is
robust, so the write stands) are queued again by the sweep: once, to the right people only."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from mhcare.notifications import tasks
from mhcare.notifications.models import Notification
from mhcare.notifications.services import notification_send, notification_urgent_unsent_ids
from mhcare.notifications.tasks import notification_email_task, notification_urgent_email_sweep_task

pytestmark = pytest.mark.django_db


def _send(user, key, *, urgent=True, minutes_ago=10, **kwargs):
    notification = notification_send(
        recipient=user, kind="test", key=key, title="需要您今天处理", urgent=urgent, **kwargs
    )
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )
    return notification


def test_an_urgent_email_whose_task_was_lost_is_sent_by_the_sweep_once(
    world, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    # given the broker refuses the e-mail task when the alert is committed
    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notification_email_task, "delay", refused)
    user = world.users["psych_a"]
    with django_capture_on_commit_callbacks(execute=True):
        note = notification_send(
            recipient=user, kind="test", key="k1", title="需要您今天处理", urgent=True
        )
    assert not mail.outbox  # the write stood, the e-mail was lost
    assert "Connection refused" in caplog.text
    monkeypatch.undo()
    # when the sweep runs before the e-mail is 5 minutes old: nothing (its task may be queued)
    assert notification_urgent_email_sweep_task.apply().get() == 0
    # when it runs later
    Notification.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=6)
    )
    assert notification_urgent_email_sweep_task.apply().get() == 1
    # then
    assert [m.to for m in mail.outbox] == [[user.email]]
    note.refresh_from_db()
    assert note.emailed_at is not None
    # and the next sweep sends nothing again
    assert notification_urgent_email_sweep_task.apply().get() == 0
    assert len(mail.outbox) == 1


def test_the_sweep_takes_only_urgent_unsent_recent_mail_to_reachable_people(world):
    psych, leader, homeroom = (
        world.users["psych_a"],
        world.users["leader_a"],
        world.users["homeroom_a"],
    )
    due = _send(psych, "due")
    _send(psych, "not-urgent", urgent=False)
    _send(psych, "too-new", minutes_ago=1)
    _send(psych, "too-old", minutes_ago=25 * 60)
    _send(psych, "no-email", send_email=False)
    already = _send(psych, "already")
    Notification.objects.filter(pk=already.pk).update(emailed_at=timezone.now())
    leader.email = ""
    leader.save(update_fields=["email"])
    _send(leader, "no-address")
    homeroom.is_active = False
    homeroom.save(update_fields=["is_active"])
    _send(homeroom, "inactive")
    assert notification_urgent_unsent_ids() == [due.pk]


def test_the_sweep_is_routed_with_the_alerts():
    from django.conf import settings

    route = settings.CELERY_TASK_ROUTES[tasks.notification_urgent_email_sweep_task.name]
    assert route == {"queue": "alerts"}
    schedule = settings.CELERY_BEAT_SCHEDULE["notifications-urgent-email-sweep"]
    assert schedule["task"] == tasks.notification_urgent_email_sweep_task.name


def test_an_ordinary_email_whose_task_was_lost_is_sent_by_the_hourly_sweep_in_a_batch(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """A reminder's e-mail (not urgent) lost with the broker at COMMIT is queued again by the
    hourly sweep — on the reminders queue, as a batch — once it is an hour old, and sent once."""
    from mhcare.notifications.tasks import (
        notification_email_batch_task,
        notification_email_sweep_task,
    )

    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notification_email_task, "delay", refused)
    monkeypatch.setattr(notification_email_batch_task, "apply_async", refused)
    psych, leader = world.users["psych_a"], world.users["leader_a"]
    with django_capture_on_commit_callbacks(execute=True):
        notes = [
            notification_send(recipient=user, kind="test", key="r1", title="随访提醒")
            for user in (psych, leader)
        ]
    assert not mail.outbox
    monkeypatch.undo()
    assert notification_email_sweep_task.apply().get() == 0  # younger than an hour
    assert notification_urgent_email_sweep_task.apply().get() == 0  # not urgent
    Notification.objects.filter(pk__in=[n.pk for n in notes]).update(
        created_at=timezone.now() - datetime.timedelta(minutes=61)
    )
    queued = []
    original = notification_email_batch_task.apply_async
    monkeypatch.setattr(
        notification_email_batch_task,
        "apply_async",
        lambda args, **kwargs: queued.append(args[0]) or original(args, **kwargs),
    )
    assert notification_email_sweep_task.apply().get() == 2
    assert queued == [[notes[0].pk, notes[1].pk]]  # one batch, oldest first
    assert sorted(m.to[0] for m in mail.outbox) == sorted([psych.email, leader.email])
    assert notification_email_sweep_task.apply().get() == 0
    assert len(mail.outbox) == 2


def test_the_hourly_sweep_takes_only_ordinary_unsent_mail_of_the_last_three_days(world):
    from mhcare.notifications.services import EMAIL_SWEEP, notification_unsent_ids

    psych, leader = world.users["psych_a"], world.users["leader_a"]
    due = _send(psych, "due", urgent=False, minutes_ago=90)
    _send(psych, "urgent", minutes_ago=90)
    _send(psych, "too-new", urgent=False, minutes_ago=30)
    _send(psych, "too-old", urgent=False, minutes_ago=4 * 24 * 60)
    _send(psych, "no-email", urgent=False, minutes_ago=90, send_email=False)
    deferred = _send(psych, "digest", urgent=False, minutes_ago=90)
    Notification.objects.filter(pk=deferred.pk).update(email_deferred=True)
    leader.is_active = False
    leader.save(update_fields=["is_active"])
    _send(leader, "inactive", urgent=False, minutes_ago=90)
    assert notification_unsent_ids(EMAIL_SWEEP) == [due.pk]


def test_the_hourly_sweep_is_routed_with_the_reminders():
    from django.conf import settings

    route = settings.CELERY_TASK_ROUTES[tasks.notification_email_sweep_task.name]
    assert route == {"queue": "reminders"}
    schedule = settings.CELERY_BEAT_SCHEDULE["notifications-email-sweep"]
    assert schedule["task"] == tasks.notification_email_sweep_task.name
