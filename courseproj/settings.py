"""Settings for courseproj. Every value comes from the environment (see docs/configuration.md).

With no variables set, the service runs embedded: SQLite and Kombu's filesystem broker
under var/, uploads under var/data, e-mail printed to the console.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from courseproj.lib.env import env_bool, env_int, env_list, env_str
from courseproj.lib.sandbox_paths import default_runtime_dir

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("COURSEPROJ_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "accounts",
    "courses",
    "teams",
    "proposals",
    "labeling",
    "grading",
    "courseproj.lib.pagecache",  # no models: the page cache's version table and triggers
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the flag a refused log-in leaves on the request (docs/security.md).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "courseproj.urls"
WSGI_APPLICATION = "courseproj.wsgi.application"

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
                "courses.context_processors.courses_nav",
                "csp.context_processors.nonce",
            ],
            # {% url %} with its answers remembered per process (courseproj/lib/cachedurl.py).
            "builtins": ["courseproj.lib.cachedurl"],
        },
    },
]

# Database: DATABASE_URL (postgres://user@host:5432/name), else SQLite under var/.
_sqlite_path = VAR_DIR / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{_sqlite_path}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server and the Celery worker read while one writes;
        # IMMEDIATE takes the write lock up front so select_for_update-style code never deadlocks.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file, not :memory:, so a real Celery worker in the tests sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The page cache (courseproj/lib/pagecache/): exact, versioned by the database, so each
# process may keep its own copy. CACHE_URL: empty for local memory, redis://host:6379/1 to
# share one between the web processes, dummy:// for none.
CACHE_URL = env_str("CACHE_URL")
if not CACHE_URL:
    _cache = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "courseproj",
        # About six entries per student (their team, quota, submissions, rank, board row): a class of
        # 200 needs some 1,200 (docs/performance.md, "Pages under load").
        "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 5000)},
    }
elif CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    _cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
elif CACHE_URL == "dummy://":
    _cache = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
else:
    raise ImproperlyConfigured(f"CACHE_URL must be empty, redis://… or dummy://, got {CACHE_URL!r}")
CACHES = {"default": _cache}

# Join-code counters (pages and API) must be shared by every web process:
# THROTTLE_CACHE_URL (redis://…), else CACHE_URL when it is Redis, else a table in the database
# (`manage.py createcachetable`). Log-in failures are rows of django-axes in the database.
THROTTLE_CACHE_URL = env_str("THROTTLE_CACHE_URL") or (CACHE_URL if CACHE_URL.startswith(("redis", "unix")) else "")
if THROTTLE_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES["throttle"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": THROTTLE_CACHE_URL}
elif not THROTTLE_CACHE_URL:
    CACHES["throttle"] = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "courseproj_throttle"}
else:
    raise ImproperlyConfigured(f"THROTTLE_CACHE_URL must be empty or redis://…, got {THROTTLE_CACHE_URL!r}")
RATELIMIT_USE_CACHE = "throttle"
# (The database table's increment is a read then a write: a parallel burst may slip a few extra
# tries; Redis's is atomic. docs/decisions.md)
# Proxies in front of gunicorn that append to X-Forwarded-For (0: the client is REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Sessions (docs/decisions.md): signed cookies by default, so no request reads the database for its
# session. SESSION_STORE=cached_db keeps them on the server (a logout then ends every copy of the
# cookie) and needs CACHE_URL=redis://…: with a cache per process, another process would keep a
# session a logout ended. SESSION_STORE=db: the database alone.
SESSION_STORE = env_str("SESSION_STORE", "cookies")
if SESSION_STORE == "cached_db" and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("SESSION_STORE=cached_db needs a cache shared by the web processes: CACHE_URL=redis://…")
_session_engines = {"cookies": "signed_cookies", "cached_db": "cached_db", "db": "db"}
if SESSION_STORE not in _session_engines:
    raise ImproperlyConfigured(f"SESSION_STORE must be cookies, cached_db or db, got {SESSION_STORE!r}")
SESSION_ENGINE = f"django.contrib.sessions.backends.{_session_engines[SESSION_STORE]}"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.EmailOrUsernameBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads, challenge inputs and hidden gold. Never served directly: views stream what a user may see.
DATA_DIR = Path(env_str("COURSEPROJ_DATA_DIR", str(VAR_DIR / "data")))
MEDIA_ROOT = DATA_DIR
MEDIA_URL = None
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 50 * 1024 * 1024)

# The labeling challenge's scorer (see labeling/sandbox/cold.py and docs/sandbox.md).
# A Python runtime holding only numpy, pandas, scipy and scikit-learn, built by
# scripts/build_sandbox_runtime.sh; submitted code runs with it inside bubblewrap.
SANDBOX_UID = env_int("SANDBOX_UID", 65534)  # the unprivileged uid code runs as when the worker is root
# Default: .sandbox-runtime/ in the checkout, or a folder under /var/lib/courseproj when the
# checkout is closed to SANDBOX_UID (courseproj/lib/sandbox_paths.py; the build script agrees).
SANDBOX_RUNTIME_DIR = Path(env_str("SANDBOX_RUNTIME_DIR") or str(default_runtime_dir(BASE_DIR, SANDBOX_UID)))
SCORING_HEARTBEAT_SECONDS = env_int("SCORING_HEARTBEAT_SECONDS", 10)
SCORING_STALE_SECONDS = env_int("SCORING_STALE_SECONDS", 120)  # running with no heartbeat this long: requeue
SCORING_QUEUE_TIMEOUT_SECONDS = env_int("SCORING_QUEUE_TIMEOUT_SECONDS", 300)  # queued and never picked up
SCORING_MAX_ATTEMPTS = env_int("SCORING_MAX_ATTEMPTS", 3)
# The fair queue (labeling/queue.py): a participant's claims this recent count against their turn.
SCORING_FAIR_WINDOW_SECONDS = env_int("SCORING_FAIR_WINDOW_SECONDS", 3600)

# E-mail: console unless EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "courseproj <noreply@courseproj.local>")

# Celery: CELERY_BROKER_URL (redis://127.0.0.1:6379/0), else Kombu's filesystem transport.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = Path(env_str("CELERY_BROKER_DIR", str(VAR_DIR / "broker")))
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_IGNORE_RESULT = True
# The queue jobs are sent to (workers consume it); one per deployment sharing a broker.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE") or "celery"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Each app adds its periodic jobs here (teams: deadline locking, proposals: reminders,
# labeling: the sweeper, grading: evaluation reminders).
CELERY_BEAT_SCHEDULE: dict = {
    "worker-heartbeat": {"task": "courses.tasks.record_heartbeat", "schedule": 60.0},
    "lock-teams-at-deadline": {"task": "teams.tasks.lock_teams_past_deadline", "schedule": 300.0},
    "weekly-update-reminders": {"task": "proposals.tasks.send_update_reminders", "schedule": 900.0},
    "sweep-submissions": {"task": "labeling.tasks.sweep_submissions", "schedule": 30.0},
    "peer-evaluation-reminders": {"task": "grading.tasks.send_evaluation_reminders", "schedule": 900.0},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A service's ValidationError → 400, in the body its app answers with (courseproj/lib/api_errors.py).
    "EXCEPTION_HANDLER": "courseproj.lib.api_errors.exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT or None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "courseproj API",
    "DESCRIPTION": "Teams, proposals, weekly updates and the labeling challenge of a project course.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served by the app itself: the service works offline, with no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Brute-force limits (docs/security.md). Log-ins (the form, the API token, the admin): django-axes
# counts failures per account and per address in the database; at the limit that account or
# address is refused until LOGIN_LOCKOUT_MINUTES after its last failure.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
AXES_VERBOSE = False  # no banner on every manage.py command (the lockouts are still logged)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # in this order: accounts.lockout reads them so
AXES_HANDLER = "accounts.lockout.AccountAndAddressHandler"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_name"
AXES_CLIENT_IP_CALLABLE = "courseproj.lib.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the end shown to the person stays true
AXES_DISABLE_ACCESS_LOG = True
# Wrong join codes (the join page, sign-up, the API): per account and per address in a window.
JOIN_CODE_FAILURE_LIMIT = env_int("JOIN_CODE_FAILURE_LIMIT", 5)
JOIN_CODE_ADDRESS_FAILURE_LIMIT = env_int("JOIN_CODE_ADDRESS_FAILURE_LIMIT", 20)
JOIN_CODE_WINDOW_SECONDS = 60 * env_int("JOIN_CODE_WINDOW_MINUTES", 15)

# Content-Security-Policy: only this site's own files, no inline code but a script with this
# response's nonce, no eval (htmx runs with allowEval off), no framing, forms post here only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Permissions-Policy: every powerful feature the site never uses, denied to it and to any frame
# (only features Chromium knows: an unknown one is an error in its console, which the e2e tests read).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Production hardening, on whenever DEBUG is off (python manage.py check --deploy passes).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
