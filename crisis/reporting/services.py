"""上报 delivery: the outbox rows (``CaseReport``) written by the case services go to the
provincial crisis platform as JSON over HTTP, through the kernel's outbox (``mhcare.core.outbox``:
locking, one POST per attempt, backoff, the sweep). This module is the 上报 channel, registered
from ``CrisisConfig.ready()``:

- the ``Idempotency-Key`` is ``case-<id>-v<version>``: the platform may receive a retry of a
  report it already stored and must answer it as a success;
- the endpoint is ``PROVINCIAL_REPORT_URL`` with the bearer token ``PROVINCIAL_REPORT_TOKEN``;
  no URL = delivery is off: rows wait (and the reminders say so);
- 2xx = sent (``sent_at``, the platform's answer in ``response``, the body as sent in ``payload``);
  anything else = failed, retried after ``REPORT_RETRY_BASE_SECONDS`` × 2^(attempts − 1), capped
  at ``REPORT_RETRY_MAX_SECONDS``;
- every attempt is audited as an export of the student's data."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings

from crisis.models import CaseReport, ReportStatus
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.outbox import services as outbox
from mhcare.core.outbox.services import Outcome, PostResult

CHANNEL = "crisis.case_report"
PAYLOAD_SCHEMA = "mhcare.case-report/1"
SWEEP_BATCH = outbox.SWEEP_BATCH

__all__ = ["CHANNEL", "Outcome", "idempotency_key", "report_deliver", "retry_delay"]


def idempotency_key(report: CaseReport) -> str:
    return f"case-{report.case_id}-v{report.version}"


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after the ``attempts``-th failure: 1×, 2×, 4× … the base, capped."""
    return outbox.retry_delay(
        attempts, base=settings.REPORT_RETRY_BASE_SECONDS, cap=settings.REPORT_RETRY_MAX_SECONDS
    )


def _pending() -> Any:
    return CaseReport.objects.exclude(status=ReportStatus.SENT).select_related("case")


def _body(report: CaseReport, now: datetime.datetime) -> dict[str, Any]:
    return {**report.payload, "reported_at": outbox.iso_utc(now)}


def _mark_sent(
    report: CaseReport, body: dict[str, Any], response: Any, now: datetime.datetime
) -> None:
    report.status = ReportStatus.SENT
    report.sent_at = now
    report.payload = body
    report.response = response if isinstance(response, dict) else {"body": response}


def _mark_failed(report: CaseReport, error: str, now: datetime.datetime) -> None:
    report.status = ReportStatus.FAILED


def _audit(report: CaseReport, result: PostResult) -> None:
    # The platform now holds (or was offered) the student's identity: an export by the system.
    audit_record(
        actor=None,
        action=Action.EXPORT,
        obj=report,
        student=report.case.student_id,
        detail={
            "to": "provincial_platform",
            "version": report.version,
            "attempt": report.attempts,
            "outcome": report.status,
            "http_status": result.status,
        },
    )


CASE_REPORT_CHANNEL = outbox.Channel(
    name=CHANNEL,
    pending=_pending,
    key=idempotency_key,
    body=_body,
    mark_sent=_mark_sent,
    mark_failed=_mark_failed,
    update_fields=("status", "sent_at", "payload", "response"),
    url_setting="PROVINCIAL_REPORT_URL",
    token_setting="PROVINCIAL_REPORT_TOKEN",  # noqa: S106 - the name of a setting
    timeout_setting="PROVINCIAL_REPORT_TIMEOUT",
    retry_base_setting="REPORT_RETRY_BASE_SECONDS",
    retry_max_setting="REPORT_RETRY_MAX_SECONDS",
    order_by=("due_by", "id"),
    after_attempt=_audit,
)


def register() -> None:
    """Register the 上报 channel with the kernel's outbox (``CrisisConfig.ready()``); idempotent."""
    outbox.register_channel(CASE_REPORT_CHANNEL)


def report_deliver(*, report_id: int, now: datetime.datetime | None = None) -> Outcome:
    """Send one outbox row if it is due and not sent; see the module docstring."""
    return outbox.outbox_deliver(CHANNEL, row_id=report_id, now=now)


def report_due_ids(*, now: datetime.datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """Unsent rows whose next attempt has come, most urgent first (the partial index
    ``report_unsent`` serves it)."""
    return outbox.outbox_due_ids(CHANNEL, now=now, limit=limit)


def report_enqueue_on_commit(report_id: int) -> None:
    """Kick the delivery of a new outbox row once the case transaction has committed."""
    outbox.outbox_enqueue_on_commit(CHANNEL, report_id)
