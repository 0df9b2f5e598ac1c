"""
Boardsite settings, read from the environment (and an optional `.env` file).

The defaults run with nothing installed: a SQLite file and the in-memory
channel layer. `DATABASE_URL` switches to PostgreSQL and `REDIS_URL` to
channels-redis; `.env.example` documents the production values.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from boardsite.channel_layers import channel_layers_config
from boardsite.secret_key import DEVELOPMENT_KEY

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# The fallback is for `make run` and tests: with DEBUG off a server refuses it (boardsite.secret_key).
SECRET_KEY = env.str("SECRET_KEY", default="") or DEVELOPMENT_KEY
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "boardsite",
    "whiteboard",
    "kanban",
]

MIDDLEWARE = [
    # /healthz answers a per-process probe whatever its Host header and scheme (boardsite.middleware).
    "boardsite.middleware.health_probe_middleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response that sets none itself (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A path, query string or form field holding what boardsite.collab.text refuses gets 400 (boardsite.text_middleware).
    "boardsite.text_middleware.text_input_middleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a login refused for a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "boardsite.urls"
TEST_RUNNER = "boardsite.test_runner.BoardsiteTestRunner"
ASGI_APPLICATION = "boardsite.asgi.application"

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
                "boardsite.context_processors.site",
                "kanban.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the live-server browser tests share it with a daphne process.
    DATABASES["default"]["TEST"].setdefault("NAME", env.str("SQLITE_TEST_NAME", default=str(BASE_DIR / "test-db.sqlite3")))
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    # Django's default test database name, written out: the browser tests' live server
    # (ChannelsLiveServerTestCase) would otherwise prefix "test_" a second time (channels #2176).
    DATABASES["default"]["TEST"].setdefault("NAME", f"test_{DATABASES['default']['NAME']}")
# Keep connections open: websocket commands run in one database thread per
# process, and reconnecting for each of them cost more than the query.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
CHANNEL_LAYERS = channel_layers_config(
    redis_url=REDIS_URL,
    capacity=env.int("CHANNEL_LAYER_CAPACITY", default=1000),
    expiry=env.int("CHANNEL_LAYER_EXPIRY", default=30),
)

# Django's cache holds the throttles' counters (boardsite.throttling): in Redis when
# REDIS_URL is set, so that every server process counts the same attempts; in each process's
# memory otherwise, which is enough for the one process that runs without Redis. The
# whiteboard's SVG exports (whiteboard.exports) have a cache of their own, so that large
# drawings never push the counters out; in memory it keeps the last few.
if REDIS_URL:
    CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
            # A Redis that does not answer fails a request in a second, not after minutes.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        for alias, prefix in (("default", "boardsite"), ("exports", "boardsite-exports"))
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "exports": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "exports",
            "OPTIONS": {"MAX_ENTRIES": 20},
        },
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SIGNUP_ENABLED = env.bool("SIGNUP_ENABLED", default=True)


def at_least_one(name, default):
    value = env.int(name, default=default)
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least 1, got {value}")
    return value


# Log-in lockout by django-axes (docs/deploy.md, "Log-in lockout and sign-up limit"):
# LOGIN_FAILURE_LIMIT wrong passwords in a row for one username from one address refuse that
# username from that address, right password included, until LOGIN_COOLOFF_SECONDS have
# passed since the last try. The pair, not the username alone: a stranger who types wrong
# passwords for someone's name does not lock its owner out everywhere.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = at_least_one("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(seconds=at_least_one("LOGIN_COOLOFF_SECONDS", 15 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a successful login clears that pair's count
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True  # each refused try starts the wait again
AXES_CLIENT_IP_CALLABLE = "boardsite.throttling.client_ip"  # REMOTE_ADDR only, never X-Forwarded-For
AXES_LOCKOUT_CALLABLE = "boardsite.throttling.login_lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_DISABLE_ACCESS_LOG = True  # failures are kept until their cool-off ends; successes not at all
# Sign-up: SIGNUP_RATE_LIMIT attempts (valid or not) per address in SIGNUP_RATE_WINDOW_SECONDS.
SIGNUP_RATE_LIMIT = at_least_one("SIGNUP_RATE_LIMIT", 10)
SIGNUP_RATE_WINDOW_SECONDS = at_least_one("SIGNUP_RATE_WINDOW_SECONDS", 60 * 60)

# Uploads: the largest file, the largest image (pixels, against decompression bombs), the files
# a board may hold in all (removed ones too, until purged), the kinds of file accepted on cards,
# and how long a removed file is kept for undo and the archive (`manage.py purge_attachments`).
UPLOAD_MAX_BYTES = at_least_one("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
UPLOAD_MAX_IMAGE_PIXELS = at_least_one("UPLOAD_MAX_IMAGE_PIXELS", 40_000_000)
BOARD_STORAGE_QUOTA_BYTES = at_least_one("BOARD_STORAGE_QUOTA_BYTES", 200 * 1024 * 1024)
ATTACHMENT_EXTENSIONS = env.list("ATTACHMENT_EXTENSIONS", default=[
    "png", "jpg", "jpeg", "gif", "webp", "pdf", "txt", "md", "csv", "json", "zip",
    "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf",
])
ATTACHMENT_RETENTION_DAYS = at_least_one("ATTACHMENT_RETENTION_DAYS", 30)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (card attachments) go through Django's storage API: on disk under
# MEDIA_ROOT by default; any django-storages backend by replacing STORAGES["default"]
# (docs/deploy.md). They are served by views that check access, never from MEDIA_URL.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": env.str("FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
# Serve from the finders when collectstatic has not run (local runs and tests).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
WHITENOISE_AUTOREFRESH = DEBUG

# Security: production turns these on in its environment (see .env.example).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# includeSubDomains and preload are the operator's choice, not defaults (docs/deploy.md):
# the first forces HTTPS on every subdomain, the second is compiled into browsers for months.
# `check --deploy` would warn about leaving them off (W005, W021); it still checks the rest.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
# No page has an inline script, style or style="" attribute: everything comes from this site's
# own files, its websockets ('self' covers ws:/wss: of the same host) and nothing else. A
# response that sets its own policy keeps it (whiteboard's export.svg, stricter still).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, except that a cookie's key Django could not have made is no key (boardsite.sessions).
SESSION_ENGINE = "boardsite.sessions"

# Twilio Sync (optional): the /token view issues Sync access tokens when all four are set.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_API_KEY = env.str("TWILIO_API_KEY", default="")
TWILIO_API_SECRET = env.str("TWILIO_API_SECRET", default="")
TWILIO_SYNC_SERVICE_SID = env.str("TWILIO_SYNC_SERVICE_SID", default="")
TWILIO_TOKEN_TTL = env.int("TWILIO_TOKEN_TTL", default=3600)

# Websocket limits, per connection (docs/protocol.md explains each).
REALTIME_MAX_FRAME_BYTES = env.int("REALTIME_MAX_FRAME_BYTES", default=65536)
REALTIME_RATE_PER_SECOND = env.float("REALTIME_RATE_PER_SECOND", default=120.0)
REALTIME_RATE_BURST = env.int("REALTIME_RATE_BURST", default=240)
# Per user, across that user's connections in one server process (boardsite.collab.ratelimit).
REALTIME_USER_RATE_PER_SECOND = env.float("REALTIME_USER_RATE_PER_SECOND", default=360.0)
REALTIME_USER_RATE_BURST = env.int("REALTIME_USER_RATE_BURST", default=720)
# Websockets one user may have open to one board in one process; more are refused with 4430.
REALTIME_MAX_CONNECTIONS_PER_USER = env.int("REALTIME_MAX_CONNECTIONS_PER_USER", default=20)
# Presence changes of a board are gathered this long and sent as one frame (boardsite.collab.rooms).
REALTIME_PRESENCE_BATCH_SECONDS = env.float("REALTIME_PRESENCE_BATCH_SECONDS", default=0.05)
REALTIME_MAX_INVALID_PER_MINUTE = env.int("REALTIME_MAX_INVALID_PER_MINUTE", default=30)
# A client that does not read is dropped once the server holds this many unsent bytes for it
# (boardsite.collab.transport); 0 turns the check off.
REALTIME_MAX_SEND_BACKLOG_BYTES = env.int("REALTIME_MAX_SEND_BACKLOG_BYTES", default=8 * 1024 * 1024)

# Strokes one whiteboard holds (erased ones included); past it, new strokes get `board_full`.
WHITEBOARD_MAX_STROKES = env.int("WHITEBOARD_MAX_STROKES", default=100_000)
# SVG exports one user may have drawn in a minute; an export already made for
# that seq is served from the cache and not counted (whiteboard.exports).
WHITEBOARD_EXPORTS_PER_MINUTE = env.int("WHITEBOARD_EXPORTS_PER_MINUTE", default=30)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {
        "warning_without_traceback": {"()": "boardsite.log_filters.WarningWithoutTraceback"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # daphne's runserver: one line per HTTP request and websocket connect/disconnect.
        "django.channels.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # A wrong Host header: one WARNING line, no traceback (boardsite.log_filters).
        "django.security.DisallowedHost": {
            "handlers": ["console"],
            "level": "WARNING",
            "filters": ["warning_without_traceback"],
            "propagate": False,
        },
        "boardsite": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "whiteboard": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "kanban": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # One line per failed login and per lockout (usernames and addresses masked by axes).
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
