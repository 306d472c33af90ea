"""Production: every secret from the environment; refuses to start without them."""

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from mhcare.settings.base import *  # noqa: F403
from mhcare.settings.base import SECRET_KEY, env, env_bool, env_list

DEBUG = False

if not SECRET_KEY or len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters."
    )
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must hold at least one Fernet key.")
# Refuse to boot with a malformed key rather than fail on the first encrypted write.
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as _error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS contains a value that is not a valid Fernet key."
        ) from _error

SITE_URL = (env("SITE_URL", "") or "").rstrip("/")
if not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "SITE_URL must be set to the address users open the app at, e.g. https://mhcare.example.gov.cn"
    )

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers probe /healthz over plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000") or 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# Never without the second factor in production (the test settings alone turn it off).
TWO_FACTOR_ENFORCED = True

# --- oidc: single sign-on (issue 13) -------------------------------------------------------------
# Refuse to boot with single sign-on half configured rather than fail at the first login.
if OIDC_ENABLED:  # noqa: F405
    _oidc_missing = [
        name for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET") if not globals()[name]
    ]
    if not (OIDC_DISCOVERY_URL or (OIDC_ISSUER and OIDC_AUTHORIZATION_ENDPOINT)):  # noqa: F405
        _oidc_missing.append("OIDC_DISCOVERY_URL (or OIDC_ISSUER and the endpoints)")
    if _oidc_missing:
        raise ImproperlyConfigured(
            "OIDC_ENABLED is on but these are not set: " + ", ".join(_oidc_missing)
        )
    if "openid" not in OIDC_SCOPES.split():  # noqa: F405
        raise ImproperlyConfigured("OIDC_SCOPES must include 'openid'.")
