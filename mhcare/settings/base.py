"""Settings shared by every environment. Every value that differs between machines comes from the
environment; nothing secret has a default here (see ``production.py``)."""

import datetime
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "guardian",
    "axes",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # kernel
    "mhcare.core",
    "mhcare.orgs",
    "mhcare.accounts",
    "mhcare.audit",
    "mhcare.notifications",
    # domain apps
    "screening",
    "crisis",
    "referrals",
    "counseling",
    "staffing",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mhcare.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mhcare.audit.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "mhcare.accounts.middleware.SessionTimeoutMiddleware",
    "mhcare.accounts.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "mhcare.accounts.middleware.TwoFactorMiddleware",
    "mhcare.accounts.middleware.PasswordExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mhcare.core.errors.AppErrorPagesMiddleware",
    # axes last, as its documentation asks
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mhcare.urls"
WSGI_APPLICATION = "mhcare.wsgi.application"
ASGI_APPLICATION = "mhcare.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mhcare.core.context_processors.navigation",
            ],
        },
    }
]

# Django's renderer, with the stock <input> and <select> templates written in Python (the same
# characters, a quarter of the time: a select of the province's 6 002 schools). mhcare/core/forms.py
FORM_RENDERER = "mhcare.core.forms.QuickWidgetRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mhcare") or "",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "mhcare.accounts.validators.CharacterClassValidator"},
    {"NAME": "mhcare.accounts.validators.PasswordHistoryValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions: 30 minutes idle, 12 hours absolute (enforced in SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT_SECONDS = int(env("SESSION_IDLE_TIMEOUT_SECONDS", "1800") or 1800)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = int(env("SESSION_ABSOLUTE_TIMEOUT_SECONDS", "43200") or 43200)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; see base.html
# A refused form is the app's page in the user's language, not Django's English one.
CSRF_FAILURE_VIEW = "mhcare.core.errors.csrf_failure"

# django-axes: 5 failures per (username, IP) lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The client address is REMOTE_ADDR unless the deployment says how many proxies it trusts.
AXES_CLIENT_IP_CALLABLE = "mhcare.audit.context.client_ip_for_axes"
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0") or 0)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "media"

# Field encryption: comma-separated Fernet keys, newest first. Not SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0") or ""
# One cache shared by every web replica (rate limits such as the self-screening code attempts must
# hold across processes). Database 1 of the same Redis; the broker uses database 0.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL", REDIS_URL.rsplit("/", 1)[0] + "/1"),
        "KEY_PREFIX": "mhcare",
    }
}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The periodic schedule: one entry per job, each saying what it is for.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
# 上报 to the provincial crisis platform (crisis.reporting). No URL = delivery off: rows wait.
PROVINCIAL_REPORT_URL = env("PROVINCIAL_REPORT_URL", "") or ""
PROVINCIAL_REPORT_TOKEN = env("PROVINCIAL_REPORT_TOKEN", "") or ""
PROVINCIAL_REPORT_TIMEOUT = float(env("PROVINCIAL_REPORT_TIMEOUT", "10") or 10)
# Backoff after a failed attempt: base × 2^(attempts − 1) seconds, capped.
REPORT_RETRY_BASE_SECONDS = int(env("REPORT_RETRY_BASE_SECONDS", "60") or 60)
REPORT_RETRY_MAX_SECONDS = int(env("REPORT_RETRY_MAX_SECONDS", "3600") or 3600)
# A follow-up overdue by more than this many days goes to the school leader, then the county center.
FOLLOW_UP_ESCALATE_LEADER_DAYS = int(env("FOLLOW_UP_ESCALATE_LEADER_DAYS", "3") or 3)
FOLLOW_UP_ESCALATE_CENTER_DAYS = int(env("FOLLOW_UP_ESCALATE_CENTER_DAYS", "7") or 7)
CELERY_BEAT_SCHEDULE.update(
    {
        # 上报 outbox: send rows whose next attempt is due (first tries and retries with backoff).
        "crisis-report-sweep": {
            "task": "mhcare.core.outbox.tasks.outbox_sweep_task",
            "schedule": 60.0,
        },
        # Critical screening results whose alerts are still in their outbox (the task queued after
        # COMMIT was lost: a broker down, a worker killed, a failed send): sent within a minute.
        "screening-critical-alerts-sweep": {
            "task": "screening.tasks.alert_pending_task",
            "schedule": 60.0,
        },
        # Urgent e-mails whose task was never queued (the broker down at COMMIT): queued again.
        "notifications-urgent-email-sweep": {
            "task": "mhcare.notifications.tasks.notification_urgent_email_sweep_task",
            "schedule": 300.0,
        },
        # Ordinary e-mails (reminders) whose task was lost or gave up: queued again, in batches.
        "notifications-email-sweep": {
            "task": "mhcare.notifications.tasks.notification_email_sweep_task",
            "schedule": crontab(minute=40),
        },
        # Every crisis reminder (follow-ups, 上报, reviews, family contacts, home visits), 07:00.
        "crisis-reminder-scan-daily": {
            "task": "mhcare.core.reminders.tasks.reminder_scan_task",
            "schedule": crontab(hour=7, minute=0),
        },
        # 上报 deadlines are counted in hours: their reminders and escalation run every hour.
        "crisis-report-deadlines-hourly": {
            "task": "mhcare.core.reminders.tasks.reminder_scan_task",
            "schedule": crontab(minute=5),
            "kwargs": {"rules": ["report"]},
        },
        # The daily e-mail digest for the users who chose it (their e-mail settings page), after
        # the morning scan.
        "notifications-daily-digest": {
            "task": "mhcare.notifications.tasks.notification_digest_task",
            "schedule": crontab(hour=7, minute=30),
        },
    }
)

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25") or 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "mhcare <noreply@localhost>")
# The address users open the app at (scheme and host, no trailing slash): every link in an e-mail
# is absolute on it. Required in production.
SITE_URL = (env("SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "mhcare.accounts.tokens.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "mhcare.core.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mhcare API",
    "DESCRIPTION": _("Student mental-health management platform"),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI from the app itself, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every "status" enum by its own name, not a hash suffix.
    "ENUM_NAME_OVERRIDES": {
        "EnrolmentStatusEnum": "mhcare.orgs.models.EnrolmentStatus",
        "ObservationStatusEnum": "screening.models.ObservationStatus",
        "ProposalStatusEnum": "screening.models.ProposalStatus",
        "ImportStatusEnum": "screening.models.ImportStatus",
        "ReportStatusEnum": "compliance.models.ReportStatus",
    },
}

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"expected_client_errors": {"()": "mhcare.core.errors.ExpectedClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every layout step at INFO. A refused (403) or missing (404) page is a
    # one-line warning, not a traceback.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "django.request": {"filters": ["expected_client_errors"]},
    },
}

# Screening, configurable by the province. SCREENING_RISK_RULES: a list of dicts with the fields
# of ``screening.risk.RiskRule`` (code, instrument, level, critical / band / min_total /
# max_total, label) that replaces the defaults in ``screening/risk.py``; None keeps them.
# SCREENING_CRITICAL_BANDS: bands that raise the immediate alert, per instrument code, on top of
# the instruments' own critical rules, e.g. {"SDQ": ["abnormal"]}.
SCREENING_RISK_RULES: list[dict[str, object]] | None = None
SCREENING_CRITICAL_BANDS: dict[str, list[str]] = {}

# --- audit log protection (issue 13) ---
# Events are sealed into the hash chain once older than this: it must exceed the longest
# transaction (an import, a report), so no event can still commit into a sealed range.
AUDIT_SEAL_DELAY_SECONDS = int(env("AUDIT_SEAL_DELAY_SECONDS", "600") or 600)
# The database role the web, worker and beat processes connect as (``manage.py db_roles`` creates
# it and grants it only what the app needs: SELECT and INSERT on the audit tables).
DB_APP_ROLE = env("DB_APP_ROLE", "mhcare_app") or "mhcare_app"
CELERY_BEAT_SCHEDULE.update(
    {
        # The audit log's hash chain: seal the events older than AUDIT_SEAL_DELAY_SECONDS.
        "audit-seal": {
            "task": "mhcare.audit.tasks.audit_seal_task",
            "schedule": 300.0,
        },
    }
)
# API tokens (mhcare.accounts.tokens): the longest life a token may be given, in days.
API_TOKEN_MAX_DAYS = int(env("API_TOKEN_MAX_DAYS", "30") or 30)
# The Content-Security-Policy (mhcare.core.security): nothing executes unless served by this site.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Passwords of county, city and province roles and of administrators expire (等保三级); none may
# repeat one of the user's last PASSWORD_HISTORY_COUNT.
PASSWORD_MAX_AGE_DAYS = int(env("PASSWORD_MAX_AGE_DAYS", "90") or 90)
PASSWORD_HISTORY_COUNT = int(env("PASSWORD_HISTORY_COUNT", "5") or 5)
PASSWORD_EXPIRY_ROLES = ["county_center", "official", "supervisor", "platform_admin", "auditor"]
# --- compliance indicators (issue 12) ------------------------------------------------------------
# Screened grades of ``screening_coverage``: the notice's 小学高年级、初中、高中 read as grades 5–12
# (高年级 = grades 5–6 of the six-year primary). Inclusive (first, last).
COMPLIANCE_SCREENED_GRADES: tuple[int, int] = (5, 12)
# Target of each indicator in percent; None = no numeric target (the indicator is reported only).
COMPLIANCE_TARGETS: dict[str, float | None] = {
    "screening_coverage": 100.0,
    "lesson_hours": 100.0,
    "fulltime_teacher_required": 100.0,
    "fulltime_teacher_all": 100.0,
    "researcher_coverage": 100.0,
    "center_standardized": 70.0,
    "highrisk_reported": 100.0,
    "followup_on_time": 100.0,
    "family_contact": 100.0,
    "referral_feedback": None,
    "leading_groups": 100.0,
    "teacher_training": None,
}
# Traffic light: at or above the target is green; less than this many points below it is amber.
COMPLIANCE_AMBER_POINTS = float(env("COMPLIANCE_AMBER_POINTS", "10") or 10)
# ``highrisk_reported``: a 一级/二级 case counts as reported in time when sent within these hours.
COMPLIANCE_HIGHRISK_REPORT_HOURS = int(env("COMPLIANCE_HIGHRISK_REPORT_HOURS", "24") or 24)
# The provision indicators read their app's own rule settings, one source each:
# ``referral_feedback`` REFERRAL_FEEDBACK_WITHIN_DAYS, ``lesson_hours``
# STAFFING_LESSON_HOURS_REQUIRED and STAFFING_HOLIDAY_MONTHS, ``fulltime_teacher_*`` the
# STAFFING_* thresholds and dates.
CELERY_BEAT_SCHEDULE.update(
    {
        # Indicator snapshots of the current month, semester and school year (and last month),
        # for every unit of the province; before the morning reminder scan.
        "compliance-snapshots-nightly": {
            "task": "compliance.snapshot_refresh",
            "schedule": crontab(hour=2, minute=30),
        },
    }
)
# --- staffing (issue 11) ---
# Notice §6, the full-time MH teacher rule: from STAFFING_REQUIRED_FROM a school with at least
# STAFFING_STUDENT_THRESHOLD students on its roll that day, more than one campus or more than one
# stage must have STAFFING_MIN_FULLTIME full-time MH teachers in post; from
# STAFFING_ALL_SCHOOLS_FROM every school must. Every teaching-research unit has a full-time MH
# 教研员 from STAFFING_RESEARCHER_FROM.
STAFFING_REQUIRED_FROM = datetime.date(2023, 9, 1)
STAFFING_ALL_SCHOOLS_FROM = datetime.date(2025, 9, 1)
STAFFING_STUDENT_THRESHOLD = 1000
STAFFING_MIN_FULLTIME = 1
STAFFING_RESEARCHER_FROM = datetime.date(2025, 9, 1)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "PostKindEnum": "staffing.models.PostKind",
        "GroupKindEnum": "staffing.models.GroupKind",
        "TrainingKindEnum": "staffing.models.TrainingKind",
    }
)
# --- staffing: lessons and activities (issue 11) ---
# Notice §2: every class gets at least this many MH class hours in each teaching month.
STAFFING_LESSON_HOURS_REQUIRED = "2"
# The most class hours one lesson entry may carry (a double period is 2; a half-day workshop 4).
STAFFING_LESSON_MAX_HOURS = "4"
# Months without teaching (school holidays: winter break in February, summer in July and August)
# are not counted. STAFFING_HOLIDAY_MONTHS_BY_YEAR overrides them for one school year, by its name
# ("2026-2027": the year from September 2026 to August 2027), e.g. {"2026-2027": [1, 2, 7, 8]}.
STAFFING_HOLIDAY_MONTHS = [2, 7, 8]
STAFFING_HOLIDAY_MONTHS_BY_YEAR: dict[str, list[int]] = {}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "ActivityKindEnum": "staffing.models.ActivityKind",
        "ActivityCategoryEnum": "staffing.models.ActivityCategory",
        # a second "category" field in the schema: the observation's gets its own name too
        "ObservationCategoryEnum": "screening.models.ObservationCategory",
    }
)
# --- referrals (issue 10) ---
# Reminders (mhcare.core.reminders): a sent referral not accepted within N days; no institution
# feedback within N days of acceptance (or of sending); no return plan N days after the return.
REFERRAL_ACCEPT_WITHIN_DAYS = int(env("REFERRAL_ACCEPT_WITHIN_DAYS", "7") or 7)
REFERRAL_FEEDBACK_WITHIN_DAYS = int(env("REFERRAL_FEEDBACK_WITHIN_DAYS", "30") or 30)
REFERRAL_RETURN_PLAN_WITHIN_DAYS = int(env("REFERRAL_RETURN_PLAN_WITHIN_DAYS", "3") or 3)
# The guardian's signed consent form (a scan or photo), largest accepted upload in bytes.
REFERRAL_CONSENT_SCAN_MAX_BYTES = int(env("REFERRAL_CONSENT_SCAN_MAX_BYTES", "") or 5 * 1024 * 1024)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] |= {  # type: ignore[operator]
    "ConsentWayEnum": "referrals.models.ConsentWay",
    "InstitutionLevelEnum": "referrals.models.InstitutionLevel",
    "ReferralStateEnum": "referrals.models.ReferralState",
    "UrgencyEnum": "referrals.models.Urgency",
}
# --- counseling rooms, duty, appointments, sessions (issue 10) ---
# Length of a bookable slot within a duty shift, in minutes.
COUNSELING_SLOT_MINUTES = int(env("COUNSELING_SLOT_MINUTES", "45") or 45)
# How long a counseling session record stays current before it is archived (never deleted).
COUNSELING_SESSION_RETENTION_YEARS = int(env("COUNSELING_SESSION_RETENTION_YEARS", "10") or 10)
# Appointments still "requested" this many hours after they were made remind the counselor.
COUNSELING_UNCONFIRMED_HOURS = 24
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["AppointmentStatusEnum"] = (  # type: ignore[index]
    "counseling.models.AppointmentStatus"
)
# --- accounts hardening: two-factor, reset links, break-glass (issue 13) --------------------------
# TOTP second factor (django-otp): required for these roles and for every staff / superuser
# account, optional for school roles. Verification is bound to the session (OTPMiddleware).
# TWO_FACTOR_ENFORCED is True everywhere but in the test settings (tests of the flow turn it on).
TWO_FACTOR_ENFORCED = True
TWO_FACTOR_REQUIRED_ROLES = [
    "county_center",
    "official",
    "supervisor",
    "auditor",
    "platform_admin",
]
TWO_FACTOR_ISSUER = env("TWO_FACTOR_ISSUER", "mhcare") or "mhcare"
TWO_FACTOR_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = TWO_FACTOR_ISSUER
# A password reset link (sent by an administrator) works once and for this many seconds.
PASSWORD_RESET_TIMEOUT = int(env("PASSWORD_RESET_TIMEOUT", str(24 * 3600)) or 24 * 3600)
# Break-glass emergency access lasts this many hours (at most 24: a database constraint).
BREAK_GLASS_HOURS = int(env("BREAK_GLASS_HOURS", "24") or 24)
BREAK_GLASS_REASON_MIN_LENGTH = 20

# --- compliance reports, trends, inspections (issue 12, part 2) ----------------------------------
# Trend tables (notice §15): a count below this is shown as "<N", so no child can be singled out.
COMPLIANCE_MIN_CELL = int(env("COMPLIANCE_MIN_CELL", "5") or 5)
# The PDF lists at most this many non-compliant schools (worst first; above a county also the
# per-county table); the Excel lists them all (issue 14: 300 rows took most of a province PDF).
COMPLIANCE_REPORT_MAX_SCHOOLS = int(env("COMPLIANCE_REPORT_MAX_SCHOOLS", "100") or 100)
CELERY_BEAT_SCHEDULE.update(
    {
        # On the 1st at 04:00 (after the nightly snapshots at 02:30): last month's report of every
        # county, city and the province, one per unit and month (unique), with an inbox notice to
        # the unit's officials.
        "compliance-reports-monthly": {
            "task": "compliance.reports_monthly",
            "schedule": crontab(day_of_month=1, hour=4, minute=0),
        },
    }
)

# --- compliance snapshots after imports (issue 12, gap 12) ---------------------------------------
# Trend sparklines on the indicator dashboard show this many months (the nightly job keeps every
# month of the current school year, computing a missing past month once).
COMPLIANCE_TREND_MONTHS = int(env("COMPLIANCE_TREND_MONTHS", "12") or 12)
CELERY_BEAT_SCHEDULE.update(
    {
        # Every minute: the counties whose screening results, roster or lessons were imported since
        # the last sweep get their current-period snapshots refreshed, once per county however many
        # imports (a pending row per county), then their city and province are re-summed.
        "compliance-snapshots-after-imports": {
            "task": "compliance.snapshot_refresh_pending",
            "schedule": 60.0,
        },
    }
)
# --- hardening: guardian consent, privacy notice, retention (PIPL art. 19 and 31; issue 13) ------
# Years after a student left (transferred / graduated, ``Student.left_on``) before their records
# are anonymised, per record kind. The monthly job anonymises a student once the longest of these
# has passed for the kinds they have; each kind's free text is cleared after its own period.
RETENTION_YEARS: dict[str, int] = {
    "student": int(env("RETENTION_STUDENT_YEARS", "3") or 3),  # name, number, birth date, guardians
    "screening": int(env("RETENTION_SCREENING_YEARS", "3") or 3),  # consents, observations, notes
    "crisis": int(env("RETENTION_CRISIS_YEARS", "5") or 5),  # case narratives, follow-ups
    "counseling": int(env("RETENTION_COUNSELING_YEARS", "5") or 5),  # session records
}
# Who answers privacy questions (shown on the privacy notice and the parent notice).
PRIVACY_CONTACT = (
    env("PRIVACY_CONTACT", "") or "县心理健康教育指导中心 / county mental-health center"
)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "ScreeningConsentWayEnum": "screening.models.ConsentWay",
        "ScreeningConsentDecisionEnum": "screening.models.ConsentDecision",
    }
)
CELERY_BEAT_SCHEDULE.update(
    {
        # On the 2nd of each month at 03:30 (quiet hours, after the reports of the 1st): anonymise
        # the records of students who left more than RETENTION_YEARS ago (PIPL art. 19). Run
        # `manage.py retention_report` first to see how many rows of each kind would change.
        "retention-anonymise-monthly": {
            "task": "mhcare.retention_anonymise",
            "schedule": crontab(day_of_month=2, hour=3, minute=30),
        },
    }
)
# --- scale: Celery queues by kind, time limits per queue (issue 14) ------------------------------
# Every task goes to the queue of its kind, so a long report or import never holds up a crisis
# alert: docker-compose runs one worker per queue (`-Q <queue>`); `make run` and the tests' default
# worker consume them all (a worker without -Q consumes every queue of CELERY_TASK_QUEUES).
# tests/test_task_routes.py fails when a registered task has no route here.
CELERY_QUEUE_NAMES = ("alerts", "reminders", "imports", "reports", "default")
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = {name: {"exchange": name, "routing_key": name} for name in CELERY_QUEUE_NAMES}
# (soft, hard) seconds: the most a task of the queue may declare, and the limits its worker
# applies to a task that declares none (`--soft-time-limit` / `--time-limit` in docker-compose).
CELERY_QUEUE_TIME_LIMITS: dict[str, tuple[int, int]] = {
    "alerts": (100, 120),  # one e-mail or one 上报 delivery: seconds, never minutes
    "reminders": (840, 900),  # the daily scan and its e-mail batches, the digest
    "imports": (3500, 3600),  # a county's results file
    "reports": (1700, 1800),  # PDF / Excel renders, the nightly indicator snapshots
    "default": (1700, 1800),  # housekeeping: audit seals, retention
}
CELERY_TASK_ROUTES: dict[str, dict[str, str]] = {
    # alerts: the e-mail of one notification (a critical screening result, a case, an incident),
    # the 上报 outbox deliveries to the provincial platform and their sweep.
    "mhcare.notifications.tasks.notification_email_task": {"queue": "alerts"},
    "mhcare.notifications.tasks.notification_urgent_email_sweep_task": {"queue": "alerts"},
    "mhcare.core.outbox.tasks.outbox_deliver_task": {"queue": "alerts"},
    "mhcare.core.outbox.tasks.outbox_sweep_task": {"queue": "alerts"},
    # the critical screening results' alerts (their outbox, after COMMIT and every minute).
    "screening.tasks.alert_pending_task": {"queue": "alerts"},
    # reminders: the scans and the e-mails they produce in bulk, the daily digest.
    "mhcare.core.reminders.tasks.reminder_scan_task": {"queue": "reminders"},
    "mhcare.notifications.tasks.notification_email_batch_task": {"queue": "reminders"},
    "mhcare.notifications.tasks.notification_digest_task": {"queue": "reminders"},
    "mhcare.notifications.tasks.notification_email_sweep_task": {"queue": "reminders"},
    # imports: screening results files.
    "screening.imports.tasks.import_run_task": {"queue": "imports"},
    # reports: PDF / Excel renders, monthly reports, indicator snapshots.
    "compliance.report_render": {"queue": "reports"},
    "compliance.reports_monthly": {"queue": "reports"},
    "compliance.snapshot_refresh": {"queue": "reports"},
    "compliance.snapshot_refresh_pending": {"queue": "reports"},
    # default: housekeeping.
    "mhcare.audit.tasks.audit_seal_task": {"queue": "default"},
    "mhcare.retention_anonymise": {"queue": "default"},
}
# --- scale: read replica for reports and dashboards (issue 14) -----------------------------------
# DATABASE_REPLICA_URL: a streaming replica of the primary. When set, the indicator dashboards, the
# trend tables and the report builds read from it (chosen in code with mhcare.core.replica's
# ``using_replica()`` / ``@replica_reads``); everything else, and every write, uses the primary.
# A request that wrote reads from the primary, and so does the browser for REPLICA_PIN_SECONDS
# after it (covering the replication lag for the page a form redirects to).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", "") or ""
REPLICA_DATABASE = ""
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
    REPLICA_DATABASE = "replica"
REPLICA_PIN_SECONDS = int(env("REPLICA_PIN_SECONDS", "10") or 10)
DATABASE_ROUTERS = ["mhcare.core.replica.ReplicaRouter"]
MIDDLEWARE.append("mhcare.core.replica.ReplicaPinMiddleware")
# --- scale: PgBouncer in transaction pooling (issue 14) ------------------------------------------
# DATABASE_PGBOUNCER=true when DATABASE_URL points at PgBouncer with pool_mode=transaction (the web
# service in docker-compose). A server connection then serves one transaction of a client, so no
# session state may outlive a transaction: Django's server-side cursors (``.iterator()`` declares
# a cursor WITH HOLD outside a transaction) are turned off; prepared statements are already off
# (Django sets psycopg's prepare_threshold to None). The Celery workers and beat connect to
# PostgreSQL directly: the results import keeps a TEMP staging table across transactions and the
# snapshot sweep holds a session-level advisory lock (compliance/refresh.py), neither of which
# survives transaction pooling. README.md "Deployment at scale" lists what was checked.
DATABASE_PGBOUNCER = env_bool("DATABASE_PGBOUNCER", False)
if DATABASE_PGBOUNCER:
    for _alias in DATABASES.values():
        _alias["DISABLE_SERVER_SIDE_CURSORS"] = True

# --- seed: the province-scale generator (manage.py seed_province; issue 14) ---
INSTALLED_APPS += ["province"]
# --- oidc: single sign-on with the provincial identity provider (OpenID Connect; issue 13) ------
# The provider authenticates; local role assignments authorise. A provider's user logs in only when
# a local account is linked to their subject (``accounts.ExternalIdentity``, unique per issuer);
# accounts are never created from claims. Local user name + password login stays as the fallback.
OIDC_ENABLED = env_bool("OIDC_ENABLED", False)
# Either the discovery document (…/.well-known/openid-configuration), or the issuer and endpoints.
OIDC_DISCOVERY_URL = env("OIDC_DISCOVERY_URL", "") or ""
OIDC_ISSUER = env("OIDC_ISSUER", "") or ""
OIDC_AUTHORIZATION_ENDPOINT = env("OIDC_AUTHORIZATION_ENDPOINT", "") or ""
OIDC_TOKEN_ENDPOINT = env("OIDC_TOKEN_ENDPOINT", "") or ""  # noqa: S105 - a URL, not a secret
OIDC_JWKS_URI = env("OIDC_JWKS_URI", "") or ""
OIDC_USERINFO_ENDPOINT = env("OIDC_USERINFO_ENDPOINT", "") or ""
OIDC_END_SESSION_ENDPOINT = env("OIDC_END_SESSION_ENDPOINT", "") or ""
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", "") or ""
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", "") or ""
OIDC_SCOPES = env("OIDC_SCOPES", "openid profile") or "openid profile"
# First-time linking: when set (e.g. "staff_id"), a subject not yet linked is linked to the active
# local account whose user name equals this claim's value, once; only for a claim the provider
# itself controls (a provincial staff number), never one the person can edit. Empty: an
# administrator links accounts (admin, "External identities").
OIDC_LINK_CLAIM = env("OIDC_LINK_CLAIM", "") or ""
# The provider's assertion of a second factor: an ``amr`` value (RFC 8176) or an ``acr`` value in
# these lists counts as the second factor for roles that need one; otherwise local TOTP is asked.
OIDC_MFA_AMR_VALUES = env_list("OIDC_MFA_AMR_VALUES", "mfa")
OIDC_MFA_ACR_VALUES = env_list("OIDC_MFA_ACR_VALUES", "")
OIDC_TIMEOUT_SECONDS = int(env("OIDC_TIMEOUT_SECONDS", "10") or 10)
OIDC_METADATA_TTL_SECONDS = int(env("OIDC_METADATA_TTL_SECONDS", "3600") or 3600)
# --- protect: audit log online retention (issue 13) ---
# How many days the audit log stays online (the auditor's page and its export by date range).
# Nothing removes audit events (append-only table); a system check (mhcare.audit.E001) refuses to
# start with less than 183 days (six months, 等保三级), and any future archiving job must keep
# every event younger than this online (mhcare.audit.checks.audit_online_since).
AUDIT_ONLINE_RETENTION_DAYS = int(env("AUDIT_ONLINE_RETENTION_DAYS", "365") or 365)

# --- lists: province-scale read paths ---
# The idle-timeout stamp in the session is rewritten at most once per this many seconds (a request
# within the window saves no session row); the idle check errs early by at most this much.
SESSION_ACTIVITY_WRITE_SECONDS = int(env("SESSION_ACTIVITY_WRITE_SECONDS", "60") or 60)
# --- faults: the API schema documents the error answers (400/403/404) of every operation ---
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "mhcare.core.openapi.AutoSchema"
# A NUL character in the path or query string: 400 before any view (mhcare.core.errors); after
# LocaleMiddleware, so that the message is in the user's language.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.locale.LocaleMiddleware") + 1,
    "mhcare.core.errors.RefuseNulBytesMiddleware",
)
