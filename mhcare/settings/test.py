"""Settings for ``make test``: PostgreSQL, real Redis where a test asks for it, fast hashing."""

from mhcare.settings.base import *  # noqa: F403
from mhcare.settings.base import env, env_list

SECRET_KEY = "test-only-not-secret"  # noqa: S105
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or [
    "dGVzdC1vbmx5LWtleS1ub3Qtc2VjcmV0LTMyYnl0ZXM="
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; argon2 in base
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = env("CELERY_TASK_ALWAYS_EAGER", "1") == "1"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the apps' folders (tests run no collectstatic): browser tests need them.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# A test-only app with a model using EncryptedTextField (tests/core/test_fields.py).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.fieldtest"]  # noqa: F405
# Each test process keeps its own cache: no state shared with other runs through Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The second factor is not asked of force_login sessions and of the browser tests' demo logins;
# tests/accounts/test_two_factor.py turns it on (fixture ``two_factor_on``) and tests the flow.
TWO_FACTOR_ENFORCED = False
# --- scale: a second database standing for the read replica (issue 14) ---
# Its own test database (test_<name>_replica), created only for the tests that ask for it
# (``django_db(databases=[...,"replica"])``); off unless a test sets REPLICA_DATABASE = "replica",
# so every other test reads and writes the primary alone.
DATABASES["replica"] = {  # noqa: F405
    **DATABASES["default"],  # noqa: F405
    "NAME": f"{DATABASES['default']['NAME']}_replica",  # noqa: F405
    "TEST": {"NAME": f"test_{DATABASES['default']['NAME']}_replica"},  # noqa: F405
}
REPLICA_DATABASE = ""
