"""The hash chain over the audit log (等保三级: the audit record must be protected against deletion
and alteration). ``seal_pending`` appends seals; ``verify`` walks them and names each break.

Each seal covers a contiguous id range (rolled-back ids included, so consecutive seals touch) and
hashes the previous seal's hash with every event of the range in canonical form. An event edited
or deleted after sealing changes its seal's hash; an event inserted into a sealed range changes its
count; a removed or altered seal breaks the link to the next one."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from mhcare.audit.models import AuditEvent, AuditSeal

GENESIS = "0" * 64
SEAL_LOCK = 0x6D6861756469  # pg_advisory_xact_lock key: one sealer at a time
FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_username",
    "roles",
    "org_unit_code",
    "action",
    "object_type",
    "object_id",
    "student_id",
    "ip",
    "request_id",
    "detail",
)


def canonical(row: tuple[Any, ...]) -> bytes:
    """One event as the bytes the chain hashes: its stored values in a fixed order."""
    values = [v.isoformat() if isinstance(v, datetime.datetime) else v for v in row]
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _events(first_id: int, last_id: int) -> Iterator[tuple[Any, ...]]:
    return (
        AuditEvent.objects.filter(id__gte=first_id, id__lte=last_id)
        .order_by("id")
        .values_list(*FIELDS)
        .iterator(chunk_size=5000)
    )


def range_digest(previous_hash: str, first_id: int, last_id: int) -> tuple[str, int]:
    """The hash of a range chained to ``previous_hash``, and how many events it holds."""
    digest = hashlib.sha256(f"{previous_hash}:{first_id}:{last_id}".encode())
    count = 0
    for row in _events(first_id, last_id):
        digest.update(b"\n")
        digest.update(canonical(row))
        count += 1
    return digest.hexdigest(), count


def delay() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.AUDIT_SEAL_DELAY_SECONDS)


@transaction.atomic
def seal_pending(*, now: datetime.datetime | None = None, batch: int = 50_000) -> int:
    """Seal the events older than the seal delay that no seal covers yet; returns the number of
    seals written. Safe to run twice at once (an advisory lock) and to repeat (nothing new, no
    seal)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK])
    now = now or timezone.now()
    last = AuditSeal.objects.order_by("-last_id").first()
    after, previous = (last.last_id, last.hash) if last else (0, GENESIS)
    pending = AuditEvent.objects.filter(id__gt=after)
    # Every event up to just before the first young one: a younger event's transaction may be open.
    young = (
        pending.filter(at__gte=now - delay()).order_by("id").values_list("id", flat=True).first()
    )
    sealable = pending.filter(id__lt=young) if young is not None else pending
    ids = list(sealable.order_by("id").values_list("id", flat=True))
    written = 0
    for start in range(0, len(ids), batch):
        first_id, last_id = after + 1, ids[min(start + batch, len(ids)) - 1]
        digest, count = range_digest(previous, first_id, last_id)
        AuditSeal.objects.create(
            first_id=first_id,
            last_id=last_id,
            event_count=count,
            previous_hash=previous,
            hash=digest,
        )
        after, previous, written = last_id, digest, written + 1
    return written


@dataclass
class Verification:
    seals: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def is_intact(self) -> bool:
        return not self.problems


def verify(*, now: datetime.datetime | None = None) -> Verification:
    """Walk the chain from the first seal; report every break, then the events left unsealed for
    longer than the job needs (the job stopped, or someone holds the log open)."""
    now = now or timezone.now()
    result = Verification()
    previous, expected_first = GENESIS, 1
    for seal in AuditSeal.objects.order_by("last_id").iterator():
        result.seals += 1
        where = f"seal {seal.first_id}..{seal.last_id}"
        if seal.previous_hash != previous:
            result.problems.append(f"{where}: does not follow the previous seal (a seal removed?)")
        if seal.first_id != expected_first:
            result.problems.append(
                f"{where}: starts at {seal.first_id}, expected {expected_first} (a seal removed?)"
            )
        digest, count = range_digest(seal.previous_hash, seal.first_id, seal.last_id)
        result.events += count
        if count != seal.event_count:
            result.problems.append(
                f"{where}: holds {count} events, {seal.event_count} when sealed "
                f"({'events deleted' if count < seal.event_count else 'events inserted'})"
            )
        elif digest != seal.hash:
            result.problems.append(f"{where}: an event was changed after sealing")
        previous, expected_first = seal.hash, seal.last_id + 1
    stale = (
        AuditEvent.objects.filter(id__gte=expected_first, at__lt=now - 3 * delay())
        .order_by()
        .count()
    )
    if stale:
        result.problems.append(
            f"{stale} events older than {3 * delay()} are not sealed: "
            "is the audit seal job running?"
        )
    return result
