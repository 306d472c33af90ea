"""Celery task of the results import: takes the job id, loads, calls one service; idempotent (the
service checks the job's status under ``select_for_update``; a finished job is left as it is)."""

from __future__ import annotations

from celery import shared_task

from screening.imports import services


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def import_run_task(job_id: int) -> str:
    return str(services.import_run(job_id=job_id).status)
