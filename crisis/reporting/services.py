"""上报 delivery: the outbox rows (``CaseReport``) written by the case services go to the
provincial crisis platform as JSON over HTTP.

- One POST per attempt, with a bearer token and the ``Idempotency-Key`` ``case-<id>-v<version>``:
  the platform may receive a retry of a report it already stored and must answer it as a success.
- The row is locked (``SELECT … FOR UPDATE SKIP LOCKED``) for the whole attempt, so two workers
  never post the same row at once; a row already sent, or whose next attempt is not due yet, is
  left alone. Running the delivery twice posts once.
- 2xx = sent (``sent_at``, the platform's answer in ``response``, the body as sent in ``payload``).
  Anything else = failed: ``attempts`` + 1, ``last_error``, ``next_attempt_at`` with exponential
  backoff (``REPORT_RETRY_BASE_SECONDS`` × 2^(attempts − 1), capped at
  ``REPORT_RETRY_MAX_SECONDS``); the every-minute sweep tries again when it is due.
- No ``PROVINCIAL_REPORT_URL`` = delivery is off: rows wait (and the reminders say so)."""

from __future__ import annotations

import datetime
import enum
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crisis.models import CaseReport, ReportStatus
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record

PAYLOAD_SCHEMA = "mhcare.case-report/1"
MAX_ERROR_CHARS = 1000
MAX_RESPONSE_CHARS = 4000
SWEEP_BATCH = 500


class Outcome(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # already sent, locked by another worker, not due yet, or missing
    DISABLED = "disabled"  # no endpoint configured: the row waits


@dataclass(frozen=True)
class PostResult:
    ok: bool
    status: int | None
    body: Any
    error: str


def idempotency_key(report: CaseReport) -> str:
    return f"case-{report.case_id}-v{report.version}"


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after the ``attempts``-th failure: 1×, 2×, 4× … the base, capped."""
    base = max(1, int(settings.REPORT_RETRY_BASE_SECONDS))
    cap = max(base, int(settings.REPORT_RETRY_MAX_SECONDS))
    exponent = min(max(attempts - 1, 0), 30)
    return datetime.timedelta(seconds=min(base * 2**exponent, cap))


def _iso_utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _decode(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        return {"raw": text[:MAX_RESPONSE_CHARS]}


def _post(*, url: str, body: dict[str, Any], key: str) -> PostResult:
    """One POST to the platform. Network errors and non-2xx answers come back as a failed result
    (never raised): every failure is retried the same way, by the outbox."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Accept": "application/json",
        "Idempotency-Key": key,
    }
    if settings.PROVINCIAL_REPORT_TOKEN:
        headers["Authorization"] = f"Bearer {settings.PROVINCIAL_REPORT_TOKEN}"
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(  # noqa: S310 - the URL is the configured platform
            request, timeout=float(settings.PROVINCIAL_REPORT_TIMEOUT)
        ) as answer:
            return PostResult(ok=True, status=answer.status, body=_decode(answer.read()), error="")
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", errors="replace")[:MAX_ERROR_CHARS]
        return PostResult(ok=False, status=exc.code, body=None, error=f"HTTP {exc.code}: {text}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return PostResult(ok=False, status=None, body=None, error=f"{type(exc).__name__}: {reason}")


@transaction.atomic
def report_deliver(*, report_id: int, now: datetime.datetime | None = None) -> Outcome:
    """Send one outbox row if it is due and not sent; see the module docstring."""
    url = settings.PROVINCIAL_REPORT_URL
    if not url:
        return Outcome.DISABLED
    report = (
        CaseReport.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=report_id)
        .exclude(status=ReportStatus.SENT)
        .select_related("case")
        .first()
    )
    if report is None:
        return Outcome.SKIPPED
    now = now or timezone.now()
    if report.next_attempt_at is not None and report.next_attempt_at > now:
        return Outcome.SKIPPED
    body = {**report.payload, "reported_at": _iso_utc(now)}
    result = _post(url=url, body=body, key=idempotency_key(report))
    report.attempts += 1
    if result.ok:
        report.status = ReportStatus.SENT
        report.sent_at = now
        report.payload = body
        report.response = result.body if isinstance(result.body, dict) else {"body": result.body}
        report.last_error = ""
        report.next_attempt_at = None
    else:
        report.status = ReportStatus.FAILED
        report.last_error = result.error[:MAX_ERROR_CHARS]
        report.next_attempt_at = now + retry_delay(report.attempts)
    report.save(
        update_fields=[
            "attempts",
            "status",
            "sent_at",
            "payload",
            "response",
            "last_error",
            "next_attempt_at",
        ]
    )
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
    return Outcome.SENT if result.ok else Outcome.FAILED


def report_due_ids(*, now: datetime.datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """Unsent rows whose next attempt has come, most urgent first (the partial index
    ``report_unsent`` serves it)."""
    now = now or timezone.now()
    return list(
        CaseReport.objects.exclude(status=ReportStatus.SENT)
        .filter(next_attempt_at__lte=now)
        .order_by("due_by", "id")
        .values_list("pk", flat=True)[:limit]
    )


def report_enqueue_on_commit(report_id: int) -> None:
    """Kick the delivery of a new outbox row once the case transaction has committed."""
    from crisis.reporting.tasks import report_deliver as report_deliver_task

    transaction.on_commit(lambda: report_deliver_task.delay(report_id))
