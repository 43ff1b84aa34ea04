"""Settings read from the environment (see .env.example).

SQLite in SUNLIT_DATA_DIR is the embedded default; DATABASE_URL switches to PostgreSQL.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Relative to the working directory, as documented: `./var` unless SUNLIT_DATA_DIR says otherwise.
DATA_DIR = Path(os.environ.get("SUNLIT_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("SUNLIT_DEBUG", False)
# A development key is generated once per data directory so the demo works out of the box;
# production settings refuse to start without SUNLIT_SECRET_KEY.
SECRET_KEY = os.environ.get("SUNLIT_SECRET_KEY", "")
if not SECRET_KEY:
    _key_file = DATA_DIR / "secret_key.txt"
    if not _key_file.exists():
        import secrets

        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

# Key files (ledger signing key, keyed-hash and encryption keys for personal data): outside the
# database, backed up separately. See sunlit/core/keys.py and docs/operations.md.
SUNLIT_KEYS_DIR = Path(os.environ.get("SUNLIT_KEYS_DIR", str(DATA_DIR / "keys"))).resolve()

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("SUNLIT_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("SUNLIT_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves its bundled Swagger UI instead of loading one from outside
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "sunlit.core",
    "sunlit.regions",
    "sunlit.accounts",
    "sunlit.people",
    "sunlit.powers",
    "sunlit.cases",
    "sunlit.supervision",
    "sunlit.disclosure",
    "sunlit.deliberation",
    "sunlit.finance",
    "sunlit.complaints",
    "sunlit.accountability",
    "sunlit.analytics",
    "sunlit.portal",
    "sunlit.workbench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "sunlit.core.middleware.LargeTextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sunlit" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sunlit.core.context_processors.site",
            ],
        },
    }
]

_default_db = f"sqlite:///{DATA_DIR / 'sunlit.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend plus a kernel lock that queues concurrent writers (sunlit/core/db/sqlite3).
    DATABASES["default"]["ENGINE"] = "sunlit.core.db.sqlite3"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Django's cursors bind parameters on the client and never prepare statements; psycopg only
    # prepares when a threshold is set. Supervision's on-commit gate query (one wide query per event,
    # sunlit/supervision/engine.py) asks for a server-side prepared statement explicitly, so the server
    # plans it once per connection. Behind a transaction-pooling PgBouncer older than 1.21, set
    # SUNLIT_PG_PREPARE=0 (statements are then planned on every run, which is correct but slower).
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    if os.environ.get("SUNLIT_PG_PREPARE", "1") != "0":
        _pg_options["prepare_threshold"] = 5
    # No JIT compilation: PostgreSQL compiles a query when its estimated cost passes jit_above_cost,
    # at every execution (prepared or not). Our queries are short look-ups and set-based rule scans;
    # a batch of on-commit gates over 200 cases spent 700 of its 750 ms compiling. A DBA can still
    # turn it on per role or in DATABASE_URL (``?options=-c jit=on``).
    if "jit" not in str(_pg_options.get("options", "")):
        _pg_options["options"] = f"{_pg_options.get('options', '')} -c jit=off".strip()

# One cache shared by every web worker and the task worker: the portal's page stamps (invalidated
# on publish) and the rate limits (my funds, complaints) must be seen by all processes alike.
# A directory under SUNLIT_DATA_DIR by default; SUNLIT_CACHE_DIR moves it (e.g. to a tmpfs).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("SUNLIT_CACHE_DIR", str(DATA_DIR / "cache")),
        "TIMEOUT": 300,
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["sunlit.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "workbench:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "portal:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout: after this many failures within the window the account is locked for the window.
SUNLIT_LOGIN_MAX_FAILURES = int(os.environ.get("SUNLIT_LOGIN_MAX_FAILURES", "5"))
SUNLIT_LOGIN_LOCK_MINUTES = int(os.environ.get("SUNLIT_LOGIN_LOCK_MINUTES", "15"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "sunlit" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "sunlit" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production settings switch to the hashed, compressed manifest storage (needs collectstatic).
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads: refuse huge request bodies early (catalog files are small; see docs/import-formats.md).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
SUNLIT_IMPORT_MAX_BYTES = int(os.environ.get("SUNLIT_IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
SUNLIT_IMPORT_MAX_ROWS = int(os.environ.get("SUNLIT_IMPORT_MAX_ROWS", "50000"))

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = True  # htmx posts whole forms, which carry the csrfmiddlewaretoken field
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Mermaid and ECharts write inline style attributes into the SVG/canvas they render.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

SUNLIT_SITE_NAME = _("Sunlit village affairs")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SUNLIT_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# The ledger (docs/ledger.md): signing key file name in SUNLIT_KEYS_DIR, checkpoint interval.
SUNLIT_LEDGER_KEY_FILE = os.environ.get("SUNLIT_LEDGER_KEY_FILE", "ledger-ed25519.pem")
SUNLIT_LEDGER_CHECKPOINT_MINUTES = int(os.environ.get("SUNLIT_LEDGER_CHECKPOINT_MINUTES", "10"))

# Alert notifications (sunlit/supervision/notify.py, docs/operations.md): the backend (dotted path),
# the digest period (0 = one message per alert at once), the JSON-lines file of FileBackend and the
# SMS gateway of SmsBackend.
SUNLIT_NOTIFY_BACKEND = os.environ.get("SUNLIT_NOTIFY_BACKEND", "sunlit.supervision.notify.ConsoleBackend")
SUNLIT_NOTIFY_DIGEST_MINUTES = int(os.environ.get("SUNLIT_NOTIFY_DIGEST_MINUTES", "0"))
SUNLIT_NOTIFY_FILE = os.environ.get("SUNLIT_NOTIFY_FILE", str(DATA_DIR / "notifications.jsonl"))
SUNLIT_SMS_URL = os.environ.get("SUNLIT_SMS_URL", "")
SUNLIT_SMS_TOKEN = os.environ.get("SUNLIT_SMS_TOKEN", "")
# Failed notification deliveries: back-off base and cap (seconds), attempts before giving up, claim lease.
SUNLIT_NOTIFY_RETRY_SECONDS = int(os.environ.get("SUNLIT_NOTIFY_RETRY_SECONDS", "60"))
SUNLIT_NOTIFY_RETRY_MAX_SECONDS = int(os.environ.get("SUNLIT_NOTIFY_RETRY_MAX_SECONDS", str(6 * 3600)))
SUNLIT_NOTIFY_RETRY_ATTEMPTS = int(os.environ.get("SUNLIT_NOTIFY_RETRY_ATTEMPTS", "12"))
SUNLIT_NOTIFY_CLAIM_SECONDS = int(os.environ.get("SUNLIT_NOTIFY_CLAIM_SECONDS", "300"))

# Case documents (sunlit/cases/documents.py): the largest accepted upload, in bytes.
SUNLIT_DOCUMENT_MAX_BYTES = int(os.environ.get("SUNLIT_DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))

# Supervision (docs/architecture.md §12): sweep interval, and the working days after which an
# unclaimed or unresolved alert escalates one level up the region tree.
SUNLIT_SUPERVISION_SWEEP_MINUTES = int(os.environ.get("SUNLIT_SUPERVISION_SWEEP_MINUTES", "60"))
SUNLIT_ALERT_CLAIM_DAYS = int(os.environ.get("SUNLIT_ALERT_CLAIM_DAYS", "3"))
SUNLIT_ALERT_RESOLVE_DAYS = int(os.environ.get("SUNLIT_ALERT_RESOLVE_DAYS", "15"))
