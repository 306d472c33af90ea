"""The outbox engine: rows an app writes in its own transaction are delivered as JSON over HTTP,
retried with backoff, each posted once (DESIGN.md "Architecture": 上报 today, webhooks later).

An app registers a ``Channel`` (``register_channel``, from its ``AppConfig.ready()``): which rows
are still to send, the ``Idempotency-Key`` of a row, the body of an attempt, the settings of its
endpoint, and how a row is marked sent or failed. The outbox row itself (the app's model) has the
engine's fields ``attempts``, ``next_attempt_at`` and ``last_error``.

- One POST per attempt, with a bearer token (when one is configured) and the row's
  ``Idempotency-Key``: the receiver may get a retry of what it already stored and must answer it
  as a success.
- The row is locked (``SELECT … FOR UPDATE SKIP LOCKED``) for the whole attempt, so two workers
  never post the same row at once; a row already sent, or whose next attempt is not due yet, is
  left alone. Running the delivery twice posts once.
- 2xx = sent (the channel's ``mark_sent`` records it). Anything else = failed (``mark_failed``):
  ``attempts`` + 1, ``last_error``, ``next_attempt_at`` with exponential backoff (the channel's
  base setting × 2^(attempts − 1), capped by its max setting); the every-minute sweep tries again
  when it is due.
- No endpoint URL configured = delivery is off: rows wait."""

from __future__ import annotations

import datetime
import enum
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

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


@dataclass(frozen=True)
class Channel:
    """One kind of outbox row and where it goes.

    - ``pending()``: the rows not sent yet (the delivery locks one of them; the sweep picks the due
      ones, ordered by ``order_by``);
    - ``key(row)``: its ``Idempotency-Key``; ``body(row, now)``: what one attempt posts;
    - ``url_setting`` / ``token_setting`` / ``timeout_setting``: the names of its settings (an
      empty URL switches the channel off); ``retry_base_setting`` / ``retry_max_setting``: its
      backoff, in seconds;
    - ``mark_sent(row, body, response, now)`` / ``mark_failed(row, error, now)``: set the channel's
      own fields (the engine sets ``attempts``, ``last_error`` and ``next_attempt_at``), saved with
      ``update_fields``;
    - ``after_attempt(row, result)``: runs after every attempt, in its transaction (the audit)."""

    name: str
    pending: Callable[[], models.QuerySet[Any]]
    key: Callable[[Any], str]
    body: Callable[[Any, datetime.datetime], dict[str, Any]]
    mark_sent: Callable[[Any, dict[str, Any], Any, datetime.datetime], None]
    mark_failed: Callable[[Any, str, datetime.datetime], None]
    update_fields: tuple[str, ...]
    url_setting: str
    token_setting: str = ""
    timeout_setting: str = ""
    retry_base_setting: str = ""
    retry_max_setting: str = ""
    order_by: tuple[str, ...] = ("id",)
    after_attempt: Callable[[Any, PostResult], None] | None = None
    default_timeout: float = 10.0
    default_retry_base: int = 60
    default_retry_max: int = 3600

    @property
    def url(self) -> str:
        return str(getattr(settings, self.url_setting, "") or "")

    @property
    def token(self) -> str:
        return str(getattr(settings, self.token_setting, "") or "") if self.token_setting else ""

    @property
    def timeout(self) -> float:
        if not self.timeout_setting:
            return self.default_timeout
        return float(getattr(settings, self.timeout_setting, self.default_timeout))


_channels: dict[str, Channel] = {}


def register_channel(channel: Channel) -> Channel:
    """Add a channel; registering the same one again is a no-op, another under a taken name is
    refused."""
    existing = _channels.get(channel.name)
    if existing is not None and existing != channel:
        raise ValueError(f"Another outbox channel is registered as {channel.name!r}")
    _channels[channel.name] = channel
    return channel


def unregister_channel(name: str) -> None:
    """Remove a channel (tests that register their own)."""
    _channels.pop(name, None)


def channel_get(name: str) -> Channel:
    try:
        return _channels[name]
    except KeyError:
        raise ValueError(f"Unknown outbox channel: {name}") from None


def channel_names() -> tuple[str, ...]:
    return tuple(_channels)


def retry_delay(attempts: int, *, base: int, cap: int) -> datetime.timedelta:
    """The wait after the ``attempts``-th failure: 1×, 2×, 4× … the base, capped."""
    base = max(1, int(base))
    cap = max(base, int(cap))
    exponent = min(max(attempts - 1, 0), 30)
    return datetime.timedelta(seconds=min(base * 2**exponent, cap))


def channel_retry_delay(channel: Channel, attempts: int) -> datetime.timedelta:
    base = (
        getattr(settings, channel.retry_base_setting, None) if channel.retry_base_setting else None
    )
    cap = getattr(settings, channel.retry_max_setting, None) if channel.retry_max_setting else None
    return retry_delay(
        attempts,
        base=channel.default_retry_base if base is None else base,
        cap=channel.default_retry_max if cap is None else cap,
    )


def iso_utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _decode(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        return {"raw": text[:MAX_RESPONSE_CHARS]}


def post(*, url: str, body: dict[str, Any], key: str, token: str, timeout: float) -> PostResult:
    """One POST. Network errors and non-2xx answers come back as a failed result (never raised):
    every failure is retried the same way, by the outbox."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Accept": "application/json",
        "Idempotency-Key": key,
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(  # noqa: S310 - the URL is the configured endpoint
            request, timeout=float(timeout)
        ) as answer:
            return PostResult(ok=True, status=answer.status, body=_decode(answer.read()), error="")
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", errors="replace")[:MAX_ERROR_CHARS]
        return PostResult(ok=False, status=exc.code, body=None, error=f"HTTP {exc.code}: {text}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return PostResult(ok=False, status=None, body=None, error=f"{type(exc).__name__}: {reason}")


@transaction.atomic
def outbox_deliver(
    channel_name: str, *, row_id: int, now: datetime.datetime | None = None
) -> Outcome:
    """Send one outbox row of ``channel_name`` if it is due and not sent; see the module
    docstring."""
    channel = channel_get(channel_name)
    url = channel.url
    if not url:
        return Outcome.DISABLED
    row = (
        channel.pending()
        .select_for_update(skip_locked=True, of=("self",))
        .filter(pk=row_id)
        .first()
    )
    if row is None:
        return Outcome.SKIPPED
    now = now or timezone.now()
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return Outcome.SKIPPED
    body = channel.body(row, now)
    result = post(
        url=url, body=body, key=channel.key(row), token=channel.token, timeout=channel.timeout
    )
    row.attempts += 1
    if result.ok:
        channel.mark_sent(row, body, result.body, now)
        row.last_error = ""
        row.next_attempt_at = None
    else:
        channel.mark_failed(row, result.error, now)
        row.last_error = result.error[:MAX_ERROR_CHARS]
        row.next_attempt_at = now + channel_retry_delay(channel, row.attempts)
    row.save(update_fields=["attempts", *channel.update_fields, "last_error", "next_attempt_at"])
    if channel.after_attempt is not None:
        channel.after_attempt(row, result)
    return Outcome.SENT if result.ok else Outcome.FAILED


def outbox_due_ids(
    channel_name: str, *, now: datetime.datetime | None = None, limit: int = SWEEP_BATCH
) -> list[int]:
    """Unsent rows whose next attempt has come, most urgent first."""
    channel = channel_get(channel_name)
    now = now or timezone.now()
    return list(
        channel.pending()
        .filter(next_attempt_at__lte=now)
        .order_by(*channel.order_by)
        .values_list("pk", flat=True)[:limit]
    )


def outbox_enqueue_on_commit(channel_name: str, row_id: int) -> None:
    """Kick the delivery of a new outbox row once the writing transaction has committed."""
    from mhcare.core.outbox.tasks import outbox_deliver_task

    channel_get(channel_name)
    transaction.on_commit(lambda: outbox_deliver_task.delay(channel_name, row_id), robust=True)
