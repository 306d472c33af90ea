"""Settings of the worker subprocesses of the fault tests: those of the reminder worker test (a
real broker, a visibility timeout of seconds so that a killed worker's message comes back fast),
plus a test hook that makes a report's generation slow (``MHCARE_TEST_SLOW_REPORT`` seconds after
each progress step), so that a test can kill the worker in the middle of it."""

import os
from typing import Any

from celery.signals import task_prerun

from tests.core.reminders.worker_settings import *  # noqa: F403

_slowed = False


def _slow_report_progress(**kwargs: Any) -> None:
    global _slowed
    seconds = float(os.environ.get("MHCARE_TEST_SLOW_REPORT", "0") or 0)
    if _slowed or not seconds:
        return
    import time

    from compliance import services

    recorded = services._progress

    def slow(report_id: int, value: int) -> None:
        recorded(report_id, value)
        time.sleep(seconds)

    services._progress = slow
    _slowed = True


task_prerun.connect(_slow_report_progress, weak=False)
