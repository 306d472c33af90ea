from celery import shared_task

from compliance import services


@shared_task(
    name="compliance.report_render",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=300,
    soft_time_limit=240,
)
def report_render_task(report_id: int) -> str:
    """Render one report; safe to run twice (see ``services.report_render``)."""
    return str(services.report_render(report_id=report_id).status)


@shared_task(
    name="compliance.snapshot_refresh",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=1800,
    soft_time_limit=1700,
)
def snapshot_refresh_task(period: str | None = None) -> int:
    """Refresh the indicator snapshots of every unit: of ``period`` (a period code), or of the
    current month, last month, the current semester and school year (the nightly run). Safe to
    run twice: the snapshots are upserted on (unit, period, indicator)."""
    from compliance.periods import current_periods, parse_period

    periods = [parse_period(period)] if period else current_periods()
    return sum(services.snapshot_refresh(period=p) for p in periods)
