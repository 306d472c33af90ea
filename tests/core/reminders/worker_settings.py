"""Settings of the Celery worker subprocess started by ``test_worker.py``: the test settings, a
real (not eager) broker, and a short visibility timeout so that the message of a killed worker is
redelivered within seconds instead of an hour."""

from mhcare.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
