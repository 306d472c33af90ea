"""The Celery application. The periodic schedule lives in ``CELERY_BEAT_SCHEDULE`` in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhcare.settings.local")

app = Celery("mhcare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
