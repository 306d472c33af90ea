"""Demo indicator snapshots: after the other apps' demo records, the nightly job's work is run
once (the current month, last month, the current semester and school year) through the refresh
service, so the officials' dashboards have figures. Idempotent: the snapshots are upserted on
(unit, period, indicator); a second run rewrites the same numbers."""

from __future__ import annotations

import datetime
from typing import Any

from compliance import services
from compliance.periods import current_periods


def seed_compliance_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    written = sum(services.snapshot_refresh(period=p) for p in current_periods(today))
    if stdout is not None:
        stdout.write(f"Compliance demo: {written} indicator snapshots refreshed.")
