"""Settings, read from the environment (see .env.example for every variable)."""

import hashlib
import os
import ssl
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

from config.broker import transport_for

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# An empty variable (as in a copied .env.example) means "use the default", like an unset one.
for _name in [name for name, value in os.environ.items() if value == ""]:
    del os.environ[_name]

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The development default is marked insecure, so `manage.py check --deploy` warns until a real one is set.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-development-only-set-DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin with the project's site as the default one (config/admin_site.py).
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "accounts",
    "whatsapp",
    "agent",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused by the throttle (below) into a "locked out" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

# --- The admin site (config/admin_site.py): what the apps add to it, named, never imported -------
# Functions (request) -> dict whose context the admin home page gets: the channel's state.
ADMIN_INDEX_CONTEXT = ["whatsapp.admin.home.channel_state"]
# Pages beside the models': URL under /admin/, view, URL name, menu title (None: not in the menu, as
# a page's live updates), the app whose menu lists it, and the permission that shows it there (the
# view checks for itself).
ADMIN_PAGES = [
    {"path": "dashboard/", "view": "agent.admin.dashboard.dashboard_view", "name": "dashboard",
     "title": "Dashboard", "app_label": "agent", "permission": "agent.view_dashboard"},
    {"path": "inbox/", "view": "whatsapp.admin.inbox.inbox_view", "name": "inbox",
     "title": "Inbox", "app_label": "whatsapp", "permission": "whatsapp.view_conversation"},
    {"path": "inbox/live/", "view": "whatsapp.admin.inbox.inbox_live_view", "name": "inbox_live",
     "title": None, "app_label": "whatsapp", "permission": "whatsapp.view_conversation"},
]
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
            # Money, phone numbers, dates and times as people read them (config/display.py).
            "libraries": {"display": "config.display_filters"},
        },
    },
]

# Database: a SQLite file by default, PostgreSQL where it runs for real.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# Off by default: a SELECT 1 before every request costs ~10% of webhook throughput; a connection
# that died is closed after the request that found it (which answers 503: Meta delivers again).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_CONN_HEALTH_CHECKS", default=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file the Celery worker can share with the web process; WAL lets them read while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # A file (not memory) so a worker thread or process can share it; one per test run.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test_db_{os.getpid()}.sqlite3")}
elif env("DJANGO_TEST_DB_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env("DJANGO_TEST_DB_NAME")}
# PostgreSQL: the webhook's one statement (whatsapp/intake/postgres.py) is a server-side prepared
# statement, parsed and planned once per connection. Set 0 behind a transaction-mode pooler that
# cannot keep prepared statements (PgBouncer before 1.22, or without max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# What a person's admin page lists of their records, section by section: functions (person, viewer)
# -> sections, from the apps that keep them (accounts imports neither whatsapp nor agent).
ACCOUNTS_PERSON_SECTIONS = env.list("ACCOUNTS_PERSON_SECTIONS", default=[
    "whatsapp.admin.people.person_sections", "agent.admin.people.person_sections"])
# django-axes first: a locked-out login is refused before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Login throttling (django-axes): the admin login and POST /api/auth/token/ ------------------
# After AXES_FAILURE_LIMIT failed logins for one username from one address, that username is
# refused from that address (even with the right password) until AXES_COOLOFF_MINUTES pass without
# another failure. Failures are kept in the database (every web process sees them); a success
# clears them. Unlock early with `manage.py axes_reset_username USERNAME`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# 429 with how long to wait: a page for the admin, JSON for the API.
AXES_LOCKOUT_CALLABLE = "accounts.login_throttle.lockout_response"
# Successful logins are not logged (no table of everyone's addresses that grows for ever).
AXES_DISABLE_ACCESS_LOG = True
# Behind N reverse proxies that each append the address they got the request from to
# X-Forwarded-For, the client's address is the N-th from the right; 0: the connection's own address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.login_throttle.client_ip"

# The locale whose formats dates, times and numbers are shown in (config/display.py), e.g. en-gb, de.
LANGUAGE_CODE = env("LANGUAGE_CODE", default="en-us")
# The business time zone: "today" for people; the database keeps UTC.
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The back office's own stylesheet (config/static/backoffice/), for every admin page.
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Meta posts up to 3 MB; we accept up to 4 MiB and answer 413 above it.
WEBHOOK_MAX_BODY_BYTES = 4 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = WEBHOOK_MAX_BODY_BYTES

# Security: strict when DEBUG is off (manage.py check --deploy is clean).
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^readiness/$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only (the token endpoint also takes a form): a body that is not JSON is a 415, and
    # nothing sent as a malformed form can pass for an empty one.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    # drf-spectacular's, with every error status an operation can answer.
    "DEFAULT_SCHEMA_CLASS": "agent.api.schema.ErrorsDocumentedSchema",
    "EXCEPTION_HANDLER": "agent.api.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "WhatsApp business assistant API",
    "DESCRIPTION": "Expenses and invoices, for staff and managers.",
    "VERSION": "1.0",
    # The docs' JavaScript is served from this server (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema describes the API, not the view that serves it.
    "SERVE_INCLUDE_SCHEMA": False,
}

# Every record once, through the root's handler: Django's own console handler (DEBUG only) is
# dropped, or its records would be printed twice. A refused request (4xx: a 403, a 404) is a line,
# not a traceback (config/logs.py); a server error keeps its traceback.
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "config.logs.ClientErrorsWithoutTraceback"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["client_errors_without_traceback"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.db.backends": {"level": "INFO"},
        # axes: lockouts and failed logins (warnings) are logged, not every successful login.
        "axes": {"level": "WARNING"},
    },
}

# --- Celery: at-least-once delivery -------------------------------------------------------------
# "localhost" names no server (the filesystem transport has none); without it kombu warns on every
# connection that it reverts to localhost.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://localhost/")
BROKER_FOLDER = BASE_DIR / "var" / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER / "queue"),
        "data_folder_out": str(BROKER_FOLDER / "queue"),
        "processed_folder": str(BROKER_FOLDER / "processed"),
        "control_folder": str(BROKER_FOLDER / "control"),
        "store_processed": False,
        # Seconds between looks at the queue folder: replies on a laptop should feel immediate.
        "polling_interval": 0.2,
    }
else:
    # Every countdown and time limit stays well under this (see whatsapp.outbound.retry).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Redis (redis:// and rediss://): kombu's transport with a defect worked around that made the worker
# exit when Redis went away under it (config/broker.py). Other brokers: kombu's own, by the scheme.
CELERY_BROKER_TRANSPORT = transport_for(CELERY_BROKER_URL)
if CELERY_BROKER_URL.startswith("rediss://") and "ssl_cert_reqs" not in CELERY_BROKER_URL:
    # TLS to Redis verifies the server's certificate unless the URL says otherwise
    # (rediss://...?ssl_cert_reqs=none); kombu's own default would not check it.
    CELERY_BROKER_USE_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
# The queue every task goes to and every worker takes from. Give each deployment its own when
# several share one broker (RabbitMQ vhost or Redis database); tests give each worker its own.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat runs the sweeper (whatsapp.sweeper) this often. A dead worker's message is answered within
# WHATSAPP_INBOUND_LEASE_SECONDS + this (+ the turn itself) of its death: 75 s with the defaults.
WHATSAPP_SWEEP_EVERY_SECONDS = env.int("WHATSAPP_SWEEP_EVERY_SECONDS", default=30)
CELERY_BEAT_SCHEDULE = {
    "whatsapp-sweep": {"task": "whatsapp.tasks.sweep_task", "schedule": float(WHATSAPP_SWEEP_EVERY_SECONDS)},
    # In the business time zone (CELERY_TIMEZONE below).
    "overdue-reminders": {"task": "agent.tasks.overdue_reminders_send_task", "schedule": crontab(hour=9, minute=0)},
    "weekly-spend-summary": {"task": "agent.tasks.weekly_summary_send_task",
                             "schedule": crontab(hour=8, minute=0, day_of_week="mon")},
    "retention-purge": {"task": "whatsapp.tasks.retention_purge_task", "schedule": crontab(hour=3, minute=30)},
    # The template catalogue from Graph (the account's template webhooks keep it current between).
    "whatsapp-templates-sync": {"task": "whatsapp.tasks.templates_sync_task", "schedule": crontab(minute="*/15")},
}
CELERY_TIMEZONE = TIME_ZONE
# /readiness/ answers 503 when no worker has written its heartbeat for this long (each beats every
# quarter of it, at most every 30 s, while connected to the broker). 0: not checked (a web-only box).
WORKER_HEARTBEAT_STALE_SECONDS = env.int("WORKER_HEARTBEAT_STALE_SECONDS", default=120)

# --- WhatsApp Cloud API -------------------------------------------------------------------------
WHATSAPP_VERIFY_TOKEN = env("WHATSAPP_VERIFY_TOKEN", default="")
WHATSAPP_APP_SECRET = env("WHATSAPP_APP_SECRET", default="")
WHATSAPP_ACCESS_TOKEN = env("WHATSAPP_ACCESS_TOKEN", default="")
# The number we answer from; messages Meta posts for another number are stored, never answered.
WHATSAPP_PHONE_NUMBER_ID = env("WHATSAPP_PHONE_NUMBER_ID", default="")
WHATSAPP_API_BASE_URL = env("WHATSAPP_API_BASE_URL", default="https://graph.facebook.com").rstrip("/")
WHATSAPP_API_VERSION = env("WHATSAPP_API_VERSION", default="v25.0")
# The WhatsApp Business Account (WABA) the number belongs to: its message templates are synced from
# Graph into the catalogue (whatsapp.catalogue) and created there by `manage.py whatsapp_templates create`.
WHATSAPP_BUSINESS_ACCOUNT_ID = env("WHATSAPP_BUSINESS_ACCOUNT_ID", default="")
# The Meta app's id: creating a template with a document header uploads its example to the app.
WHATSAPP_APP_ID = env("WHATSAPP_APP_ID", default="")
# Sent when the 24-hour window is closed and something waits for the person ({{1}} the business name).
WHATSAPP_REENGAGEMENT_TEMPLATE = env("WHATSAPP_REENGAGEMENT_TEMPLATE", default="reply_waiting")
WHATSAPP_REENGAGEMENT_TEMPLATE_LANGUAGE = env("WHATSAPP_REENGAGEMENT_TEMPLATE_LANGUAGE", default="en_US")
# The templates this project sends, as Meta takes them to create them: each app lists its own here
# (the channel never imports the agent). The names and languages are the settings they name.
WHATSAPP_TEMPLATE_DEFINITIONS = ["whatsapp.catalogue.definitions.channel_templates",
                                 "agent.message_templates.agent_templates"]
WHATSAPP_CONNECT_TIMEOUT = env.float("WHATSAPP_CONNECT_TIMEOUT", default=5.0)
WHATSAPP_READ_TIMEOUT = env.float("WHATSAPP_READ_TIMEOUT", default=20.0)
# The largest media file downloaded, per message type: Meta's own limits (a larger one is refused, with
# a reply that says so). "type=bytes" pairs, comma-separated; a type not named gets the largest.
WHATSAPP_MEDIA_MAX_BYTES = {kind: int(size) for kind, size in env.dict("WHATSAPP_MEDIA_MAX_BYTES", default={
    "audio": 16 * 1024 * 1024, "document": 100 * 1024 * 1024, "image": 5 * 1024 * 1024,
    "video": 16 * 1024 * 1024, "sticker": 500 * 1024}).items()}
# Retryable Graph failures are retried for at least this long before the message is marked failed.
WHATSAPP_RETRY_FOR_SECONDS = env.int("WHATSAPP_RETRY_FOR_SECONDS", default=15 * 60)
# Off by default: people who are not on the allow-list get no answer at all.
WHATSAPP_NOT_REGISTERED_REPLY = env("WHATSAPP_NOT_REGISTERED_REPLY", default="")
# The function that turns an inbound message into a reply (the agent plugs in here).
WHATSAPP_REPLY_HANDLER = env("WHATSAPP_REPLY_HANDLER", default="agent.runner.reply")
# What the transcript shows of the answering side's work under each message (the assistant's tool
# calls and tokens): (conversation, message ids) -> what to show ("" in settings: nothing).
WHATSAPP_AGENT_WORK = env("WHATSAPP_AGENT_WORK", default="agent.admin.transcript.agent_work")
# The sweeper picks up work left behind for longer than this (and not held by a live worker); beat
# runs it every WHATSAPP_SWEEP_EVERY_SECONDS (above, with the Celery settings).
WHATSAPP_SWEEP_AFTER_SECONDS = env.int("WHATSAPP_SWEEP_AFTER_SECONDS", default=60)

# --- Sandbox: the whole service on a laptop, with no Meta account ------------------------------
# On when no access token is set (or WHATSAPP_SANDBOX=1): replies go to the project's own Graph API
# stand-in at /sandbox/graph/ instead of Meta, and /sandbox/ lets staff chat as allowed people.
# Never with DJANGO_DEBUG=0 and any real WhatsApp credential (production): its URLs answer 404 then.
# The address where the worker reaches the web server (the stand-in, and its status webhooks).
WHATSAPP_SANDBOX_URL = env("WHATSAPP_SANDBOX_URL", default="http://127.0.0.1:8000").rstrip("/")
_sandbox_key = hashlib.sha256(f"whatsapp-sandbox:{SECRET_KEY}".encode()).hexdigest()
# The stand-in's own credentials, derived from the secret key. In sandbox mode they replace the
# real ones, so a real token never leaves for the stand-in and nothing the sandbox signs would be
# accepted by a production webhook.
WHATSAPP_SANDBOX_ACCESS_TOKEN = f"sandbox-{_sandbox_key[:40]}"
WHATSAPP_SANDBOX_APP_SECRET = _sandbox_key[40:]
_real_whatsapp_credentials = any([WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_PHONE_NUMBER_ID,
                                  WHATSAPP_VERIFY_TOKEN])
# With DEBUG off the sandbox also needs a secret key of its own: derived from the public development
# default, its credentials would let anyone sign webhooks.
WHATSAPP_SANDBOX = env.bool("WHATSAPP_SANDBOX", default=not WHATSAPP_ACCESS_TOKEN) and (
    DEBUG or not (_real_whatsapp_credentials or SECRET_KEY.startswith("django-insecure")))
if WHATSAPP_SANDBOX:
    WHATSAPP_ACCESS_TOKEN = WHATSAPP_SANDBOX_ACCESS_TOKEN
    WHATSAPP_APP_SECRET = WHATSAPP_SANDBOX_APP_SECRET
    WHATSAPP_VERIFY_TOKEN = "sandbox"
    WHATSAPP_PHONE_NUMBER_ID = "100000000000001"
    WHATSAPP_BUSINESS_ACCOUNT_ID = "100000000000000"
    WHATSAPP_APP_ID = "100000000000002"
    WHATSAPP_API_BASE_URL = f"{WHATSAPP_SANDBOX_URL}/sandbox/graph"

# --- OpenAI -------------------------------------------------------------------------------------
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="") or None
OPENAI_MODEL = env("OPENAI_MODEL", default="gpt-4o-mini")
# How long a worker's hold on a conversation lasts without renewal. It is renewed every third of
# this while the turn runs (however slow), so only a dead worker's message is taken over, by the
# sweeper once this has passed: with the sweep below, within 2 minutes of the worker's death.
WHATSAPP_INBOUND_LEASE_SECONDS = env.int("WHATSAPP_INBOUND_LEASE_SECONDS", default=45)
# Times handling of one inbound message may start without finishing (its worker died) before the
# person is told it could not be processed, instead of retrying it for ever.
WHATSAPP_INBOUND_MAX_ATTEMPTS = env.int("WHATSAPP_INBOUND_MAX_ATTEMPTS", default=5)

# --- The assistant (agent) ----------------------------------------------------------------------
# Speech-to-text model for voice notes.
OPENAI_TRANSCRIBE_MODEL = env("OPENAI_TRANSCRIBE_MODEL", default="whisper-1")
# Seconds one OpenAI request may take, and how often the client retries a failed one.
OPENAI_TIMEOUT = env.float("OPENAI_TIMEOUT", default=45.0)
OPENAI_MAX_RETRIES = env.int("OPENAI_MAX_RETRIES", default=2)
# What one message costs (agent.budget), in prompt tokens counted with AGENT_TOKENIZER (agent.tokens):
# every request to the model at most AGENT_MAX_PROMPT_TOKENS, the system prompt and tool schemas
# included; all requests of one turn together at most AGENT_TURN_PROMPT_TOKENS (then the model must
# answer; at least twice the cap, or it can call no tool); AGENT_MAX_TOOL_ROUNDS tool rounds at most.
AGENT_MAX_PROMPT_TOKENS = env.int("AGENT_MAX_PROMPT_TOKENS", default=3000)
AGENT_TURN_PROMPT_TOKENS = env.int("AGENT_TURN_PROMPT_TOKENS", default=12000)
AGENT_MAX_TOOL_ROUNDS = env.int("AGENT_MAX_TOOL_ROUNDS", default=5)
# The answer (or tool calls) of one request, in tokens (max_completion_tokens).
AGENT_MAX_COMPLETION_TOKENS = env.int("AGENT_MAX_COMPLETION_TOKENS", default=800)
# Earlier conversation in a request: at most this many tokens (less when the rest leaves less room).
AGENT_HISTORY_TOKENS = env.int("AGENT_HISTORY_TOKENS", default=1000)
# The person's message as the model reads it (a long text, a voice note's transcript, a PDF's text).
AGENT_MESSAGE_TOKENS = env.int("AGENT_MESSAGE_TOKENS", default=800)
# One tool result: at most this many rows of a list, and this many tokens (rows past it are left
# out, with a hint telling the model how to get them).
AGENT_TOOL_ROWS = env.int("AGENT_TOOL_ROWS", default=10)
AGENT_TOOL_RESULT_TOKENS = env.int("AGENT_TOOL_RESULT_TOKENS", default=600)
# The tokenizer the counts use (o200k_base: gpt-4o, gpt-4o-mini, gpt-4.1, o-series; cl100k_base: gpt-4).
AGENT_TOKENIZER = env("AGENT_TOKENIZER", default="o200k_base")
# A photo is read in a request of its own (agent.photos), at this detail ("low": one fixed-size view;
# "high" or "auto" read small print but cost far more). What one costs is known per model
# (agent.tokens.IMAGE_COSTS: gpt-4o 85 tokens at low detail, gpt-4o-mini 2,833); AGENT_IMAGE_TOKENS,
# when set, is the figure instead (a model not in that table, a local server's).
AGENT_IMAGE_DETAIL = env("AGENT_IMAGE_DETAIL", default="low")
AGENT_IMAGE_TOKENS = int(env("AGENT_IMAGE_TOKENS", default="") or 0)
# The reading of a photo (what a receipt says, or what the photo shows), in tokens (max_completion_tokens).
AGENT_PHOTO_READING_TOKENS = env.int("AGENT_PHOTO_READING_TOKENS", default=300)
# Per person (agent.limits; 0 turns one off): messages per minute and per day (TIME_ZONE's day), and
# model tokens per day. Over one, their messages get no model call, and they are told once; commands
# still work. Staff see who reached a limit in the admin (Limits reached).
AGENT_LIMIT_MESSAGES_PER_MINUTE = env.int("AGENT_LIMIT_MESSAGES_PER_MINUTE", default=10)
AGENT_LIMIT_MESSAGES_PER_DAY = env.int("AGENT_LIMIT_MESSAGES_PER_DAY", default=200)
AGENT_LIMIT_TOKENS_PER_DAY = env.int("AGENT_LIMIT_TOKENS_PER_DAY", default=500000)
# A worker loads the assistant (its imports, the tokenizer, the tool schemas, the OpenAI client) when
# it starts, so its first reply costs what later ones do (agent.warm); 0 loads it on first use.
AGENT_WARM_UP = env.bool("AGENT_WARM_UP", default=True)
# Text extracted from one PDF, in characters (the model reads at most AGENT_MESSAGE_TOKENS of it).
AGENT_PDF_CHARS = env.int("AGENT_PDF_CHARS", default=20000)
# Minutes a Yes/No question (delete, mark paid, review, change an expense) stays answerable. After
# that its buttons and a typed "yes" change nothing; the person asks again.
AGENT_CONFIRMATION_MINUTES = env.int("AGENT_CONFIRMATION_MINUTES", default=30)

# --- Bookkeeping (agent records) ----------------------------------------------------------------
from decimal import Decimal  # noqa: E402  (kept next to the one setting that needs it)

# ISO 4217 code used when a person names no currency.
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", default="EUR").strip().upper()
# Tax (VAT) rate used when a person gives only a net or a gross amount, as a fraction (0.19 = 19%).
DEFAULT_TAX_RATE = Decimal(env("DEFAULT_TAX_RATE", default="0.19"))
# The business's name, as the assistant and invoices call it.
BUSINESS_NAME = env("BUSINESS_NAME", default="Our business")
# Days from an invoice's issue date to its due date when none is given.
INVOICE_DUE_DAYS = env.int("INVOICE_DUE_DAYS", default=14)

# --- Retention of personal data (whatsapp.retention, agent.retention) ---------------------------
# A daily job (beat, 03:30 business time; `manage.py purge_retention` on demand) removes:
# raw webhook bodies, and the raw copies of messages and statuses, after this many days (the
# event rows, messages and their texts stay);
RETENTION_WEBHOOK_BODY_DAYS = env.int("RETENTION_WEBHOOK_BODY_DAYS", default=30)
# photos, voice notes and documents people sent in chats after this many days (an expense keeps
# its own copy of its receipt);
RETENTION_CHAT_MEDIA_DAYS = env.int("RETENTION_CHAT_MEDIA_DAYS", default=90)
# receipts of expenses after this many full calendar years following the expense's year (the
# bookkeeping retention period: 10 years in Germany, for example; check your country's).
RETENTION_RECEIPT_YEARS = env.int("RETENTION_RECEIPT_YEARS", default=10)
# What the job runs: each app registers its own purge here (the channel never imports the agent).
RETENTION_PURGES = ["whatsapp.retention.channel_purge", "agent.retention.receipts_purge"]

# --- Templates the business sends (approved by Meta; `manage.py whatsapp_templates create`) ------
# Their texts are in agent/message_templates.py; the parameters below are what the code fills in.
# Daily to customers with overdue invoices: {{1}} name, {{2}} number of invoices, {{3}} amount owed.
WHATSAPP_REMINDER_TEMPLATE = env("WHATSAPP_REMINDER_TEMPLATE", default="payment_reminder")
WHATSAPP_REMINDER_TEMPLATE_LANGUAGE = env("WHATSAPP_REMINDER_TEMPLATE_LANGUAGE", default="en_US")
# Weekly to managers: {{1}} the week, {{2}} total spent, {{3}} expenses waiting for review.
WHATSAPP_WEEKLY_SUMMARY_TEMPLATE = env("WHATSAPP_WEEKLY_SUMMARY_TEMPLATE", default="weekly_spend_summary")
WHATSAPP_WEEKLY_SUMMARY_TEMPLATE_LANGUAGE = env("WHATSAPP_WEEKLY_SUMMARY_TEMPLATE_LANGUAGE", default="en_US")
# To the submitter of an expense a manager reviewed, when their window is closed ({{1}} the expense,
# {{2}} approved or rejected, {{3}} the reviewer); the full message follows when they answer.
WHATSAPP_REVIEW_OUTCOME_TEMPLATE = env("WHATSAPP_REVIEW_OUTCOME_TEMPLATE", default="expense_review_outcome")
WHATSAPP_REVIEW_OUTCOME_TEMPLATE_LANGUAGE = env("WHATSAPP_REVIEW_OUTCOME_TEMPLATE_LANGUAGE", default="en_US")
# An invoice's PDF outside the person's 24-hour window: a UTILITY template with a DOCUMENT header
# (the PDF) and {{1}} name, {{2}} invoice number, {{3}} amount, {{4}} due date.
WHATSAPP_INVOICE_TEMPLATE = env("WHATSAPP_INVOICE_TEMPLATE", default="invoice_issued")
WHATSAPP_INVOICE_TEMPLATE_LANGUAGE = env("WHATSAPP_INVOICE_TEMPLATE_LANGUAGE", default="en_US")
