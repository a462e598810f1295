"""One settings module, driven by the environment.

Development (the default) runs with nothing configured: SQLite under var/, a
filesystem Celery broker, and keys generated once under var/. Production
(HIM_ENV=production) refuses to start without its secrets.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

HIM_ENV = env.str("HIM_ENV", default="development")
PRODUCTION = HIM_ENV == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)


def _dev_secret(name: str) -> str:
    """A key generated once for this checkout, so a first run needs no setup.

    Never used in production: there the variable is required.
    """
    VAR_DIR.mkdir(exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


if PRODUCTION:
    # Name every missing secret at once; an empty value counts as missing (an empty
    # TRAIL_KEY would sign the trail with no key at all).
    _missing = [
        name
        for name in ("SECRET_KEY", "TRAIL_KEY", "FIELD_ENCRYPTION_KEY")
        if not env.str(name, default="")
    ]
    if _missing:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"HIM_ENV=production needs {' and '.join(_missing)} in the environment: each a "
            "long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))'). "
            "Keep TRAIL_KEY for the life of the trail: verify_trail needs it."
        )
    SECRET_KEY = env.str("SECRET_KEY")
    TRAIL_KEY = env.str("TRAIL_KEY")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _dev_secret("secret_key")
    TRAIL_KEY = env.str("TRAIL_KEY", default="") or _dev_secret("trail_key")

# Fernet key(s) for identifiers encrypted at rest (SSN); comma-separated, newest
# first. Development generates one under var/.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
if not FIELD_ENCRYPTION_KEY:
    _key_file = VAR_DIR / "field_key"
    if not _key_file.exists():
        VAR_DIR.mkdir(exist_ok=True)
        from cryptography.fernet import Fernet

        _key_file.write_text(Fernet.generate_key().decode())
        _key_file.chmod(0o600)
    FIELD_ENCRYPTION_KEY = _key_file.read_text().strip()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "simple_history",
    "him.apps.HimConfig",
    "records.apps.RecordsConfig",
    "coding.apps.CodingConfig",
    "release_of_info.apps.ReleaseOfInfoConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "him.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "him.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "him.middleware.RequestUserContextMiddleware",
    "him.middleware.NulCharacterMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "him.middleware.SecurityHeadersMiddleware",
    # Axes last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "him.urls"
WSGI_APPLICATION = "him.wsgi.application"

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
                "him.context_processors.navigation",
            ],
        },
    },
]

# Databases ---------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'him.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take SQLite's write lock up front, so two writers
    # queue on the busy timeout instead of failing with "database is locked".
    # WAL lets readers go on while one writer appends (every PHI read appends to
    # the trail); synchronous=NORMAL is WAL's usual durability setting.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "him.User"

# Authentication ------------------------------------------------------------
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
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "him:login"
LOGIN_REDIRECT_URL = "him:home"
LOGOUT_REDIRECT_URL = "him:login"

# Lock a username after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Per username: a hospital's workstations often share one address behind NAT, so
# locking an address would lock out a whole ward. (Hence axes.W006 is silenced.)
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Sessions: a sliding idle timeout and an absolute age, both enforced by
# SessionTimeoutMiddleware from timestamps kept in the session.
SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=15))
SESSION_ABSOLUTE_AGE = timedelta(hours=env.int("SESSION_ABSOLUTE_HOURS", default=12))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_AGE.total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_HTTPONLY = False  # the progress-bar script reads nothing, but forms need it

# Roles whose sessions must be verified with a second factor before any PHI.
OTP_REQUIRED_ROLES = ["HIM manager", "Privacy officer", "System administrator"]
OTP_TOTP_ISSUER = "HIM"

# Transport security in production.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# django-guardian: no anonymous user row; direct foreign-key permission models.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# Internationalisation --------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = False
USE_TZ = True

# Files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
# No MEDIA_URL is served: every stored file is PHI or derived from it and goes
# out only through a view that asks the access policy and writes the trail.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Celery ----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = Path(env.str("BROKER_DIR", default=str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker that needs no server: messages are files under BROKER_DIR.
    BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    (BROKER_DIR / "control").mkdir(exist_ok=True)
else:
    # Redelivery after this long without an ack: longer than any task's hard limit.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True  # state lives on the row a task serves
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-report-runs": {
        "task": "him.tasks.requeue_stale_report_runs",
        "schedule": 60.0,
    },
}
REPORT_TIME_LIMIT_SECONDS = env.int("REPORT_TIME_LIMIT_SECONDS", default=600)

# REST API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call then gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["him.api.permissions.PolicyPermission"],
    "DEFAULT_RENDERER_CLASSES": [
        "drf_orjson_renderer.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "him.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "him.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "him.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HIM API",
    "DESCRIPTION": "Health Information Management: records, coding, release of information, audit.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status"; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "ReportRunStatusEnum": "him.models.reports.ReportRun.Status",
        "DocumentStatusEnum": "records.models.documents.Document.Status",
        "ScanUploadStatusEnum": "records.models.document_intake.ScanUpload.Status",
        "EncounterStatusEnum": "records.models.encounters.Encounter.Status",
        "AmendmentStatusEnum": "records.models.amendments.AmendmentRequest.Status",
        "DeficiencyStatusEnum": "records.models.deficiencies.Deficiency.Status",
        "EncounterCodingStatusEnum": "coding.models.abstracts.EncounterCoding.Status",
        "ROIRequestStatusEnum": "release_of_info.models.requests.ROIRequest.Status",
        "DeliveryMethodEnum": "release_of_info.models.release.Delivery.Method",
    },
}

# Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Records ---------------------------------------------------------------------------------
BREAK_GLASS_HOURS = env.float("BREAK_GLASS_HOURS", default=4)
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=50 * 1024 * 1024)
DELINQUENCY_THRESHOLD = env.float("DELINQUENCY_THRESHOLD", default=50)
# Named in amendment denial letters as the place to complain.
HIM_PRIVACY_CONTACT = {
    key: value
    for key, value in {
        "name": env.str("PRIVACY_CONTACT_NAME", default=""),
        "title": env.str("PRIVACY_CONTACT_TITLE", default=""),
        "phone": env.str("PRIVACY_CONTACT_PHONE", default=""),
        "address": env.str("PRIVACY_CONTACT_ADDRESS", default=""),
    }.items()
    if value
}

# Coding ----------------------------------------------------------------------------------
# CMS's POA exempt codes file (tab-delimited); empty: the list packaged with HIM.
CODING_POA_EXEMPT_FILE = env.str("CODING_POA_EXEMPT_FILE", default="")
# False for hospitals exempt from POA reporting (critical access hospitals...).
CODING_POA_REQUIRED = env.bool("CODING_POA_REQUIRED", default=True)
# Which NCCI/MUE rows the edits apply: "hospital" (OPPS) or "practitioner".
CODING_NCCI_SETTING = env.str("CODING_NCCI_SETTING", default="hospital")
# Largest code-set file the import page and API take; bigger ones: manage.py load_codesets.
HIM_CODESET_UPLOAD_MAX_MB = env.int("HIM_CODESET_UPLOAD_MAX_MB", default=200)

# Release of information ----------------------------------------------------------------
# Right-of-access fee method of a facility without a saved fee policy: cost_based | flat.
ROI_ACCESS_FEE_METHOD = env.str("ROI_ACCESS_FEE_METHOD", default="cost_based")
# Fee of a second accounting of disclosures within 12 months (164.528(c)(2)).
ROI_ACCOUNTING_FEE = env.str("ROI_ACCOUNTING_FEE", default="25.00")

# Write the trail? Only the benchmark turns it off, to measure its cost.
TRAIL_ENABLED = env.bool("TRAIL_ENABLED", default=True)
# Independent chains the trail is split into (see him.models.trail.AccessEvent).
TRAIL_LANES = env.int("TRAIL_LANES", default=16)
