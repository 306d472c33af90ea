"""Celery tasks of the outbox. Each takes ids and calls one service; both are idempotent (a row
already sent, locked by another worker or not yet due is skipped), so a redelivered task posts
nothing twice. Retries are the outbox's ``next_attempt_at`` and the every-minute sweep, not
Celery countdowns (no ETA longer than the broker's visibility timeout)."""

from __future__ import annotations

from celery import shared_task

from mhcare.core.outbox import services


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def outbox_deliver_task(channel: str, row_id: int) -> str:
    """Send one outbox row of ``channel`` if it is due and not sent."""
    return str(services.outbox_deliver(channel, row_id=row_id))


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def outbox_sweep_task() -> int:
    """Every minute: enqueue the delivery of every unsent row whose next attempt has come, on
    every channel that has an endpoint."""
    queued = 0
    for name in services.channel_names():
        if not services.channel_get(name).url:
            continue
        ids = services.outbox_due_ids(name)
        for row_id in ids:
            outbox_deliver_task.delay(name, row_id)
        queued += len(ids)
    return queued
