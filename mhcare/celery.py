"""The Celery application. The periodic schedule lives in ``CELERY_BEAT_SCHEDULE`` in settings.

Task discovery: Celery's own ``autodiscover_tasks()`` imports ``<app>.tasks`` for each installed
app and nothing deeper, so a task in a feature package (``screening/imports/tasks.py``,
``crisis/reminders/tasks.py``) was unknown to the worker ("Received unregistered task"). Here every
package of every installed app that lives in this repository is searched for a ``tasks.py``, at
any depth: a new app or feature package is registered without touching this file.
"""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhcare.settings.local")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TASK_MODULE = "tasks"
# Folders that never hold task modules (and may hold Python files that must not be imported).
_SKIPPED_FOLDERS = frozenset({"migrations", "templates", "static", "locale", "__pycache__"})
_INSTALLED_PACKAGES = frozenset({".venv", "venv", "site-packages", "dist-packages"})


def task_packages() -> list[str]:
    """Every package whose ``tasks`` module the worker imports.

    The installed apps themselves (third-party ones included, as Celery does), and every
    sub-package (a folder with ``__init__.py``) of an app inside this repository that holds a
    ``tasks.py``. Read from the file system, so nothing is imported just to look."""
    from django.apps import apps

    packages: list[str] = []
    for config in apps.get_app_configs():
        packages.append(config.name)
        root = Path(config.path).resolve()
        if not root.is_relative_to(PROJECT_ROOT) or _INSTALLED_PACKAGES & set(root.parts):
            continue  # a third-party app (a virtualenv inside the repository included)
        for folder, subfolders, files in os.walk(root):
            here = Path(folder)
            subfolders[:] = sorted(
                name
                for name in subfolders
                if name not in _SKIPPED_FOLDERS and (here / name / "__init__.py").is_file()
            )
            if here != root and f"{TASK_MODULE}.py" in files:
                relative = here.relative_to(root).parts
                packages.append(".".join((config.name, *relative)))
    return packages


app = Celery("mhcare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(task_packages, related_name=TASK_MODULE)
