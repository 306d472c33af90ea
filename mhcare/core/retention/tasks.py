"""The monthly retention job (beat entry "retention-anonymise-monthly" in settings)."""

from __future__ import annotations

from celery import shared_task

from mhcare.core.retention import services


@shared_task(
    name="mhcare.retention_anonymise",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=1800,
    soft_time_limit=1700,
)
def retention_anonymise_task() -> int:
    """Anonymise the records of students past their retention period; returns the rows changed.
    Safe to run twice: a second run finds nothing left to change."""
    return services.retention_anonymise().total
