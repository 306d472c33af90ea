"""The audit log stays online (readable by the auditor, exportable by date range) for at least six
months (等保三级: audit records kept ≥ 6 months). ``AUDIT_ONLINE_RETENTION_DAYS`` states how long;
this check refuses to start with less.

Nothing in the app removes or moves audit events: the table is append-only (a trigger refuses
UPDATE and DELETE, and the app's database role holds only SELECT and INSERT), and the retention job
skips the audit app. Any archiving job added later must keep every event younger than
``audit_online_since()`` online and keep ``audit_verify`` passing across what it moves."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils import timezone

# Six months, counted generously (the longest six months span 184 days; 183 is the floor).
AUDIT_ONLINE_RETENTION_MIN_DAYS = 183
RETENTION_TOO_SHORT_ID = "mhcare.audit.E001"


def online_retention_days() -> int:
    return int(settings.AUDIT_ONLINE_RETENTION_DAYS)


def audit_online_since(now: datetime.datetime | None = None) -> datetime.datetime:
    """The oldest moment whose events must still be online: no job may remove or move an event
    younger than this (nor, whatever the setting says, one younger than the six-month floor)."""
    days = max(online_retention_days(), AUDIT_ONLINE_RETENTION_MIN_DAYS)
    return (now or timezone.now()) - datetime.timedelta(days=days)


def audit_retention_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        days = online_retention_days()
    except (AttributeError, TypeError, ValueError):
        days = -1
    if days < AUDIT_ONLINE_RETENTION_MIN_DAYS:
        given = getattr(settings, "AUDIT_ONLINE_RETENTION_DAYS", None)
        floor = AUDIT_ONLINE_RETENTION_MIN_DAYS
        return [
            checks.Error(
                f"AUDIT_ONLINE_RETENTION_DAYS is {given!r}: the audit log must stay online at "
                f"least {floor} days (six months, 等保三级).",
                hint=f"Set AUDIT_ONLINE_RETENTION_DAYS to {floor} or more.",
                id=RETENTION_TOO_SHORT_ID,
            )
        ]
    return []
