"""Modelgate settings, read from the environment.

With no environment variables at all the platform runs embedded: SQLite in the
data directory and Celery tasks executed in-process. ``DATABASE_URL`` and
``CELERY_BROKER_URL`` switch to PostgreSQL and Redis; ``MODELGATE_ENV=production``
turns on the checks that refuse to start with unsafe or missing settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from modelgate.env import env_bool, env_int, env_list, env_secret, env_str

# Lets admin and DRF classes take type parameters at run time (ModelAdmin[Model]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

MODELGATE_ENV = env_str("MODELGATE_ENV", "development")
if MODELGATE_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"MODELGATE_ENV={MODELGATE_ENV!r}: use development or production")
PRODUCTION = MODELGATE_ENV == "production"

DATA_DIR = Path(env_str("MODELGATE_DATA_DIR", str(BASE_DIR / ".data"))).resolve()

# Development only: production refuses to start with it (see _production_problems).
_DEV_SECRET_KEY = "django-insecure-modelgate-development-only-never-use-in-production"  # noqa: S105
SECRET_KEY = env_secret("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "registry",
    "compliance",
    "serving",
    "web",
    "modelgate",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "modelgate.urls"

# The inference gateway is the same project in its own ASGI process (modelgate/gateway_asgi.py):
# only the OpenAI-compatible routes, and none of the web app's session, CSRF or admin middleware.
MODELGATE_COMPONENT = env_str("MODELGATE_COMPONENT", "web")
if MODELGATE_COMPONENT not in {"web", "gateway"}:
    raise ImproperlyConfigured(f"MODELGATE_COMPONENT={MODELGATE_COMPONENT!r}: use web or gateway")
if MODELGATE_COMPONENT == "gateway":
    ROOT_URLCONF = "serving.gateway.urls"
    MIDDLEWARE = []
WSGI_APPLICATION = "modelgate.wsgi.application"
ASGI_APPLICATION = "modelgate.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context.navigation",
            ],
        },
    },
]


def _database_from_env() -> dict[str, Any]:
    url = env_secret("DATABASE_URL")
    if not url:
        if PRODUCTION:
            raise ImproperlyConfigured(
                "DATABASE_URL is not set. Production needs PostgreSQL: "
                "DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/modelgate"
            )
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'modelgate.sqlite3'}"
    scheme = url.split(":", 1)[0]
    if scheme not in {"postgres", "postgresql", "sqlite"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL has the scheme {scheme!r}; Modelgate supports postgres:// and sqlite://"
        )
    if PRODUCTION and scheme == "sqlite":
        raise ImproperlyConfigured("DATABASE_URL points at SQLite; production needs postgres://")
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE takes the write lock at BEGIN, so two writers never both read
        # the audit chain's head before one of them appends to it.
        config["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}
        config["CONN_MAX_AGE"] = 0
    else:
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
# Production serves hashed, compressed copies made by collectstatic, and must be collected the same way:
# the image sets MODELGATE_STATIC_MANIFEST=1 for its build-time collectstatic. Development and tests
# serve the app directories as they are.
STATIC_MANIFEST = env_bool("MODELGATE_STATIC_MANIFEST", PRODUCTION)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if PRODUCTION and MODELGATE_COMPONENT == "web":
    # The app serves its collected static files itself (CSS, JS, the admin's), hashed and compressed, so an
    # air-gapped site needs no CDN and no extra web server; development uses runserver's static view.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"

# Request bodies larger than this are refused before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024, minimum=1024)

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = env_secret("CELERY_BROKER_URL")
if PRODUCTION and not CELERY_BROKER_URL:
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL is not set. Production needs Redis: CELERY_BROKER_URL=redis://HOST:6379/0"
    )
if CELERY_BROKER_URL and not CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL must be a redis:// or rediss:// URL, not {CELERY_BROKER_URL.split(':', 1)[0]!r}"
    )
# Without a broker, tasks run in the calling process: nothing else to install.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_STORE_EAGER_RESULT = True
CELERY_RESULT_BACKEND = env_secret("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or "cache+memory://")
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
CELERY_TASK_ACKS_LATE = True
CELERY_BEAT_SCHEDULE = {
    "expire-approvals": {"task": "compliance.tasks.approvals_expire_due_task", "schedule": 3600.0},
    "deliver-notifications": {"task": "core.tasks.deliver_pending_task", "schedule": 60.0},
    "usage-rollups": {"task": "serving.tasks.usage_rollup_task", "schedule": 900.0},
    "inference-retention": {"task": "serving.tasks.inference_retention_task", "schedule": 86400.0},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# --- Notifications (docs/adr/0009) ---------------------------------------------
# A delivery that failed this many times is dead: only a replay sends it again.
MODELGATE_NOTIFICATION_MAX_ATTEMPTS = env_int("MODELGATE_NOTIFICATION_MAX_ATTEMPTS", 8, minimum=1)
MODELGATE_NOTIFICATION_TIMEOUT_SECONDS = env_int("MODELGATE_NOTIFICATION_TIMEOUT_SECONDS", 10, minimum=1)
# Development prints e-mails to the console; production sends them over SMTP.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "modelgate@localhost")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set at most one")

# --- Serving: the inference gateway (docs/adr/0010) ----------------------------
# Inference records are kept this long. EU AI Act Art. 19(1) and 26(6): at least six months.
MODELGATE_INFERENCE_RETENTION_DAYS = env_int("MODELGATE_INFERENCE_RETENTION_DAYS", 400, minimum=184)
# Requests larger than this are refused with 413 before they are parsed.
MODELGATE_GATEWAY_MAX_BODY_BYTES = env_int("MODELGATE_GATEWAY_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)

# How long a key's or deployment's admission state may be reused. The ceiling is one second.
MODELGATE_GATEWAY_ADMISSION_TTL_MS = env_int("MODELGATE_GATEWAY_ADMISSION_TTL_MS", 1000, minimum=0)
if MODELGATE_GATEWAY_ADMISSION_TTL_MS > 1000:
    raise ImproperlyConfigured(
        "MODELGATE_GATEWAY_ADMISSION_TTL_MS must be at most 1000: a revocation must bite within a second"
    )
MODELGATE_GATEWAY_CONNECT_TIMEOUT_SECONDS = env_int("MODELGATE_GATEWAY_CONNECT_TIMEOUT_SECONDS", 5, minimum=1)
MODELGATE_GATEWAY_UPSTREAM_TIMEOUT_SECONDS = env_int("MODELGATE_GATEWAY_UPSTREAM_TIMEOUT_SECONDS", 300, minimum=1)
# A backend that failed is left out this long before it gets traffic again.
MODELGATE_GATEWAY_BACKEND_COOLDOWN_SECONDS = env_int("MODELGATE_GATEWAY_BACKEND_COOLDOWN_SECONDS", 10, minimum=1)
MODELGATE_GATEWAY_MAX_CONNECTIONS_PER_BACKEND = env_int("MODELGATE_GATEWAY_MAX_CONNECTIONS_PER_BACKEND", 256, minimum=1)
# Allowed calls' records are written in batches: at most this many, or after this long.
MODELGATE_GATEWAY_RECORD_BATCH_SIZE = env_int("MODELGATE_GATEWAY_RECORD_BATCH_SIZE", 200, minimum=1)
MODELGATE_GATEWAY_RECORD_FLUSH_MS = env_int("MODELGATE_GATEWAY_RECORD_FLUSH_MS", 200, minimum=1)
# Streams are checked by the output guardrails in windows of whole sentences, at most this long.
MODELGATE_GATEWAY_STREAM_WINDOW_CHARS = env_int("MODELGATE_GATEWAY_STREAM_WINDOW_CHARS", 400, minimum=16)
# The gateway's /v1 URL as developers reach it (behind the ingress or proxy), shown in the web app's
# examples; it is not where the gateway listens, which the deployment decides.
MODELGATE_GATEWAY_PUBLIC_URL = env_str("MODELGATE_GATEWAY_PUBLIC_URL", "http://127.0.0.1:8001/v1")
# Bearer token for the gateway's /metrics; without one, /metrics answers loopback clients only.
MODELGATE_METRICS_TOKEN = env_secret("MODELGATE_METRICS_TOKEN")

# --- Hugging Face -------------------------------------------------------------
HF_TOKEN = env_secret("HF_TOKEN")
HF_ENDPOINT = env_str("HF_ENDPOINT", "https://huggingface.co")
# The largest README or LICENSE file an import accepts (bytes).
HF_IMPORT_MAX_TEXT_FILE_BYTES = env_int("HF_IMPORT_MAX_TEXT_FILE_BYTES", 1024 * 1024, minimum=1024)
HF_IMPORT_TIMEOUT_SECONDS = env_int("HF_IMPORT_TIMEOUT_SECONDS", 30, minimum=1)

# Called inside the import transaction for every version an import records. The registry
# cannot import the compliance app (dependencies point serving -> compliance -> registry),
# so the project wires the license assessment in here. See docs/adr/0005.
MODELGATE_IMPORT_HOOKS = ["compliance.services.license_assessment_on_import"]
# Facts the documentation exports take from the serving tier (deployments, guardrails, record
# retention): compliance cannot import serving, so the project names the provider here.
MODELGATE_EXPORT_FACT_PROVIDERS = ["serving.selectors.export_facts"]

# Sign-offs each EU AI Act tier needs: one entry per distinct person. GPAI with systemic
# risk adds a second approver_legal; license policy rules can add roles.
MODELGATE_SIGNOFF_REQUIREMENTS = {
    "out_of_scope": ["compliance_officer"],
    "minimal": ["compliance_officer"],
    "transparency": ["compliance_officer", "approver_security"],
    "high_risk": ["compliance_officer", "approver_legal", "approver_security"],
}
# How long an approval lasts, in months, by tier.
MODELGATE_APPROVAL_VALIDITY_MONTHS = {"high_risk": 12, "default": 24}

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The first class names the scheme in 401 responses' WWW-Authenticate.
        "core.api.authentication.BearerTokenAuthentication",
        "core.api.authentication.LegacyTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Fail closed: a view that names no capability is open to nobody.
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.RoleCapabilities"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")  # type: ignore[attr-defined]

SPECTACULAR_SETTINGS = {
    "TITLE": "Modelgate API",
    "DESCRIPTION": "Model registry, license compliance, approvals and audit ledger for open-weight AI models.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Served from our own static files: air-gapped sites have no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PolicyEnvironmentEnum": "compliance.models.PolicyEnvironment",
        "DeploymentEnvironmentEnum": "compliance.models.DeploymentEnvironment",
    },
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security (production) ----------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
    if env_bool("USE_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Client IPs are taken from X-Forwarded-For only behind this many trusted proxies.
MODELGATE_TRUSTED_PROXY_COUNT = env_int("MODELGATE_TRUSTED_PROXY_COUNT", 0, minimum=0)


def _production_problems() -> list[str]:
    problems = []
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a random string of at least 50 characters (or SECRET_KEY_FILE)")
    if DEBUG:
        problems.append("DEBUG must be false")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must list the host names the app is served on, comma-separated")
    return problems


if PRODUCTION and (_problems := _production_problems()):
    raise ImproperlyConfigured(
        "Modelgate refuses to start with MODELGATE_ENV=production:\n  - " + "\n  - ".join(_problems)
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # The gateway answers refusals on purpose and records each one; Django's per-response
    # warnings would only duplicate the inference records (and cost time on the hot path).
    "loggers": {"django.request": {"level": "CRITICAL" if MODELGATE_COMPONENT == "gateway" else "WARNING"}},
}
