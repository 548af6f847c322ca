"""Settings for Report Task. Everything a deployment changes comes from the environment.

With no configuration at all the service runs "embedded": SQLite and a SQLite-backed
Celery broker under ``var/``, so ``make run`` works on a laptop with only Python. Set
``DATABASE_URL`` and ``CELERY_BROKER_URL`` to run on PostgreSQL and Redis.

One flat module on purpose: every setting, and the variable it comes from, in reading
order in one place (docs/configuration.md lists them). What takes logic lives beside it:
env.py (typed readers), secret_key.py, storage.py, broker.py (RabbitMQ).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from config import broker
from config.api_keys import api_keys
from config.attention import attention_settings
from config.env import env_bool, env_float, env_int, env_list, env_str
from config.input_mappings import input_mappings
from config.secret_key import secret_key
from config.storage import report_storage
from reports.report.languages import LANGUAGES as REPORT_LANGUAGES
from reports.report.limits import DEFAULT_LIMITS, HEAT_MAP_CELLS

# Django's generic classes (admin.ModelAdmin[ReportJob], ...) subscriptable, as typed.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("REPORT_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DATABASE_URL = env_str("DATABASE_URL")
# Embedded = no external database configured: SQLite, local broker, generated secret.
EMBEDDED = not DATABASE_URL

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = secret_key(embedded=EMBEDDED, data_dir=DATA_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "reports",
]

MIDDLEWARE = [
    "reports.api.http_metrics.HttpMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ (admin, Swagger UI, the web page) from gunicorn itself: no CDN.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions, users and messages, for the admin site only (reports/api/middleware.py).
    "reports.api.middleware.AdminSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "reports.api.middleware.AdminAuthenticationMiddleware",
    "reports.api.middleware.AdminMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "reports.ops.logs.TaskIdMiddleware",
    # Innermost, so that its early 413 still passes through the security headers above;
    # nothing above reads the body (DRF views are CSRF-exempt).
    "reports.api.middleware.BodySizeLimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES: dict[str, dict[str, Any]]
if EMBEDDED:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": {
                # WAL lets the API read while the worker writes; IMMEDIATE avoids
                # "database is locked" on read-then-write transactions.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
else:
    DATABASES = {
        "default": dict(
            dj_database_url.parse(
                DATABASE_URL,
                conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0),
                conn_health_checks=True,
            )
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
            "DATABASE_CONNECT_TIMEOUT", 5, minimum=1
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The reports are written in the request's language (docs/report.md, "Languages"): the
# renderers translate inside translation.override(report.language); no middleware
# activates a language, so the API and the admin speak LANGUAGE_CODE.
LANGUAGE_CODE = "en"
LANGUAGES = list(REPORT_LANGUAGES.items())
LOCALE_PATHS = [BASE_DIR / "reports" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `config.serve web` runs collectstatic into this folder before gunicorn starts;
# WHITENOISE_USE_FINDERS also serves straight from the apps when it has not run (a fresh
# clone under `manage.py runserver`, or the tests).
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static"))).resolve()
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media"))).resolve()
MEDIA_URL = None  # reports are only served through the API, never as a public folder.


# Where report files go: "local" (MEDIA_ROOT) or "s3" (config/storage.py).
REPORT_STORAGE = env_str("REPORT_STORAGE", "local").strip().lower() or "local"
STORAGES = {
    "default": report_storage(REPORT_STORAGE),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO", False) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)

# --- The service's own limits -----------------------------------------------------------
# Bodies above this are answered 413 before anything reads them.
REPORT_MAX_BODY_BYTES = env_int("REPORT_MAX_BODY_BYTES", 64 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REPORT_MAX_BODY_BYTES
# A ProgSnap2 table (?input=progsnap2: a MainTable.csv, or a zip of one) is read row by row
# into the service's JSON, which REPORT_MAX_BODY_BYTES still bounds; the table itself may be
# larger (its rows carry columns the report does not use).
REPORT_MAX_CSV_BYTES = env_int("REPORT_MAX_CSV_BYTES", 256 * 1024 * 1024, minimum=1024)
# Named mappings of other formats' verbs and fields (?mapping=<name>): JSON, name → mapping.
REPORT_INPUT_MAPPINGS = input_mappings()
# What a report costs grows with these counts, not with its bytes (reports/report/limits.py;
# docs/guarantees.md, "Bounded work"): a request over one is refused with 413 at submit.
REPORT_MAX_EVENTS = env_int("REPORT_MAX_EVENTS", DEFAULT_LIMITS.events, minimum=1)
REPORT_MAX_STUDENTS = env_int("REPORT_MAX_STUDENTS", DEFAULT_LIMITS.students, minimum=1)
REPORT_MAX_UNITS = env_int("REPORT_MAX_UNITS", DEFAULT_LIMITS.units, minimum=1)
REPORT_MAX_UNITS_PER_STUDENT = env_int(
    "REPORT_MAX_UNITS_PER_STUDENT", DEFAULT_LIMITS.units_per_student, minimum=1
)
REPORT_MAX_EVENT_TYPES = env_int("REPORT_MAX_EVENT_TYPES", DEFAULT_LIMITS.event_types, minimum=1)
REPORT_MAX_QUESTION_CELLS = env_int(
    "REPORT_MAX_QUESTION_CELLS", DEFAULT_LIMITS.question_cells, minimum=1
)
# The class heat map has students x units cells: over this many, the report lists the
# units instead of drawing the grid (not refused: the other limits bound that list).
REPORT_HEATMAP_MAX_CELLS = env_int("REPORT_HEATMAP_MAX_CELLS", HEAT_MAP_CELLS, minimum=0)
REPORT_IDLE_MINUTES = env_float("REPORT_IDLE_MINUTES", 30.0, minimum=0.0)
# The attention rules' thresholds (docs/report.md, "Attention flags"), one variable each.
REPORT_ATTENTION = attention_settings()
# Back-pressure: POSTs get 429 while this many jobs are PENDING, RETRY or STARTED.
REPORT_MAX_QUEUED_JOBS = env_int("REPORT_MAX_QUEUED_JOBS", 10_000, minimum=1)
REPORT_QUEUE_FULL_RETRY_AFTER = env_int("REPORT_QUEUE_FULL_RETRY_AFTER", 30, minimum=1)
# How long a web process may trust its last count of queued jobs (see jobs_check_capacity).
REPORT_QUEUE_COUNT_INTERVAL = env_float("REPORT_QUEUE_COUNT_INTERVAL", 1.0, minimum=0.0)
# An Idempotency-Key is remembered this long (Stripe's 24 hours).
REPORT_IDEMPOTENCY_TTL_SECONDS = env_int("REPORT_IDEMPOTENCY_TTL_SECONDS", 24 * 3600, minimum=1)
# A Prometheus scraper's bearer token for /metrics (accepted besides the API keys). When
# either this or REPORT_API_KEYS is set, /metrics needs one of them.
REPORT_METRICS_TOKEN = env_str("REPORT_METRICS_TOKEN").strip()

# --- Webhooks: POST a signed event to the request's callback_url when its job ends --------
# The HMAC key of the Report-Signature header, for jobs whose API key has no secret of its
# own (below). Unset: such requests with a callback_url get 400.
REPORT_WEBHOOK_SECRET = env_str("REPORT_WEBHOOK_SECRET")
# While REPORT_WEBHOOK_SECRET is rotated: the one it replaces; events are signed with both.
REPORT_WEBHOOK_PREVIOUS_SECRET = env_str("REPORT_WEBHOOK_PREVIOUS_SECRET")
if REPORT_WEBHOOK_PREVIOUS_SECRET and not REPORT_WEBHOOK_SECRET:
    raise ImproperlyConfigured("REPORT_WEBHOOK_PREVIOUS_SECRET is set, REPORT_WEBHOOK_SECRET not")
# Optional API keys: when set, every endpoint that returns data needs `Authorization: Bearer
# <key>` (docs/api.md lists the public paths) and a job is visible only with the key that
# created it. Unset: the service is open. An entry may carry the key's own webhook secret
# (and, during a rotation, its previous one): `key:secret[:previous]` (config/api_keys.py);
# the events of that key's jobs are signed with it, and no other tenant holds it.
REPORT_API_KEYS, REPORT_WEBHOOK_KEY_SECRETS = api_keys(
    env_list("REPORT_API_KEYS", []),
    shared=(REPORT_WEBHOOK_SECRET, REPORT_WEBHOOK_PREVIOUS_SECRET),
)
# Host names (as written in callback URLs) exempt from the private-address check: named
# internal receivers. Everything else must resolve to public addresses only.
REPORT_WEBHOOK_ALLOW_HOSTS = [h.lower() for h in env_list("REPORT_WEBHOOK_ALLOW_HOSTS", [])]
# A delivery that keeps failing (timeouts, connection errors, 5xx, 429) is retried this long.
REPORT_WEBHOOK_RETRY_FOR = env_int("REPORT_WEBHOOK_RETRY_FOR", 24 * 3600, minimum=1)

# --- Retention: finished jobs are erased (input, report row, file) after this many days ---
REPORT_RETENTION_DAYS = env_int("REPORT_RETENTION_DAYS", 30, minimum=0)  # 0: keep forever
REPORT_RETENTION_INTERVAL = env_float("REPORT_RETENTION_INTERVAL", 3600.0, minimum=1.0)
# false: a job's input body is dropped as soon as its report is stored (the report stays).
REPORT_KEEP_INPUT = env_bool("REPORT_KEEP_INPUT", True)

# --- Celery --------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str(
    "CELERY_BROKER_URL",
    f"sqla+sqlite:///{DATA_DIR / 'broker.sqlite3'}" if EMBEDDED else "redis://127.0.0.1:6379/0",
)
# Hard limit per job; Redis's visibility timeout must stay well above it so that no job
# is ever delivered twice while it still runs.
REPORT_JOB_SOFT_TIME_LIMIT = env_int("REPORT_JOB_SOFT_TIME_LIMIT", 240, minimum=1)
REPORT_JOB_TIME_LIMIT = env_int("REPORT_JOB_TIME_LIMIT", 300, minimum=2)
REPORT_JOB_MAX_ATTEMPTS = env_int("REPORT_JOB_MAX_ATTEMPTS", 5, minimum=1)
# A job whose runs stopped their worker (pool process lost, hard time limit, heartbeat gone
# silent) this many times ends as FAILURE instead of being run again: quarantined.
REPORT_JOB_MAX_CRASHES = env_int("REPORT_JOB_MAX_CRASHES", 2, minimum=1)
# A running job renews its lease this often; three missed beats and it is presumed dead
# (reports/jobs/heartbeat.py), so the sweeper hands it to another worker within seconds.
REPORT_JOB_HEARTBEAT_SECONDS = env_float("REPORT_JOB_HEARTBEAT_SECONDS", 5.0, minimum=0.1)
# Each pool process may allocate this much on top of what it holds idle (RLIMIT_DATA,
# reports/jobs/memory.py); a job that needs more ends as FAILURE, the worker carries on.
REPORT_JOB_MEMORY_MB = env_int("REPORT_JOB_MEMORY_MB", 1536, minimum=64)
# The sweeper's period: with the heartbeat's lease, a dead worker's job runs again after at
# most 3 beats plus this.
REPORT_SWEEP_INTERVAL = env_float("REPORT_SWEEP_INTERVAL", 5.0, minimum=0.1)
# A job PENDING (published) this long is re-published.
REPORT_SWEEP_PENDING_AFTER = env_float("REPORT_SWEEP_PENDING_AFTER", 300.0, minimum=0.1)
if REPORT_JOB_SOFT_TIME_LIMIT >= REPORT_JOB_TIME_LIMIT:
    raise ImproperlyConfigured("REPORT_JOB_SOFT_TIME_LIMIT must be below REPORT_JOB_TIME_LIMIT")

CELERY_VISIBILITY_TIMEOUT = env_int(
    "CELERY_VISIBILITY_TIMEOUT", max(3600, REPORT_JOB_TIME_LIMIT * 4), minimum=1
)
if CELERY_VISIBILITY_TIMEOUT <= REPORT_JOB_TIME_LIMIT * 2:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must exceed twice REPORT_JOB_TIME_LIMIT")

CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = (
    {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # Off: kombu's emulation of acknowledgements (an "unacked" hash and index written
        # and cleared in Redis for every message, re-sent after the visibility timeout)
        # costs two Redis round trips and a JSON copy of every message; a message lost
        # with a dead worker is re-published by the sweeper from the job's row anyway,
        # sooner than the visibility timeout (an hour) would. A pool process that dies
        # still gets its message requeued at once (reject_on_worker_lost).
        "ack_emulation": env_bool("CELERY_REDIS_ACK_EMULATION", False),
        "socket_timeout": 5,
        "socket_connect_timeout": 3,
        # Publishing (in the request, after commit) tries once and gives up at once when
        # Redis is down: the row is stored and the sweeper publishes it later. Workers
        # keep their own reconnect loop (broker_connection_retry).
        "max_retries": 0,
        # Lets tests and several deployments share one Redis without seeing each other.
        "global_keyprefix": env_str("CELERY_BROKER_KEY_PREFIX", ""),
    }
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "unix://"))
    else {}
)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # kombu's Redis transport, fixed so a worker survives losing Redis mid-job (see there).
    CELERY_BROKER_TRANSPORT = "config.broker:RedisTransport"
# Publishing must not hang a request while the broker is down: the job row is stored
# first and the sweeper publishes whatever was not.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Flower shows tasks from the worker's events; the extra "sent" event per publish is off
# by default (one Redis round trip less per POST).
CELERY_TASK_SEND_SENT_EVENT = env_bool("CELERY_TASK_SEND_SENT_EVENT", False)
# Keep the worker's database connection across tasks (Celery closes it around every task
# otherwise); reports/tasks.py still drops broken or over-age connections before each task.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000, minimum=0)
# Task events (three Redis PUBLISHes per job) are off unless asked for: Flower switches them
# on in the running workers itself (its enable_events, on by default), so it still works.
CELERY_WORKER_SEND_TASK_EVENTS = env_bool("CELERY_WORKER_SEND_TASK_EVENTS", False)
# A pool process whose peak RSS went past a whole job's budget is replaced after its task
# (billiard reads the peak, ru_maxrss, in kB): a heap a big job left fragmented, or one
# that ran out of memory, does not linger in a process that runs the next jobs.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = REPORT_JOB_MEMORY_MB * 1024
CELERY_TASK_SOFT_TIME_LIMIT = REPORT_JOB_SOFT_TIME_LIMIT
CELERY_TASK_TIME_LIMIT = REPORT_JOB_TIME_LIMIT
CELERY_TASK_DEFAULT_QUEUE = "html"
CELERY_TASK_CREATE_MISSING_QUEUES = True
CELERY_TASK_ROUTES = {
    "reports.sweep_jobs": {"queue": "maintenance"},
    "reports.deliver_webhook": {"queue": "maintenance"},
    "reports.expire_jobs": {"queue": "maintenance"},
}
CELERY_BEAT_SCHEDULE = {
    "sweep-jobs": {
        "task": "reports.sweep_jobs",
        "schedule": REPORT_SWEEP_INTERVAL,
        "options": {"expires": REPORT_SWEEP_INTERVAL},
    },
    "expire-jobs": {
        "task": "reports.expire_jobs",
        "schedule": REPORT_RETENTION_INTERVAL,
        "options": {"expires": REPORT_RETENTION_INTERVAL},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_QUEUES = env_list("CELERY_WORKER_QUEUES", ["html", "pdf", "maintenance"])

# --- RabbitMQ (amqp:// URLs): config/broker.py says why each of these --------------------
# RabbitMQ drops a consumer's channel (and redelivers its messages) when a delivery stays
# unacknowledged longer than its consumer_timeout, which AMQP does not let us read: this
# says what the broker uses (RabbitMQ's default: 30 minutes). A job's message is acked when
# the job ends and may first wait behind one running job, hence twice the hard limit.
RABBITMQ_CONSUMER_TIMEOUT = env_int("RABBITMQ_CONSUMER_TIMEOUT", 1800, minimum=1)
if broker.is_rabbitmq(CELERY_BROKER_URL):
    if RABBITMQ_CONSUMER_TIMEOUT <= REPORT_JOB_TIME_LIMIT * 2:
        raise ImproperlyConfigured(
            "RabbitMQ's consumer_timeout must exceed twice REPORT_JOB_TIME_LIMIT: raise "
            "consumer_timeout in rabbitmq.conf, and set RABBITMQ_CONSUMER_TIMEOUT (in seconds) "
            "to the same value."
        )
    CELERY_BROKER_TRANSPORT_OPTIONS = broker.rabbitmq_transport_options()
    # The queues this process consumes: Celery's delayed delivery binds each known queue
    # when a worker starts and fails on one that does not exist yet. Any other queue is
    # declared alike when first published to (the two settings below).
    CELERY_TASK_QUEUES = broker.quorum_queues(CELERY_WORKER_QUEUES)
    CELERY_TASK_CREATE_MISSING_QUEUE_TYPE = "quorum"
    CELERY_TASK_CREATE_MISSING_QUEUE_EXCHANGE_TYPE = "topic"
    CELERY_WORKER_DETECT_QUORUM_QUEUES = True
    CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# --- Long polling: GET /assignment/<kind>/<id>?wait=<seconds> ----------------------------
# The web server's event loop (reports/api/front.py) holds waiting requests, not threads;
# each web process shares one LISTEN connection among them. See docs/api.md "Long polling".
REPORT_MAX_WAIT = env_float("REPORT_MAX_WAIT", 30.0, minimum=0.1)
# A status read of an unfinished job is held up to this long and answered the moment the
# job finishes: an eager poller makes one read per job instead of one per 5 ms. 0: never.
REPORT_STATUS_HOLD = env_float("REPORT_STATUS_HOLD", 0.25, minimum=0.0)
# Waits (?wait= and the hold above) one API key may have open at once in one web process;
# a ?wait= beyond it is a 429 with Retry-After, a plain read is answered without the hold.
REPORT_MAX_WAITS_PER_KEY = env_int("REPORT_MAX_WAITS_PER_KEY", 1000, minimum=1)
# A request body (after its headers) must arrive within this many seconds (408 beyond).
REPORT_BODY_TIMEOUT = env_float("REPORT_BODY_TIMEOUT", 60.0, minimum=0.1)

# --- Logs --------------------------------------------------------------------------------
# json: one JSON object per line, with the task id when there is one (for machines);
# plain: one readable line (for humans at a terminal).
LOG_FORMAT = env_str("LOG_FORMAT", "json").strip().lower()
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, got {LOG_FORMAT!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"task_id": {"()": "reports.ops.logs.TaskIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(task_id)s] %(message)s"},
        "json": {"()": "reports.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["task_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Celery's "Task … received" and "… succeeded in" lines repeat, per job, what the
        # service's own "job finished" line says (with the task id and the outcome).
        "celery.worker.strategy": {"level": env_str("CELERY_TASK_LOG_LEVEL", "WARNING")},
        "celery.app.trace": {"level": env_str("CELERY_TASK_LOG_LEVEL", "WARNING")},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "reports.api.request_body.RawJSONParser",
        "reports.api.request_body.TableParser",
        "reports.api.request_body.ZipParser",
    ],
    # Every answer is JSON whatever the Accept header (no 406); the status views serve the
    # finished HTML/PDF report themselves, by reports/api/negotiation.py.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "reports.api.negotiation.JsonOnly",
    "DEFAULT_AUTHENTICATION_CLASSES": ["reports.api.auth.ApiKeyAuthentication"],
    # The key check is authentication (reports/api/auth.py), which refuses a request without
    # a valid key when keys are configured; there is nothing left for permissions to do.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "reports.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Report Task API",
    "DESCRIPTION": (
        "Turns students' activity events into HTML and PDF reports, in the background. "
        "POST the events, then GET the status URL (optionally with ?wait=) for the report."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and Swagger UI are public pages without data (docs/api.md, "Public
    # paths"): a browser loads them by navigation, which carries no API key.
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from our own static files (drf-spectacular-sidecar): works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The time zones' names, the HTTP server's refusals, the links from a created job.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "reports.api.schema.complete.complete_schema",
    ],
    "ENUM_NAME_OVERRIDES": {
        "JobStateEnum": "reports.api.bodies.STATES",
        "AcceptedStateEnum": "reports.api.bodies.ACCEPTED_STATES",
    },
}
