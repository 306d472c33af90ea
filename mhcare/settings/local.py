"""Local development (``make run``). Safe defaults for a developer machine only."""

from mhcare.settings.base import *  # noqa: F403
from mhcare.settings.base import env, env_list

DEBUG = True
SECRET_KEY = env("SECRET_KEY") or "local-development-only-not-secret"  # noqa: S105
# A fixed development key so the demo data stays readable across restarts; never used in production.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or [
    "bG9jYWwtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="
]
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Without Redis, make run runs tasks in-process (scripts/run.py sets CELERY_TASK_ALWAYS_EAGER=1);
# a per-process cache is enough there.
if env("CELERY_TASK_ALWAYS_EAGER", "0") == "1":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
