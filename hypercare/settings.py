"""Settings for Hypercare, read from the environment.

Defaults are safe for production (DEBUG off, secure cookies, a SECRET_KEY required);
`make run` and the test suite opt into the embedded development set-up:
SQLite and Celery's filesystem broker, so no service is needed.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HYPERCARE_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# pytest (8.2+) sets PYTEST_VERSION for the whole run.
TESTING = "PYTEST_VERSION" in os.environ
DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY is required when DJANGO_DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public address links in e-mails, webhooks and the exit report point to, e.g.
# https://hypercare.example.com. Unset: the address the app is served on (hypercare.site).
SITE_URL = env("SITE_URL", "")
BENCHMARK_CEILING = env_bool("HYPERCARE_BENCH_CEILING", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "axes",
    "hypercare",
    "sla",
    "tickets",
    "triage",
    "metrics",
    "handover",
    "releases",
    "intake",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hypercare.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "hypercare.site.SiteAddressMiddleware",
    # Last, as django-axes asks: it turns a lockout into a 429 response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "hypercare.auth.ThrottledLoginBackend",
    "hypercare.auth.ModelBackend",
    # Single sign-on (hypercare.oidc): answers only the /oidc/callback/ view, and only when configured.
    "hypercare.oidc.Backend",
]
# Password login: "on" for everyone (the default), or "staff-only" once single sign-on is set up.
HYPERCARE_PASSWORD_LOGIN = env("HYPERCARE_PASSWORD_LOGIN", "on")
if HYPERCARE_PASSWORD_LOGIN not in {"on", "staff-only"}:
    raise ImproperlyConfigured(
        f"HYPERCARE_PASSWORD_LOGIN must be on or staff-only, not {HYPERCARE_PASSWORD_LOGIN!r}"
    )

# Single sign-on with OpenID Connect (mozilla-django-oidc). Off without a client id and an issuer
# (or explicit endpoints). The endpoints are discovered from the issuer's
# /.well-known/openid-configuration on first use unless set explicitly.
OIDC_ISSUER = env("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT")
OIDC_OP_LOGOUT_ENDPOINT = env("OIDC_OP_LOGOUT_ENDPOINT")
if (OIDC_ISSUER or OIDC_OP_AUTHORIZATION_ENDPOINT) and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET.")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", "openid email profile")
# The claim that says the provider has verified the e-mail (Entra ID: xms_edov).
OIDC_EMAIL_VERIFIED_CLAIM = env("OIDC_EMAIL_VERIFIED_CLAIM", "email_verified")
# Logging out of Hypercare also ends the provider's session, when it has an end_session_endpoint.
OIDC_END_PROVIDER_SESSION = env_bool("OIDC_END_PROVIDER_SESSION", True)
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10)
# The client secret goes in the token request's body (client_secret_post) unless this is on (client_secret_basic).
OIDC_TOKEN_USE_BASIC_AUTH = env_bool("OIDC_TOKEN_USE_BASIC_AUTH", False)
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider logout
OIDC_AUTHENTICATE_CLASS = "hypercare.oidc.AuthenticateView"
OIDC_CALLBACK_CLASS = "hypercare.oidc.CallbackView"
if HYPERCARE_PASSWORD_LOGIN == "staff-only" and not (OIDC_ISSUER or OIDC_OP_AUTHORIZATION_ENDPOINT):
    raise ImproperlyConfigured("HYPERCARE_PASSWORD_LOGIN=staff-only needs single sign-on (OIDC_ISSUER).")
# Login throttling (django-axes): 5 failures lock a username, and separately an IP address,
# for 15 minutes. Unknown usernames get exactly the same answers as known ones.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "hypercare.auth.lockout_response"  # JSON under /api/
AXES_VERBOSE = False

ROOT_URLCONF = "hypercare.urls"
WSGI_APPLICATION = "hypercare.wsgi.application"
ASGI_APPLICATION = "hypercare.asgi.application"

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
                "hypercare.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The web process, the worker and beat share one file: WAL and immediate transactions avoid lock errors.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast when PostgreSQL is down instead of hanging a request.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 3)
    # No JIT: compiling a plan took about 1 s on aggregate queries over a million tickets,
    # far more than running them; the web requests' short queries never gain from it.
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
# Caches. Without CACHE_URL each process keeps its own (the embedded default: nothing to run).
# With CACHE_URL (redis://host:6379/1) the cache is shared by every worker, and sessions are
# read from it, falling back to the database (cached_db): a request no longer waits on a
# session query. Sessions stay in the database without a shared cache, or a logout in one
# worker would not reach another's copy. The "local" cache is per process on purpose: the
# programme navigation fragment it holds is cheaper to rebuild than to fetch over the network.
CACHE_URL = env("CACHE_URL")
CACHES = {
    "default": (
        # Tolerant of a Redis outage: sessions fall back to the database, aggregates are recomputed.
        {"BACKEND": "hypercare.cache.TolerantRedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "hc"}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"}
    ),
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"},
    # Figures a worker reports to the web while it runs (an import's progress): the shared cache
    # when there is one, else files under VAR_DIR, which the web and the worker of one machine share.
    "progress": (
        {"BACKEND": "hypercare.cache.TolerantRedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "hc"}
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "progress"),
        }
    ),
}
if CACHE_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Dashboard aggregates over every ticket are recomputed at most this often (hypercare.aggregates);
# off under the test suite, where a page must show what the test just wrote.
# API tokens stop working this many days after they were issued (0: no lifetime); logging in again issues a new one.
HYPERCARE_API_TOKEN_DAYS = env_int("HYPERCARE_API_TOKEN_DAYS", 0)
HYPERCARE_AGGREGATE_CACHE_SECONDS = env_int("HYPERCARE_AGGREGATE_CACHE_SECONDS", 0 if TESTING else 60)
# How long a lead's invitation to join a programme stays open.
HYPERCARE_INVITATION_DAYS = env_int("HYPERCARE_INVITATION_DAYS", 7)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "hypercare:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: uploads go through access-checked views

# Email: console by default, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Hypercare <hypercare@localhost>")
# E-mail intake: the key that encrypts mailbox passwords at rest (a Fernet key; derived from
# SECRET_KEY when unset).
INTAKE_ENCRYPTION_KEY = env("INTAKE_ENCRYPTION_KEY")
# War-room chat (intake.chat): Slack's signing secret for /integrations/slack/; how long a chat
# user's one-time link to their account lasts; whether the Slack answer may go to a response_url
# outside slack.com (local test servers only).
SLACK_SIGNING_SECRET = env("SLACK_SIGNING_SECRET")
CHAT_LINK_MAX_AGE_SECONDS = env_int("CHAT_LINK_MAX_AGE_SECONDS", 30 * 60)
SLACK_RESPONSE_URL_ANY_HOST = env_bool("SLACK_RESPONSE_URL_ANY_HOST", DEBUG or TESTING)

# Security. Plain-HTTP set-ups (make run, tests, a local docker-compose) opt out explicitly.
INSECURE_HTTP = env_bool("DJANGO_INSECURE_HTTP", DEBUG or TESTING)
SESSION_COOKIE_SECURE = not INSECURE_HTTP
CSRF_COOKIE_SECURE = not INSECURE_HTTP
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not INSECURE_HTTP)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if INSECURE_HTTP else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not INSECURE_HTTP
SECURE_HSTS_PRELOAD = not INSECURE_HTTP
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: the token rides on <body hx-headers> and in forms.
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call gets 401 with a WWW-Authenticate header.
        "hypercare.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "hypercare.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "hypercare.drf.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hypercare API",
    "DESCRIPTION": "Programmes, members, tickets, SLA clocks, metrics and the exit gate of a hypercare programme.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hypercare.drf.document_refusals",
        "intake.schema.document_chat_endpoints",
        "hypercare.drf.document_sso",
    ],
    # Several models have a "status": give each enum a stable, meaningful name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "hypercare.vocabulary.Status",
        "KnownIssueStatusEnum": "tickets.models.KnownIssueStatus",
        "ProgrammeStatusEnum": "hypercare.models.ProgrammeStatus",
        "ReleaseStatusEnum": "releases.models.ReleaseStatus",
        "WebhookFormatEnum": "releases.models.WebhookFormat",
        "ProductionChangeStatusEnum": "releases.models.ChangeStatus",
        "CriterionStatusEnum": "handover.models.CriterionStatus",
        "HandoverItemStatusEnum": "handover.models.ItemStatus",
        "RagStatusEnum": "metrics.kpis.Rag",
        "HandoverItemKindEnum": "handover.models.ItemKind",
        "CriterionKindEnum": "handover.models.CriterionKind",
        "RunbookStatusEnum": "handover.models.RunbookStatus",
        "KtPhaseEnum": "handover.models.PhaseKind",
        "StatusReportKindEnum": "releases.models.ReportKind",
        "StatusReportStateEnum": "releases.models.ReportState",
    },
}

# Celery: the filesystem broker needs no service; CELERY_BROKER_URL=redis://… scales out.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        # Sending a task to a broker that is down fails at once instead of after a 2 s pause
        # (kombu's default reconnect interval): a request that kicks a task stays fast.
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
)
# A request that sends a task must answer promptly even with the broker down: no publish
# retries. Nothing is lost by it: work is recorded in the database first (outbox rows)
# and beat-driven tasks pick it up once the broker is back.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
# A request must never hang on a broker that is down.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"hypercare.audit": {"level": "INFO"}},
}
