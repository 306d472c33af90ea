"""Every periodic job names a task the worker knows, with arguments it accepts: a typo here would
silently stop the reminders, the 上报 sweep or the digest."""

import inspect

from django.conf import settings

from mhcare.celery import app


def test_every_beat_entry_names_a_registered_task_with_valid_arguments():
    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        task = app.tasks.get(entry["task"])
        assert task is not None, f"{name}: unknown task {entry['task']}"
        inspect.signature(task.run).bind(*entry.get("args", ()), **entry.get("kwargs", {}))


def test_the_daily_jobs_run_in_order():
    schedule = settings.CELERY_BEAT_SCHEDULE
    scan = schedule["crisis-reminder-scan-daily"]["schedule"]
    digest = schedule["notifications-daily-digest"]["schedule"]
    assert (min(scan.hour), min(scan.minute)) < (min(digest.hour), min(digest.minute))
