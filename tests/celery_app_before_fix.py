"""The Celery application as it was before sub-package discovery (``autodiscover_tasks()`` finds
``<app>.tasks`` only): a worker started with ``-A tests.celery_app_before_fix`` misses the tasks
of feature packages, the state /healthz and tests/test_worker_registry.py must catch."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhcare.settings.test")

app = Celery("mhcare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
