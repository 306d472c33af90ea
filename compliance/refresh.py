"""Snapshots refreshed after imports (issue 12). An importer announces a commit through the kernel
(``mhcare.core.registry.data_changed``); ``mark_changed`` records one pending row per county
affected (an upsert on the unique county: 50 imports in a minute leave one row); the sweep
(``compliance.snapshot_refresh_pending``, every minute from the beat schedule) takes the pending
counties, recomputes each county's subtree for the current periods (and the screening campaigns'
coverage counts of the county), then re-sums the units above
(city, province) from their sub-units' fresh snapshot rows, so no level disagrees with another."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from compliance import indicators, services, trends
from compliance.models import IndicatorSnapshot, SnapshotRefreshPending
from compliance.periods import Period, current_periods
from mhcare.orgs.models import PATH_SEPARATOR, OrgKind, OrgUnit
from screening.campaigns import services as campaign_services

logger = logging.getLogger(__name__)

# A session-level advisory lock key: one sweep at a time (a second one returns at once and the
# pending rows wait for the next minute).
SWEEP_LOCK = 7_312_012


def counties_of(unit_ids: Iterable[int]) -> list[int]:
    """The ids of the counties that hold ``unit_ids`` (a county itself included)."""
    paths = list(OrgUnit.objects.filter(pk__in=list(unit_ids)).values_list("path", flat=True))
    codes = {code for path in paths for code in path.split(PATH_SEPARATOR) if code}
    if not codes:
        return []
    counties = OrgUnit.objects.filter(kind=OrgKind.COUNTY, code__in=codes)
    return sorted(
        c.pk for c in counties.only("pk", "path") if any(p.startswith(c.path) for p in paths)
    )


def mark_changed(unit_ids: list[int], kind: str) -> None:
    """The ``data_changed`` listener: one pending row per affected county (upsert; the first
    request time is kept so a county under a stream of imports is still refreshed each sweep)."""
    county_ids = counties_of(unit_ids)
    if not county_ids:
        return
    table = SnapshotRefreshPending._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (county_id, requested_at) "  # noqa: S608 - the model's table
            "SELECT c, %s FROM unnest(%s::bigint[]) AS t(c) "
            "ON CONFLICT (county_id) DO NOTHING",
            [timezone.now(), county_ids],
        )
    logger.info("snapshot refresh pending for counties %s (%s)", county_ids, kind)


def _take_pending() -> list[int]:
    """Delete and return the pending counties in one committed statement: an import that commits
    while the sweep computes marks its county again for the next sweep."""
    table = SnapshotRefreshPending._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} RETURNING county_id")  # noqa: S608
        return sorted(row[0] for row in cursor.fetchall())


def resum_ancestors(*, county_ids: list[int], periods: list[Period]) -> int:
    """Re-sum every reported unit above ``county_ids`` (city, province) from the snapshot rows
    of its reported sub-units one level down (the nearest reported units under it), deepest
    first: a few grouped statements over a few dozen rows each. Returns the rows written."""
    units = list(
        OrgUnit.objects.filter(is_active=True).order_by().values_list("id", "parent_id", "kind")
    )
    parent = {u: p for u, p, _k in units}
    reported = {u for u, _p, k in units if k in indicators.UNIT_KINDS}

    def nearest_reported_above(unit_id: int) -> int | None:
        node = parent.get(unit_id)
        while node is not None and node not in reported:
            node = parent.get(node)
        return node

    targets: dict[int, int] = {}  # ancestor id -> depth from the county (1 = just above)
    for county_id in county_ids:
        node, depth = nearest_reported_above(county_id), 1
        while node is not None:
            targets[node] = max(targets.get(node, 0), depth)
            node, depth = nearest_reported_above(node), depth + 1
    if not targets:
        return 0
    children: dict[int, list[int]] = {t: [] for t in targets}
    for unit_id in reported:
        above = nearest_reported_above(unit_id)
        if above in children:
            children[above].append(unit_id)
    table = IndicatorSnapshot._meta.db_table
    codes = [p.code for p in periods]
    written = 0
    now = timezone.now()
    for target in sorted(targets, key=lambda t: targets[t]):  # the city before the province
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (unit_id, period, indicator, numerator, denominator,
                                     computed_at)
                SELECT %s, period, indicator, SUM(numerator), SUM(denominator), %s
                FROM {table}
                WHERE unit_id = ANY(%s::bigint[]) AND period = ANY(%s::text[])
                GROUP BY period, indicator
                ON CONFLICT (unit_id, period, indicator) DO UPDATE
                SET numerator = EXCLUDED.numerator, denominator = EXCLUDED.denominator,
                    computed_at = EXCLUDED.computed_at
                """,  # noqa: S608 - the model's table; every value is a parameter
                [target, now, children[target], codes],
            )
            written += cursor.rowcount
    return written


def refresh_pending() -> int:
    """The sweep: refresh the current periods of every pending county, then the units above.
    Returns the counties refreshed (0 when another sweep holds the lock)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SWEEP_LOCK])
        if not cursor.fetchone()[0]:
            return 0
    try:
        county_ids = _take_pending()
        if not county_ids:
            return 0
        periods = current_periods()
        for county in OrgUnit.objects.filter(pk__in=county_ids, is_active=True):
            for period in periods:
                services.snapshot_refresh(period=period, root=county)
            # The campaigns' coverage counts of the county (the officials' coverage pages).
            campaign_services.coverage_refresh(within=county.path)
        # The trend page's band counts of the county (compliance.trends).
        trends.band_counts_refresh(county_ids=county_ids)
        resum_ancestors(county_ids=county_ids, periods=periods)
        logger.info("snapshots refreshed after imports: counties %s", county_ids)
        return len(county_ids)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SWEEP_LOCK])
