"""Exolog settings: one file, read from the environment (see .env.example)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from clinic.formats.en import formats as _clinic_formats

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    """Read a yes/no variable; anything unrecognised is an error, not a silent False."""
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no, not {value!r}.")


def envint(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG", False)

# A key that may only ever be used on a developer's machine.
DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (refused without DEBUG)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=true on a development machine."
        )
    SECRET_KEY = DEV_SECRET_KEY
elif SECRET_KEY == DEV_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is the development key; set a real secret.")
elif not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "clinic",
    "treatments",
    "faq",
]

MIDDLEWARE = [
    # Outermost: its headers go on every response, the static files' and the health checks' too.
    "clinic.middleware.SecurityHeadersMiddleware",
    # /healthz and /readyz for a load balancer: before the host check, the HTTPS redirect and the
    # session (clinic/health.py).
    "clinic.health.HealthCheckMiddleware",
    # Before the HTTPS redirect: a TLS proxy in front of an app that trusts none is named in the log.
    "clinic.middleware.UntrustedProxyWarningMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before the login check, so that an expired session gets its own message and return path.
    "clinic.middleware.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "clinic.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "clinic.middleware.NoStoreMiddleware",
    # Last, as django-axes requires: it turns a lockout flagged during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.roles",
            ],
        },
    },
]

# SQLite is the embedded default; production sets DATABASE_URL to PostgreSQL.
# An empty DATABASE_URL counts as unset (dj-database-url would return an empty config).
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    # Persistent connections: each worker keeps its connection this many seconds instead of opening
    # one per request (0 closes it after every request), and checks it before reusing it, so a
    # restarted database costs one failed check, not an error page.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # No JIT compilation: it pays off on long analytical queries, but it is planned on the
        # estimated cost, and the reports' aggregates over a year of a chain's treatments spent
        # 0.4 to 0.7 s compiling queries that run in less (EXPLAIN ANALYZE at 100k patients).
        # A DATABASE_URL's own ?options= comes first; this is added to it.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Axes first: it refuses a locked-out username+address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend with roles and permissions read in one query.
    "clinic.backends.RoleBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# One date format and one date-time format on every page, history and admin list ("21 Nov 2026",
# "21 Nov 2026, 14:05"). Django always localizes (no USE_L10N since 5.0), so a locale's own formats
# win over these settings: the project's format module for English carries the same values, and
# the settings below are read from it so that both say the same.
FORMAT_MODULE_PATH = ["clinic.formats"]
DATE_FORMAT = _clinic_formats.DATE_FORMAT
SHORT_DATE_FORMAT = _clinic_formats.SHORT_DATE_FORMAT
DATETIME_FORMAT = _clinic_formats.DATETIME_FORMAT
SHORT_DATETIME_FORMAT = _clinic_formats.SHORT_DATETIME_FORMAT
TIME_FORMAT = _clinic_formats.TIME_FORMAT
DATE_INPUT_FORMATS = _clinic_formats.DATE_INPUT_FORMATS
DATETIME_INPUT_FORMATS = _clinic_formats.DATETIME_INPUT_FORMATS
FIRST_DAY_OF_WEEK = _clinic_formats.FIRST_DAY_OF_WEEK

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Third-party assets come from npm (package.json) at install time, never from a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# A change reason (why a record was voided, amended, rescheduled) is kept whole in the audit
# history: a text column, never cut at simple-history's default of 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: console by default; SMTP when EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "exolog@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("EMAIL_HOST", "").strip():
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"].strip(),
                "port": envint("EMAIL_PORT", 587, minimum=1),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": envbool("EMAIL_USE_TLS", True),
                "timeout": 20,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# Background work (daily reminder digests) goes through Django's tasks framework into a database
# queue; `manage.py db_worker` runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Absolute links in mail (sent outside any request). Pages and calendar feeds build theirs from
# the request's own (allowed) host. Production has no default: `check --deploy` fails without it
# (exolog.E002, clinic/checks.py) and no digest is sent with a link to nowhere. A development
# machine (DEBUG) links to runserver.
EXOLOG_BASE_URL = (
    os.environ.get("EXOLOG_BASE_URL", "").strip() or ("http://127.0.0.1:8000" if DEBUG else "")
).rstrip("/")

# The key of the research export's pseudonyms (treatments/research.py: HMAC-SHA256 of a record's
# primary key). Its own secret, never SECRET_KEY (rotating that must not change the codes, and the
# codes must not help anyone forge a session): the same key keeps the codes stable across exports.
# Production has no default: `check --deploy` fails without one (exolog.E003, clinic/checks.py) and
# the export is refused. A development machine (DEBUG) uses a fixed development key.
DEV_RESEARCH_KEY = "dev-only-research-key-never-use-in-production"  # noqa: S105 (refused without DEBUG)
EXOLOG_RESEARCH_KEY = os.environ.get("EXOLOG_RESEARCH_KEY", "").strip() or (DEV_RESEARCH_KEY if DEBUG else "")

# Security. Production runs behind a TLS-terminating reverse proxy (docs/DEPLOYMENT.md), which
# overwrites X-Forwarded-For and X-Forwarded-Proto. How many proxies stand in front of gunicorn: with
# 0 (the default) the app believes neither header, as any client could send them; with 1 or more it
# reads the client's address from X-Forwarded-For (clinic/lockout.py) and HTTPS from
# X-Forwarded-Proto.
EXOLOG_TRUSTED_PROXIES = envint("EXOLOG_TRUSTED_PROXIES", 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if EXOLOG_TRUSTED_PROXIES else None
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = envbool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# The refusal page in the app's layout, with the clinic's phone (templates/403_csrf.html).
CSRF_FAILURE_VIEW = "clinic.views.csrf_failure"

# Automatic logoff (clinic.middleware.SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = timedelta(minutes=envint("EXOLOG_SESSION_IDLE_MINUTES", 30, minimum=1))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=envint("EXOLOG_SESSION_ABSOLUTE_HOURS", 12, minimum=1))
# A backstop only: the middleware ends sessions first, with a message; the margin keeps Django from
# expiring a session silently before the middleware can say why.
SESSION_COOKIE_AGE = int((SESSION_ABSOLUTE_TIMEOUT + SESSION_IDLE_TIMEOUT).total_seconds())

# Lockout (django-axes): 5 failures for one username from one address lock that pair only, so a
# typo-prone colleague or an attacker guessing one account never locks anyone else out.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=envint("EXOLOG_LOCKOUT_MINUTES", 30, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Log lines name a keyed hash of the username, never the typed text (people type passwords and
# patient names into the wrong field).
AXES_CLIENT_STR_CALLABLE = "clinic.lockout.client_str"
# Behind the reverse proxy REMOTE_ADDR is the proxy; the client is read from X-Forwarded-For
# (only with EXOLOG_TRUSTED_PROXIES, above).
AXES_CLIENT_IP_CALLABLE = "clinic.lockout.client_ip"

# Second factor (django-otp TOTP plus one-time recovery codes) for physicians, clinic admins and
# superusers; see clinic.middleware.SecondFactorMiddleware.
OTP_TOTP_ISSUER = "Exolog"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Lets the demo accounts in without a phone. Development only: refused below without DEBUG.
EXOLOG_DEMO_SKIP_SECOND_FACTOR = envbool("EXOLOG_DEMO_SKIP_SECOND_FACTOR", False)
if EXOLOG_DEMO_SKIP_SECOND_FACTOR and not DEBUG:
    raise ImproperlyConfigured(
        "EXOLOG_DEMO_SKIP_SECOND_FACTOR is for the demo only and needs DJANGO_DEBUG=true; "
        "production requires the second factor."
    )
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # Calendar-feed URLs carry a secret token; request logs (404s, runserver) must not show it.
        "redact_secrets": {"()": "clinic.log_filters.RedactSecretURLs"},
        # A 404 or CSRF line names the URL pattern, not the typed path (which may hold a name).
        "route_not_path": {"()": "clinic.log_filters.RouteNotPathFilter"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default also mails errors to ADMINS with the request's POST data, which may be
        # a patient's details: everything goes to the console handler only.
        "django": {"handlers": [], "level": "INFO"},
        "django.request": {"filters": ["route_not_path", "redact_secrets"]},
        # A logger's filters see only the records logged on it, not those its children pass up:
        # the CSRF refusal ("Forbidden (...): /path/") is logged on django.security.csrf.
        "django.security": {"filters": ["route_not_path"]},
        "django.security.csrf": {"filters": ["route_not_path"]},
        "django.server": {"handlers": ["console"], "filters": ["redact_secrets"], "propagate": False},
        # WeasyPrint reports every rendering step at INFO; only its warnings belong in the log.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The clinic's contact details, printed on patient documents (the aftercare sheet). CLINIC_PHONE is
# required in production: `check --deploy` fails without it (clinic/checks.py), and without DEBUG the
# aftercare sheet is refused rather than printed with no number to call.
CLINIC_NAME = os.environ.get("CLINIC_NAME", "Exosome clinic").strip()
CLINIC_PHONE = os.environ.get("CLINIC_PHONE", "").strip()
EMERGENCY_NUMBER = os.environ.get("EMERGENCY_NUMBER", "112").strip()
