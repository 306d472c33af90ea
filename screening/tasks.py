"""Celery task of the critical-result alerts: sends the outbox (``screening.alerts.alert_pending``);
idempotent (a row is deleted in the transaction that sends its alerts, rows another worker holds
are skipped), so a redelivered task or two at once alert each result once."""

from __future__ import annotations

from celery import shared_task

from screening import alerts


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def alert_pending_task() -> int:
    """After the COMMIT that stored critical results, and every minute (the sweep): send the
    alerts still in the outbox."""
    return alerts.alert_pending()
