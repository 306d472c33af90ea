import smtplib
from typing import Any

from celery import shared_task

from mhcare.notifications.services import (
    EMAIL_SWEEP,
    email_batches_enqueue,
    notification_digest,
    notification_email_deliver,
    notification_unsent_ids,
    notification_urgent_unsent_ids,
)

# E-mail tasks retry on a mail-server failure with backoff (30 s doubling, up to 10 min, 8 tries).
EMAIL_RETRY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (smtplib.SMTPException, ConnectionError),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(time_limit=60, soft_time_limit=45, **EMAIL_RETRY)
def notification_email_task(notification_id: int) -> bool:
    """E-mail one notification (idempotent: a repeated delivery sends nothing)."""
    return notification_email_deliver(notification_id=notification_id)


@shared_task(time_limit=900, soft_time_limit=840, **EMAIL_RETRY)
def notification_email_batch_task(notification_ids: list[int]) -> int:
    """E-mail many notifications. A retry after a failure (or a redelivery after a killed worker)
    skips those already e-mailed: each one is idempotent on its own. Returns how many were sent."""
    return sum(notification_email_deliver(notification_id=pk) for pk in notification_ids)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def notification_urgent_email_sweep_task() -> int:
    """Every 5 minutes: queue again the e-mail of each urgent notification whose task was lost
    (``notification_urgent_unsent_ids``). Returns how many were queued."""
    ids = notification_urgent_unsent_ids()
    for pk in ids:
        notification_email_task.delay(pk)
    return len(ids)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def notification_email_sweep_task() -> int:
    """Every hour: queue again, in batches on the reminders queue, the e-mail of each ordinary
    (not urgent) notification whose task was lost or gave up (``notification_unsent_ids``).
    Returns how many were queued."""
    ids = notification_unsent_ids(EMAIL_SWEEP)
    email_batches_enqueue(ids)
    return len(ids)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=570)
def notification_digest_task() -> int:
    """Daily at 07:30 (after the morning reminder scan): one e-mail digest for each user who chose
    it. Idempotent per user and day."""
    return notification_digest()
