"""Shipshape settings: one module, driven by environment variables.

Defaults are safe for a laptop (SQLite, debug on, local-memory cache). A real
deployment sets DJANGO_DEBUG=false, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS,
DATABASE_URL and optionally REDIS_URL; see README.md and docs/operations.md.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    normalized = value.strip().lower()
    if normalized in {"1", "true", "yes", "on"}:
        return True
    if normalized in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """Comma-separated IP addresses or CIDR networks, each checked at start-up."""
    entries = env_list(name)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {entry!r} is not an IP address or CIDR network "
                "(e.g. 127.0.0.1 or 10.0.0.0/8)."
            ) from None
    return entries


def url_origin(url: str) -> str:
    """scheme://host[:port] of an absolute URL."""
    parts = urlsplit(url)
    if not (parts.scheme and parts.netloc):
        raise ImproperlyConfigured(f"{url!r} is not an absolute URL (https://...).")
    return f"{parts.scheme}://{parts.netloc}"


def is_loopback_host(host: str) -> bool:
    """localhost, *.localhost (RFC 6761) or a loopback address such as 127.0.0.1 or [::1]."""
    host = host.strip().lower().rstrip(".")
    if host in {"localhost", ".localhost"} or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. "
            'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    # Only for local development: a fixed, clearly insecure key.
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
if DEBUG and not all(is_loopback_host(host) for host in ALLOWED_HOSTS):
    # Debug pages show settings, SQL and tracebacks to whoever can reach them.
    exposed = ", ".join(host for host in ALLOWED_HOSTS if not is_loopback_host(host))
    raise ImproperlyConfigured(
        f"DJANGO_DEBUG is on, which shows tracebacks and settings to anyone who can reach "
        f"the app, so DJANGO_ALLOWED_HOSTS may only name loopback hosts (localhost, "
        f"127.0.0.1, [::1]); it also names {exposed}. Set DJANGO_DEBUG=false to serve "
        f"other hosts."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "assessment",
    "surveys",
    "notifications",
    "sso",
    "actions",
    "reports",
    "api",
    "demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "assessment.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "assessment.sessions.PrivilegedIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "assessment.urls"
WSGI_APPLICATION = "assessment.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% url %} with the URLs it reverses kept per process (issue 12).
            "builtins": ["assessment.templatetags.cached_urls"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "assessment.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_POOL", False
):
    # psycopg's connection pool, one per process (docs/operations.md, "Scaling
    # out"): connections are opened ahead, checked when handed out and given
    # back at the end of each request, so a restarted database costs no
    # failed request. Pooling replaces persistent connections.
    from psycopg_pool import ConnectionPool

    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
        "max_size": env_int("DATABASE_POOL_MAX_SIZE", 4),
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
        "check": ConnectionPool.check_connection,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg prepares a statement of assessment.db.prepared_cursor() on its
    # fifth run on a connection (Django's cursors never prepare). Off behind a
    # pooler that cannot carry prepared statements: assessment/db.py.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        5 if env_bool("DATABASE_PREPARED_STATEMENTS", True) else None
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; the timeout makes a
    # concurrent writer wait instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "assessment.cache.PooledClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "shipshape",
            "TIMEOUT": 60 * 60,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "shipshape",
            "TIMEOUT": 60 * 60,
        }
    }
# Sessions live in the database; with a shared cache they are read from it
# first (written to both), saving a database query on every request. Not with
# the per-process local-memory cache: a session ended in one worker would stay
# valid in the others' copies.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- security ------------------------------------------------------------------
# Safe by default when debug is off; each switch can be set explicitly.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from
# clients), set DJANGO_BEHIND_PROXY=true so Django knows the request was HTTPS.
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_AGE", 12 * 60 * 60)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is a commitment for the whole domain that is hard to undo, so it
# is opt-in (DJANGO_HSTS_PRELOAD=true); check --deploy's reminder is silenced.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (Django's built-in middleware). Scripts only from our
# own static files: no inline script anywhere. plotly.js injects <style> elements
# and sets style attributes when it draws, so styles need 'unsafe-inline';
# that permits CSS only, never script.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Reverse proxies whose X-Forwarded-For is believed (IPs or CIDR networks). Empty:
# the client address is the TCP peer, whatever headers a client sends.
# See assessment/addresses.py and docs/operations.md.
TRUSTED_PROXIES = env_networks("DJANGO_TRUSTED_PROXIES")

# Failed logins: at most this many for one username from one address (and five
# times as many from one address for any username) within the window, then that
# pair (or that address) is paused. Counted in the cache: use Redis (REDIS_URL)
# when several gunicorn workers share the load. See assessment/throttle.py.
LOGIN_FAILURE_LIMIT = env_int("SHIPSHAPE_LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = env_int("SHIPSHAPE_LOGIN_LOCKOUT_SECONDS", 15 * 60)
# Password-reset requests: at most this many per e-mail address (five times as
# many per client address) within the window.
PASSWORD_RESET_LIMIT = env_int("SHIPSHAPE_PASSWORD_RESET_LIMIT", 3)
PASSWORD_RESET_WINDOW_SECONDS = env_int("SHIPSHAPE_PASSWORD_RESET_WINDOW_SECONDS", 60 * 60)

# Staff, superusers and facilitators are signed out after this long without a request.
PRIVILEGED_IDLE_SECONDS = env_int("SHIPSHAPE_PRIVILEGED_IDLE_HOURS", 8) * 60 * 60
if PRIVILEGED_IDLE_SECONDS <= 0:
    raise ImproperlyConfigured("SHIPSHAPE_PRIVILEGED_IDLE_HOURS must be at least 1.")

# --- single sign-on (OpenID Connect, sso/; docs/operations.md) --------------------
# Off unless SHIPSHAPE_OIDC_DISCOVERY_URL is set. The library is mozilla-django-oidc;
# its OIDC_* settings are set here from SHIPSHAPE_OIDC_* variables, and the
# provider's endpoints come from its discovery document (sso/provider.py).
SHIPSHAPE_OIDC_DISCOVERY_URL = env_str("SHIPSHAPE_OIDC_DISCOVERY_URL").strip()
SHIPSHAPE_OIDC_ENABLED = bool(SHIPSHAPE_OIDC_DISCOVERY_URL)
SHIPSHAPE_OIDC_PROVIDER_NAME = env_str("SHIPSHAPE_OIDC_PROVIDER_NAME", "single sign-on")
OIDC_RP_CLIENT_ID = env_str("SHIPSHAPE_OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("SHIPSHAPE_OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env_str("SHIPSHAPE_OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env_str("SHIPSHAPE_OIDC_SIGN_ALGO", "RS256")
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the hint for RP-initiated logout
OIDC_TIMEOUT = env_int("SHIPSHAPE_OIDC_TIMEOUT_SECONDS", 10)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
# Roles follow these claim values at every SSO login when the claim is named;
# with no claim name, roles are managed in Shipshape only.
SHIPSHAPE_OIDC_GROUPS_CLAIM = env_str("SHIPSHAPE_OIDC_GROUPS_CLAIM").strip()
SHIPSHAPE_OIDC_MANAGER_VALUES = env_list("SHIPSHAPE_OIDC_MANAGER_VALUES")
SHIPSHAPE_OIDC_FACILITATOR_VALUES = env_list("SHIPSHAPE_OIDC_FACILITATOR_VALUES")
# Team memberships follow this claim (a list of team slugs) when it is named.
SHIPSHAPE_OIDC_TEAMS_CLAIM = env_str("SHIPSHAPE_OIDC_TEAMS_CLAIM").strip()
# E-mail domains allowed to log in with SSO; empty: any domain the provider vouches for.
SHIPSHAPE_OIDC_ALLOWED_DOMAINS = [d.lower() for d in env_list("SHIPSHAPE_OIDC_ALLOWED_DOMAINS")]
# Entra ID sends no email_verified claim: set false there, with allowed domains.
SHIPSHAPE_OIDC_REQUIRE_VERIFIED_EMAIL = env_bool("SHIPSHAPE_OIDC_REQUIRE_VERIFIED_EMAIL", True)
# With password login off, only superusers may still log in with a password
# (the break-glass account, /accounts/login/?break-glass).
SHIPSHAPE_PASSWORD_LOGIN = env_bool("SHIPSHAPE_PASSWORD_LOGIN", True)
if SHIPSHAPE_OIDC_ENABLED and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise ImproperlyConfigured(
        "SHIPSHAPE_OIDC_DISCOVERY_URL is set, so SHIPSHAPE_OIDC_CLIENT_ID and "
        "SHIPSHAPE_OIDC_CLIENT_SECRET must be set too."
    )
if not SHIPSHAPE_PASSWORD_LOGIN and not SHIPSHAPE_OIDC_ENABLED:
    raise ImproperlyConfigured(
        "SHIPSHAPE_PASSWORD_LOGIN=false needs single sign-on: set SHIPSHAPE_OIDC_DISCOVERY_URL."
    )
if SHIPSHAPE_OIDC_ENABLED:
    # Logging out after an SSO login is a form post that the server redirects to
    # the provider's logout page (RP-initiated logout); CSP's form-action covers
    # that redirect, so the provider's origin must be allowed.
    SECURE_CSP["form-action"] = [CSP.SELF, url_origin(SHIPSHAPE_OIDC_DISCOVERY_URL)]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Does nothing unless called by the SSO callback (sso/views.py).
    "sso.backends.OIDCBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.js comes from the plotly package (no CDN, no copy in git).
    "reports.staticfiles.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "assessment.storage.StaticFilesStorage"
        )
    },
}

# Email (set-password links, password resets). Without DJANGO_EMAIL_HOST mail is
# printed to the console, which is what a laptop or a demo wants.
_email_host = env_str("DJANGO_EMAIL_HOST")
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("DJANGO_EMAIL_PORT", 587),
                "username": env_str("DJANGO_EMAIL_USER") or None,
                "password": env_str("DJANGO_EMAIL_PASSWORD") or None,
                "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", True),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "shipshape@localhost")

# Background tasks (Django's django.tasks) are stored in the database by
# django-tasks-db and run by `manage.py db_worker` (make run and make serve start
# one; docs/operations.md). Enqueueing is a row written in the caller's
# transaction, so a task commits with the change that asked for it.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# Links in emails and chat notices point here (no request to take the host from).
SHIPSHAPE_BASE_URL = env_str("SHIPSHAPE_BASE_URL", "http://127.0.0.1:8000")
# A chat server gets this long to answer a webhook before the try counts as failed.
SHIPSHAPE_WEBHOOK_TIMEOUT = env_int("SHIPSHAPE_WEBHOOK_TIMEOUT", 5)
# Chat webhooks to loopback, private or link-local addresses are refused unless
# this is on (an in-house chat server); see notifications/webhooks.py.
SHIPSHAPE_WEBHOOK_ALLOW_PRIVATE = env_bool("SHIPSHAPE_WEBHOOK_ALLOW_PRIVATE", False)
# A failed email or chat message is tried again after this many seconds, then
# 4x, 16x, ... as long, SHIPSHAPE_NOTIFY_MAX_ATTEMPTS tries in all.
SHIPSHAPE_NOTIFY_RETRY_SECONDS = env_int("SHIPSHAPE_NOTIFY_RETRY_SECONDS", 60)
SHIPSHAPE_NOTIFY_MAX_ATTEMPTS = env_int("SHIPSHAPE_NOTIFY_MAX_ATTEMPTS", 5)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- the REST API (api/, docs/api.md) ------------------------------------------------
# Requests per token (or signed-in user, or client address without either) and
# period; counted in the cache, so REDIS_URL makes the limit hold across workers.
API_THROTTLE_RATE = env_str("SHIPSHAPE_API_THROTTLE_RATE", "600/minute")
API_ANON_THROTTLE_RATE = env_str("SHIPSHAPE_API_ANON_THROTTLE_RATE", "60/minute")
# The longest a personal access token may live, in days.
API_TOKEN_MAX_DAYS = env_int("SHIPSHAPE_API_TOKEN_MAX_DAYS", 365)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials gets 401 with
        # "WWW-Authenticate: Bearer" rather than 403.
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": API_THROTTLE_RATE, "api-anonymous": API_ANON_THROTTLE_RATE},
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shipshape API",
    "DESCRIPTION": (
        "Read a round's results, participation and questionnaires; facilitators create "
        "rounds and teams and import members. The same privacy rules as the pages: "
        "results appear when a round closes, and figures of fewer than k people are "
        "withheld for everyone. Authenticate with a personal access token from your "
        "profile page: `Authorization: Bearer shp_...`. Errors are RFC 9457 problem "
        "details. See docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files (no CDN; the CSP holds). No ReDoc page:
    # ReDoc always loads its logo from cdn.redoc.ly, which the CSP refuses.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from the public validator (no request leaves the site).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RoundStatusEnum": ["upcoming", "open", "closed"],
        "ActionStatusEnum": "actions.models.Action.Status",
    },
}

# Which year's published DORA performance clusters classify teams (2022, 2023, 2024).
SHIPSHAPE_DORA_YEAR = env_int("SHIPSHAPE_DORA_YEAR", 2024)

# The smallest group whose results are ever shown (k), for every viewer. A round
# may ask for more, never less; 3 is the floor the database also enforces
# (docs/privacy.md explains why).
SHIPSHAPE_MIN_K_FLOOR = 3
SHIPSHAPE_MIN_K = env_int("SHIPSHAPE_MIN_K", SHIPSHAPE_MIN_K_FLOOR)
if SHIPSHAPE_MIN_K < SHIPSHAPE_MIN_K_FLOOR:
    raise ImproperlyConfigured(
        f"SHIPSHAPE_MIN_K must be at least {SHIPSHAPE_MIN_K_FLOOR}, not {SHIPSHAPE_MIN_K}: "
        "smaller groups would let people work out who answered what."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}
