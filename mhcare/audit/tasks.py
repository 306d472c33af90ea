"""Celery task sealing the audit log (scheduled in ``CELERY_BEAT_SCHEDULE``)."""

from celery import shared_task

from mhcare.audit import chain


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def audit_seal_task() -> int:
    """Append seals over the events old enough; running it twice seals nothing twice."""
    return chain.seal_pending()
