"""Django settings for OpsCore. Every value comes from the environment through ``config.py``."""

from __future__ import annotations

import sys

from celery.schedules import crontab

from opscore.config import BASE_DIR, ConfigError, load_config

try:
    CONFIG = load_config()
except ConfigError as exc:
    # One clear line, not a traceback: the operator fixes the variable and starts again.
    sys.stderr.write(f"OpsCore configuration error: {exc}\n")
    raise SystemExit(2) from None

DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "template_partials",
    "opscore",
    "procedures",
    "executions",
    "attachments",
    "sharing",
]

MIDDLEWARE = [
    "opscore.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "opscore.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "opscore.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "opscore.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "opscore.urls"
WSGI_APPLICATION = "opscore.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {"default": CONFIG.database}
if CONFIG.database["ENGINE"].endswith("sqlite3"):
    # Covering indexes (INCLUDE columns) speed up PostgreSQL; SQLite builds them without
    # the extra columns, which is fine for the embedded default.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "procedures:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "data" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

if CONFIG.storage_type == "s3":
    ATTACHMENT_STORAGE = {
        "BACKEND": "attachments.storage.AttachmentS3Storage",
        "OPTIONS": CONFIG.s3,
    }
else:
    ATTACHMENT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # base_url=None: attachments have no public URL; they are served only through views
        # that check access every time.
        "OPTIONS": {"location": str(CONFIG.storage_path), "base_url": None},
    }

STORAGES = {
    "default": ATTACHMENT_STORAGE,
    "attachments": ATTACHMENT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
WHITENOISE_USE_FINDERS = DEBUG

ATTACHMENT_STORAGE_TYPE = CONFIG.storage_type
ATTACHMENT_MAX_BYTES = CONFIG.attachment_max_bytes
ATTACHMENT_PURGE_GRACE_DAYS = CONFIG.purge_grace_days
S3_PRESIGNED_URL_TTL = CONFIG.presigned_url_ttl
THUMBNAIL_MAX_PIXELS = CONFIG.thumbnail_max_pixels
S3_ENDPOINT = CONFIG.s3.get("endpoint_url")

# Uploads stream to temporary files from the first byte, so memory never grows with file size.
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
DATA_UPLOAD_MAX_NUMBER_FILES = 100

# Celery: without a broker, tasks run in-process so the embedded default still makes thumbnails.
CELERY_BROKER_URL = CONFIG.broker_url or "memory://"
CELERY_TASK_ALWAYS_EAGER = not CONFIG.broker_url
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "apply-retention-policies": {
        "task": "executions.tasks.apply_retention_policies",
        "schedule": crontab(hour=2, minute=15),
    },
    # Files of records deleted more than ATTACHMENT_PURGE_GRACE_DAYS ago.
    "attachments-purge": {
        "task": "attachments.tasks.attachments_purge",
        "schedule": crontab(hour=3, minute=15),
    },
    # Thumbnails whose task could not be queued (broker down when the upload committed).
    "attachments-thumbnails-sweep": {
        "task": "attachments.tasks.thumbnails_sweep",
        "schedule": 300.0,
    },
}

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous requests 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "opscore.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "opscore.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpsCore API",
    "DESCRIPTION": "Procedures and execution records with their evidence.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# Security headers. The CSP is set by SecurityHeadersMiddleware; the rest by Django.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if CONFIG.secure_ssl:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "opscore.logging.RequestContextFilter"}},
    "formatters": {
        "line": {
            "()": "opscore.logging.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s "
            "request_id=%(request_id)s user=%(user)s %(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
