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
