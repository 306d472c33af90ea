"""Celery tasks of 上报 delivery. Each takes ids and calls one service; both are idempotent (a row
already sent, locked by another worker or not yet due is skipped), so a redelivered task posts
nothing twice. Retries are the outbox's ``next_attempt_at`` and the every-minute sweep, not
Celery countdowns (no ETA longer than the broker's visibility timeout)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from crisis.reporting import services


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def report_deliver(report_id: int) -> str:
    """Send one outbox row to the provincial platform if it is due and not sent."""
    return str(services.report_deliver(report_id=report_id))


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def report_sweep() -> int:
    """Every minute: enqueue the delivery of every unsent row whose next attempt has come."""
    if not settings.PROVINCIAL_REPORT_URL:
        return 0
    ids = services.report_due_ids()
    for report_id in ids:
        report_deliver.delay(report_id)
    return len(ids)
