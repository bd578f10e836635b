"""Settings for the sister-city registry.

Every knob comes from the environment with a safe default (see README, "Configuration").
Production: set REGISTRY_SECRET_KEY, REGISTRY_ALLOWED_HOSTS, REGISTRY_HTTPS=1, DATABASE_URL and leave
REGISTRY_DEBUG unset; `manage.py check --deploy` is then clean.
"""

import datetime as dt
import mimetypes
import os
import secrets
import warnings
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("REGISTRY_DEBUG", False)
# No secret lives in the repository. Without REGISTRY_SECRET_KEY each process draws a random
# key (sessions and tokens' CSRF cookies then last one run); the deploy check
# (registry.checks) reports it so that production never runs like that.
# REGISTRY_SECRET_KEY_FILE names a file holding it instead (`make serve` writes one, mode 600,
# outside git, on first use; every process and instance reading the same file shares sessions).
if not os.environ.get("REGISTRY_SECRET_KEY") and os.environ.get("REGISTRY_SECRET_KEY_FILE"):
    os.environ["REGISTRY_SECRET_KEY"] = Path(os.environ["REGISTRY_SECRET_KEY_FILE"]).read_text().strip()
SECRET_KEY = os.environ.get("REGISTRY_SECRET_KEY") or secrets.token_urlsafe(50)
SECRET_KEY_FROM_ENVIRONMENT = bool(os.environ.get("REGISTRY_SECRET_KEY"))

ALLOWED_HOSTS = env_list("REGISTRY_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("REGISTRY_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "registry.admin_config.RegistryAdminConfig",  # django.contrib.admin with the registry's site
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
    "django_countries",
    "registry",
    "api",
    "axes",  # login lockout (registry.security); after the apps whose logins it watches
]

MIDDLEWARE = [
    # First: one log line per request, with its id (registry.request_log).
    "registry.request_log.RequestLogMiddleware",
    # The public's reads to the replica when DATABASE_REPLICA_URL is set (registry.routers).
    "registry.routers.ReplicaMiddleware",
    # A read-only request reads the data version (the cached figures' key) once.
    "registry.middleware.DataVersionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out admin sign-in into the lockout page (429).
    "axes.middleware.AxesMiddleware",
]

# django-axes' lockout check first (it refuses a locked-out account or client before any password
# is checked), then Django's own users and passwords.
AUTHENTICATION_BACKENDS = [
    "registry.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"

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
            ],
        },
    },
]

# SQLite file by default (no server to install); DATABASE_URL selects PostgreSQL, e.g.
# postgres://postgres@127.0.0.1:5432/registry
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("REGISTRY_CONN_MAX_AGE", "60")),
    )
}
#: PostgreSQL session settings. JIT compilation off: the planner switches it on by estimated cost,
#: and the audit reports' correlated subqueries are costed far above what they run (milliseconds),
#: so JIT added 150 ms to 1.5 s of compilation to queries that take 20-80 ms (bench_reports).
POSTGRES_OPTIONS = {"options": os.environ.get("REGISTRY_PG_OPTIONS", "-c jit=off")}
# A read replica (DATABASE_REPLICA_URL): anonymous GET and HEAD requests read from it, everything
# else from the primary (registry.routers.ReplicaRouter).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["registry.routers.ReplicaRouter"]
for database in DATABASES.values():
    if database["ENGINE"] == "django.db.backends.postgresql":
        database.setdefault("OPTIONS", {}).update(POSTGRES_OPTIONS)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers wait their turn instead of failing with "database is locked": every
    # transaction (every service write) takes the write lock when it begins (BEGIN IMMEDIATE), and
    # a writer that finds it taken waits up to `timeout` seconds. With SQLite's default deferred
    # transactions two writers both read, then the second to write fails at once (a deadlock
    # SQLite refuses to wait for), so the loser of an If-Match race got a 500 instead of its 412.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The covering indexes' INCLUDE columns serve PostgreSQL's index-only scans (the country reports);
# SQLite builds the same indexes without them, which is all it can do: nothing to warn about.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# English by default (API clients, logs); people whose browser asks for Japanese get Japanese.
LANGUAGE_CODE = os.environ.get("REGISTRY_LANGUAGE_CODE", "en")
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "registry" / "locale"]
TIME_ZONE = os.environ.get("REGISTRY_TIME_ZONE", "Asia/Tokyo")
#: The home country of the audits (ISO 3166-1 alpha-2): vitality and "in name only" are judged for
#: relationships with a side in it wherever no `country` is given (agreement lists, admin).
REGISTRY_HOME_COUNTRY = os.environ.get("REGISTRY_HOME_COUNTRY", "JP").strip().upper() or "JP"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The boundaries of Japan's municipalities and prefectures ship in fixtures/geo (with their
# provenance note) and are served as static files for the offline maps: /static/geo/….
STATICFILES_DIRS = [("geo", BASE_DIR / "fixtures" / "geo")]
mimetypes.add_type("application/json", ".topojson")
STATIC_ROOT = Path(os.environ.get("REGISTRY_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("REGISTRY_MANIFEST_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve static files from the app directories too, so `runserver` without DEBUG and the
# test server work without a collectstatic step (then STATIC_ROOT does not exist yet: no warning).
WHITENOISE_USE_FINDERS = True
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# The pages' sign-in (Django's own auth views under the language prefix); the admin keeps its own.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace:my"
LOGOUT_REDIRECT_URL = "pages:home"

# E-mail (password reset, reminder digests): printed to the console unless configured.
EMAIL_BACKEND = os.environ.get("REGISTRY_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("REGISTRY_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("REGISTRY_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("REGISTRY_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("REGISTRY_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("REGISTRY_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("REGISTRY_FROM_EMAIL", "registry@localhost")
#: The site's address as e-mail links name it (reminder digests), e.g. https://registry.example.org
REGISTRY_SITE_URL = os.environ.get("REGISTRY_SITE_URL", "http://127.0.0.1:8000")
#: send_reminders: the same reminder is not sent again within this many days.
REGISTRY_REMINDER_PERIOD_DAYS = int(os.environ.get("REGISTRY_REMINDER_PERIOD_DAYS", "30"))

# Security. Production sets REGISTRY_HTTPS=1 (see README): secure cookies, HSTS, redirect to
# HTTPS. Off by default because `make run` and the test servers speak plain HTTP on loopback.
SECURE_HTTPS = env_bool("REGISTRY_HTTPS", False)
SESSION_COOKIE_SECURE = SECURE_HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS and env_bool("REGISTRY_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("REGISTRY_HSTS_SECONDS", "31536000" if SECURE_HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
# Behind a proxy (REGISTRY_BEHIND_PROXY=1) its headers are trusted: X-Forwarded-Proto, and the
# client address in X-Forwarded-For as the REGISTRY_PROXY_COUNT nearest proxies saw it (default 1).
# Not behind one, X-Forwarded-For is whatever the client made up and is ignored: the rate limits and
# the login lockout count REMOTE_ADDR (registry.security.client_ip).
BEHIND_PROXY = env_bool("REGISTRY_BEHIND_PROXY", False)
PROXY_COUNT = int(os.environ.get("REGISTRY_PROXY_COUNT", "1")) if BEHIND_PROXY else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.RegistrySessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # DRF's parsers, with JSON that answers 400 for documents nested too deeply (api.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.RegistryJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.RegistryPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "api.renderers.SpreadsheetSafeCSVRenderer",
        "api.renderers.SpreadsheetSafeXLSXRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.schema.RegistryAutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.registry_exception_handler",
    # Anonymous clients by address, signed-in ones by account; the API docs and schema count apart
    # (api.throttling.DocsRateThrottle), so a client at its data limit can still read the docs.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("REGISTRY_ANON_RATE", "120/minute"),
        "user": os.environ.get("REGISTRY_USER_RATE", "600/minute"),
        "docs": os.environ.get("REGISTRY_DOCS_RATE", "60/minute"),
    },
    # How many proxies' X-Forwarded-For entries to trust: 0 (use REMOTE_ADDR) unless behind a proxy.
    "NUM_PROXIES": PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Sister-city registry API",
    "DESCRIPTION": (
        "Register of sister-city (twinning) relationships of local authorities, their activity, "
        "city-network memberships and coverage audits in the style of CLAIR's statistics."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files (drf-spectacular-sidecar): the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.untagged_unions_are_any_of",
    ],
    # One name per choice set that several fields share (status / from_status / to_status, …).
    "ENUM_NAME_OVERRIDES": {
        "AgreementStatusEnum": "registry.models.AgreementStatus",
        "ExchangeCategoryEnum": "registry.models.ExchangeCategory",
    },
}

# Password guessing (django-axes, database handler: counted across processes). After
# REGISTRY_LOGIN_FAILURE_LIMIT failed sign-ins for one account, or from one client address, further
# attempts are refused for REGISTRY_LOGIN_COOLOFF_MINUTES, on the admin sign-in and on
# POST /api/auth/token/ alike. Unlock early with `manage.py axes_reset_username <name>` or
# `manage.py axes_reset_ip <address>`.
AXES_FAILURE_LIMIT = int(os.environ.get("REGISTRY_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("REGISTRY_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks out
AXES_CLIENT_IP_CALLABLE = "registry.security.client_ip"
AXES_LOCKOUT_CALLABLE = "registry.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Attempts refused during a lockout are not written down: a guesser hammering a locked account
# costs no database write each (and grows no row); the lockout still runs its full time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Its admin pages are not translated into Japanese; the reset commands above do the same job.
AXES_ENABLE_ADMIN = False

# Logs on standard error, one JSON object a line (REGISTRY_LOG_FORMAT=text for plain lines): a line
# per request from registry.request_log (REGISTRY_REQUEST_LOG=0 turns them off), and every warning
# and error, each with the id of the request it happened in.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "registry.request_log.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "registry.request_log.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "text" if os.environ.get("REGISTRY_LOG_FORMAT") == "text" else "json",
        }
    },
    "loggers": {
        "registry.requests": {"level": "INFO" if env_bool("REGISTRY_REQUEST_LOG", True) else "WARNING"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("REGISTRY_LOG_LEVEL", "WARNING")},
}
