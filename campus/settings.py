"""BlockCampus settings: one module, every knob read from the environment, embedded defaults.

With nothing configured the site runs on SQLite in var/, the in-memory channel layer, a local-memory
cache and kombu's filesystem broker in var/, so `make run` needs no services. `DATABASE_URL` and
`REDIS_URL` switch the same code to PostgreSQL and Redis (channel layer, broker, cache).
"""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from campus.config import ConfigError, database_config, env_bool, read_env, redis_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
(VAR_DIR / "staticfiles").mkdir(parents=True, exist_ok=True)

env = read_env(BASE_DIR)

DEBUG = env_bool(env, "DJANGO_DEBUG", default=True)
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = DEV_SECRET_KEY
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "channels",
    "campus",
    "campus.lti",
    "courses",
    "sandbox.wallet",
    "sandbox.exchange",
    "sandbox.chain",
    "sandbox.markets",
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
]

ROOT_URLCONF = "campus.urls"
ASGI_APPLICATION = "campus.asgi.application"
WSGI_APPLICATION = "campus.wsgi.application"

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

# --- Data stores -------------------------------------------------------------------------------
DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        pool_size=env.int("DATABASE_POOL_SIZE", default=20),  # 0: a connection per request
        # off behind a pooler that cannot keep prepared statements (PgBouncer before 1.21)
        prepared=env.bool("DATABASE_PREPARED_STATEMENTS", default=True),
        # off behind a pooler that refuses startup options such as `-c plan_cache_mode=...`
        generic_plans=env.bool("DATABASE_GENERIC_PLANS", default=True),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = redis_url(env.str("REDIS_URL")) if env.str("REDIS_URL", default="") else ""

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: a group message is published once and each process fans it out to its
            # own sockets (the core layer sends one copy per socket through Redis).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ------------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL == "filesystem://":
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # the worker's broadcast (control) exchange, else a `control/` folder in the cwd
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool(env, "CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "market-ticks": {
        "task": "sandbox.markets.tasks.tick_running_scenarios",
        "schedule": 1.0,
        "options": {"expires": 5},
    },
    "market-tickers": {
        "task": "sandbox.exchange.tasks.publish_tickers_and_candles",
        "schedule": 1.0,
        "options": {"expires": 2},
    },
    "portfolio-snapshots": {
        "task": "sandbox.markets.tasks.snapshot_portfolios",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # deposits and withdrawals on the students' chains: one watcher pass per chain per second
    "chain-watchers": {
        "task": "sandbox.chain.tasks.watch_chains",
        "schedule": 1.0,
        "options": {"expires": 3},
    },
}
CELERY_TIMEZONE = "UTC"

# --- Courses -----------------------------------------------------------------------------------
COURSES_GRADING_TIME_LIMIT_S = env.int("COURSES_GRADING_TIME_LIMIT_S", default=120)
# More graders, as dotted paths to grader objects (a university's own exercise kinds).
COURSES_GRADERS = env.list("COURSES_GRADERS", default=[])

# --- LTI ---------------------------------------------------------------------------------------
# LMS integration (campus/lti). Its middleware gives LTI sessions SameSite=None; Secure session
# and CSRF cookies and lets the platform frame the site (see campus/lti/cookies.py); everyone
# else keeps Lax cookies and X-Frame-Options: DENY. It must come before SessionMiddleware so it
# sees the cookies and headers the inner middleware set.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
    "campus.lti.cookies.LtiFrameMiddleware",
)
LTI_KEY_GRACE_SECONDS = env.int("LTI_KEY_GRACE_SECONDS", default=86400)  # old key stays published
LTI_STATE_TTL_SECONDS = env.int("LTI_STATE_TTL_SECONDS", default=600)  # login → launch
LTI_LAUNCH_TTL_SECONDS = env.int("LTI_LAUNCH_TTL_SECONDS", default=3600)  # picker, deep linking
LTI_RESUME_TTL_SECONDS = env.int("LTI_RESUME_TTL_SECONDS", default=300)  # "open in a new window"
LTI_CLOCK_SKEW_SECONDS = env.int("LTI_CLOCK_SKEW_SECONDS", default=60)
LTI_JWKS_CACHE_SECONDS = env.int("LTI_JWKS_CACHE_SECONDS", default=3600)
LTI_JWKS_REFETCH_SECONDS = env.int("LTI_JWKS_REFETCH_SECONDS", default=60)
LTI_HTTP_TIMEOUT_SECONDS = env.float("LTI_HTTP_TIMEOUT_SECONDS", default=10.0)
LTI_ROSTER_SYNC_SECONDS = env.int("LTI_ROSTER_SYNC_SECONDS", default=6 * 3600)
CELERY_BEAT_SCHEDULE["lti-roster-sync"] = {
    "task": "campus.lti.tasks.sync_all_rosters",
    "schedule": float(LTI_ROSTER_SYNC_SECONDS),
    "options": {"expires": 600},
}
# Expired login states and launches are deleted this often (a replayed token then finds no state).
LTI_PURGE_SECONDS = env.int("LTI_PURGE_SECONDS", default=3600)
CELERY_BEAT_SCHEDULE["lti-purge-expired"] = {
    "task": "campus.lti.tasks.purge_expired_launches",
    "schedule": float(LTI_PURGE_SECONDS),
    "options": {"expires": 600},
}
# Dynamic registration (/lti/register/) fetches and posts to https platforms only, unless this is
# off (development and the test suite's platform simulator on http://127.0.0.1).
LTI_REGISTRATION_HTTPS_ONLY = env_bool(env, "LTI_REGISTRATION_HTTPS_ONLY", default=not DEBUG)

# --- Chains ------------------------------------------------------------------------------------
# The EVM version contracts are compiled for; the students' chains run the same hardfork.
CHAIN_EVM_VERSION = env.str("CHAIN_EVM_VERSION", default="cancun")
# The chain host (`manage.py chainhost`): its name, where it listens for the web's control calls,
# where chains keep their state, which ports they get, how many run at once, and when an idle
# chain is stopped (its state saved; it comes back on the next request).
CHAIN_HOST_NAME = env.str("CHAIN_HOST_NAME", default="local")
CHAIN_HOST_BIND = env.str("CHAIN_HOST_BIND", default="127.0.0.1:8546")
CHAIN_DIR = Path(env.str("CHAIN_DIR", default=str(VAR_DIR / "chains")))
CHAIN_PORTS = env.str("CHAIN_PORTS", default="20000-29999")
CHAIN_MAX_RUNNING = env.int("CHAIN_MAX_RUNNING", default=200)
CHAIN_IDLE_SECONDS = env.int("CHAIN_IDLE_SECONDS", default=900)
# How long an RPC request waits for a stopped chain to start before it is answered with an error.
CHAIN_START_WAIT_SECONDS = env.float("CHAIN_START_WAIT_SECONDS", default=20.0)

# --- Exchange ----------------------------------------------------------------------------------
# The order desk process (`manage.py order_desk`) listens on this Unix socket, and the web workers
# hand it their orders; empty: each process places its own orders (sandbox/exchange/deskprocess.py).
# A relative path is taken from the project's directory.
EXCHANGE_ORDER_DESK_SOCKET = env.str("EXCHANGE_ORDER_DESK_SOCKET", default="")
if EXCHANGE_ORDER_DESK_SOCKET:
    EXCHANGE_ORDER_DESK_SOCKET = str(BASE_DIR / EXCHANGE_ORDER_DESK_SOCKET)

# --- Demo campus: each app seeds its own part, in this order ---------------------------------
DEMO_SEEDERS = [
    "campus.demo.seed",
    "courses.demo.seed",
    "sandbox.demo.seed",
    "sandbox.markets.demo.seed",
]

# --- People ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "campus.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="BlockCampus <noreply@localhost>")

# --- Language and time -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Asia/Seoul")
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/lightweight-charts", BASE_DIR / "node_modules" / "lightweight-charts" / "dist"),
]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- API ---------------------------------------------------------------------------------------
# Keys that encrypt stored secrets such as API key secrets (unset: derived from SECRET_KEY).
FIELD_ENCRYPTION_KEYS = env.list("DJANGO_FIELD_ENCRYPTION_KEY", default=[])
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

# --- Security (production: DJANGO_DEBUG=0) -----------------------------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool(env, "DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool(env, "DJANGO_BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
