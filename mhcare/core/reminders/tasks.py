"""Celery task of the reminder engine (scheduled in ``CELERY_BEAT_SCHEDULE``). The scan is
idempotent: it sends only what its ledger insert added (the daily e-mail digest is the
notifications app's ``notification_digest_task``). ``acks_late`` with
``task_reject_on_worker_lost``: a worker killed mid-run leaves the message to be redelivered, and
the redelivered run sends only what the killed one did not commit."""

from __future__ import annotations

from celery import shared_task

from mhcare.core.reminders import services


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def reminder_scan_task(rules: list[str] | None = None) -> dict[str, int]:
    """Daily at 07:00 (all rules) and hourly (the 上报 deadlines): send the reminders due."""
    return services.reminder_scan(rules=rules).sent
