"""Settings of the load test's server (bench/load.py): production's, served over plain HTTP on
loopback. Only what HTTP needs differs: the cookies are not marked Secure (a client on http:// would
not send them back) and nothing redirects to https. Never a deployment's settings."""

from mhcare.settings.production import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
