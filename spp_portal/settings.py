"""
Settings for the North American Dialogue Portal.

One module, configured by environment variables. The defaults are safe: with
DJANGO_DEBUG off (the default) the portal refuses to start until production
values are given. `make run` turns DJANGO_DEBUG on for the embedded SQLite
development server; `make test` and `make serve` set what they need.

Environment variables:
  DJANGO_DEBUG            "1" for development only (default off)
  DJANGO_SECRET_KEY       required when DJANGO_DEBUG is off
  DJANGO_ALLOWED_HOSTS    comma-separated host names, required when DJANGO_DEBUG is off
  DJANGO_HTTPS            "0" when not served over HTTPS (default: on unless DJANGO_DEBUG)
  DATABASE_URL            e.g. postgres://user@host:5432/name (default: SQLite file db.sqlite3)
  REDIS_URL               e.g. redis://127.0.0.1:6379/0: shared cache, sessions and rate limits
  DJANGO_CACHE_DIR        file cache shared by the workers of one server when REDIS_URL is unset
  EMAIL_URL-like settings EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
                          EMAIL_USE_TLS, EMAIL_TIMEOUT, DEFAULT_FROM_EMAIL (SMTP when EMAIL_HOST is set)
  CELERY_BROKER_URL       e.g. redis://127.0.0.1:6379/1: the outbox's Celery worker (otherwise a thread sends)
  DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT   seconds (3 and 5; 0 = none)
  PORTAL_CONTACT_EMAIL    the contact address shown on every page (default: DEFAULT_FROM_EMAIL's)
  PORTAL_URL              the public address used in email, required when DJANGO_DEBUG is off
  TRUSTED_PROXY_COUNT     proxies in front of the app servers (X-Forwarded-For); default 0
  TRUSTED_CLIENT_IP_HEADER or the header a trusted proxy sets to the client's address
  DJANGO_HSTS_PRELOAD     "1" to ask for HSTS preloading (default off)
  SECURITY_CONTACT        security.txt's Contact (default: mailto: DEFAULT_FROM_EMAIL's address)
  DJANGO_MEDIA_ROOT       uploaded files (attachments, statement documents, open-data dumps); default var/media
  S3_BUCKET, S3_ENDPOINT_URL, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY
                          those files in S3-compatible object storage instead, shared by every app server
  ATTACHMENT_MAX_FILES, ATTACHMENT_MAX_MB, ATTACHMENT_RATE_LIMIT_COUNT, STATEMENT_DOCUMENT_MAX_MB: see the README
  OFFICIAL_IDLE_TIMEOUT_MINUTES, SEARCH_/VERIFY_/REPORT_/SUPPORT_RATE_LIMIT_COUNT: see the README
  ORGANISATION_INVITATION_DAYS, INVITATION_/ORGANISATION_RATE_LIMIT_COUNT: see the README
"""

import os
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or default


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set DJANGO_SECRET_KEY to a long random value "
            "(or DJANGO_DEBUG=1 for local development only)."
        )
    SECRET_KEY = "django-insecure-development-only-never-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is not set. Set DJANGO_ALLOWED_HOSTS to the portal's host names, "
        "comma-separated (or DJANGO_DEBUG=1 for local development only)."
    )

INSTALLED_APPS = [
    # modeltranslation patches models and must come before the admin.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    # The portal's own layers, bottom first: each imports only those listed before it.
    "safeguards",
    "outbox",
    "pagecache",
    "priorities",
    "dialogue",
    "publicapi",
    "spp_portal",
]

MIDDLEWARE = [
    # The headers first, so that every response carries them: also the HTTPS redirect that
    # SecurityMiddleware answers by itself, and a 400 for an unknown host from later middleware.
    "spp_portal.middleware.SecurityHeadersMiddleware",
    "spp_portal.middleware.ContentSecurityPolicyMiddleware",  # django-csp's, the policy built once
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before everything that may log or answer early: each request gets its id (static files aside).
    "spp_portal.logs.RequestIdMiddleware",
    # An anonymous GET of a page already served from the page cache is answered here, with that
    # finished response, before the middleware below (which decide nothing for it); see pagecache/middleware.py.
    "pagecache.middleware.EarlyPageMiddleware",
    # A database that does not answer gets the portal's 503 page with Retry-After, quickly.
    "spp_portal.unavailable.DatabaseUnavailableMiddleware",
    # Which database this request reads from (a no-op without DATABASE_REPLICA_URL).
    "spp_portal.replicas.ReplicaMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is known (its 404 and 400 pages speak it), before any view reads the path.
    # /api/ only: CORS, API keys, rate limits, conditional requests, the page cache, problem details
    # (before the next one, so that its 400 for a NUL byte is answered as problem details too).
    "publicapi.middleware.PublicApiMiddleware",
    "spp_portal.middleware.RefuseInvalidCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "spp_portal.middleware.OfficialSessionMiddleware",
    "spp_portal.middleware.RequireMFAForOfficialsMiddleware",
]

ROOT_URLCONF = "spp_portal.urls"
WSGI_APPLICATION = "spp_portal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "spp_portal.context_processors.portal",
                "dialogue.context_processors.moderation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# A database that does not answer must cost a request seconds, not gunicorn's 30 s worker timeout:
# connecting gives up after DATABASE_CONNECT_TIMEOUT (libpq counts at least 2 s), a statement after
# DATABASE_STATEMENT_TIMEOUT (PostgreSQL's statement_timeout; SQLite's busy timeout: the wait for
# another writer's lock). Either answers the portal's 503 page (spp_portal/unavailable.py).
# 0 turns a timeout off: for long maintenance (a migration building an index on a large table).
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 3)
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 5)
# PostgreSQL: the parameters sent apart from the query, and a query the connection has run
# PREPARE_THRESHOLD times kept parsed and planned by the server (psycopg's prepared statements;
# Django's default is neither). Every signed-in request asks the same few queries, and parsing and
# planning them again cost the server more than running them (issue 17: the signed-in statement
# page 1,021 -> 1,361 req/s, the moderation queue 756 -> 1,073, make bench on PostgreSQL).
# DATABASE_PREPARED_STATEMENTS=0 turns both off: behind a pooler that shares server sessions
# between clients (PgBouncer's transaction mode without max_prepared_statements).
PREPARED_STATEMENTS = (
    {"server_side_binding": True, "prepare_threshold": env_int("DATABASE_PREPARE_THRESHOLD", 5)}
    if env_bool("DATABASE_PREPARED_STATEMENTS", True)
    else {}
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer writes; IMMEDIATE transactions take the
    # write lock up front, so two concurrent writers wait instead of failing to upgrade, and
    # spp_portal.sqlite3 queues them (without it each waiter sleeps in SQLite's busy handler).
    # Connections persist like PostgreSQL's: opening one and running these pragmas cost a
    # signed-in request about 3 ms. `timeout`: how long a writer waits for the others.
    DATABASES["default"]["ENGINE"] = "spp_portal.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": DATABASE_STATEMENT_TIMEOUT or 60,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with a health check that needs no round trip while the server has said nothing.
    DATABASES["default"]["ENGINE"] = "spp_portal.postgresql"
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.update(PREPARED_STATEMENTS)
    if DATABASE_CONNECT_TIMEOUT:
        options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    if DATABASE_STATEMENT_TIMEOUT:
        options.setdefault("options", f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT * 1000}")

# A PostgreSQL streaming replica for the public reads (spp_portal/replicas.py): anonymous pages,
# feeds, search, open data and the API read from it while it is current; writes, officials'
# pages and a browser's reads for a few seconds after it wrote go to the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
REPLICA_READ_YOUR_WRITES_SECONDS = env_int("REPLICA_READ_YOUR_WRITES_SECONDS", 10)
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 30)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    DATABASES["replica"]["ENGINE"] = "spp_portal.postgresql"
    # A replica that does not answer is skipped quickly; tests read the primary under this name.
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 2, **PREPARED_STATEMENTS}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["spp_portal.replicas.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions --------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, failing soft (pagecache/backends.py): with Redis unreachable, pages
            # render from the database, sessions come from the database, and allauth's rate limits
            # count in each process's memory; the outage is logged once a minute, not per request.
            "BACKEND": "pagecache.backends.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "spp",
            "OPTIONS": {
                # A Redis that does not answer costs a request this long, once per RETRY_SECONDS.
                "socket_connect_timeout": 1,
                "socket_timeout": 2,
                "RETRY_SECONDS": 5,
                "LOG_SECONDS": 60,
                "LOCAL_FALLBACK_PREFIXES": ["allauth:rl:"],
            },
        }
    }
else:
    # A file cache is shared by every worker process of one server, so invalidating a
    # cached page in one worker is seen by the others. Several servers need REDIS_URL.
    # Django's, checking whether it is full once every 100 writes, not at each (pagecache/backends.py).
    CACHES = {
        "default": {
            "BACKEND": "pagecache.backends.FileCache",
            "LOCATION": os.environ.get("DJANGO_CACHE_DIR", str(BASE_DIR / "var" / "cache")),
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
# Sessions are read from the shared cache and written through to the database: a signed-in
# request saves a query, and a session evicted from the cache is read back from the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Anonymous public pages are served from the cache (pagecache/cache.py) for at most this long,
# less when a scheduled statement or comment period is due sooner. 0 turns the page cache off;
# it is off by default in development, where a cached page would hide template edits.
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", 0 if DEBUG else 600)
# A CDN or reverse proxy in front (pagecache/cache.py, "Tags"): the header that carries a cached
# page's tags, and the hook called with the dropped tags after each invalidation commits
# (e.g. "pagecache.purge.http_ban", which sends BAN requests to PAGECACHE_PURGE_URLS).
PAGECACHE_SURROGATE_HEADER = os.environ.get("PAGECACHE_SURROGATE_HEADER", "Surrogate-Key")
PAGECACHE_PURGE = os.environ.get("PAGECACHE_PURGE", "")
PAGECACHE_PURGE_URLS = env_list("PAGECACHE_PURGE_URLS", [])

# `make bench` only: adds the bare template page that measures this machine's ceiling.
BENCHMARK = env_bool("SPP_BENCHMARK", False)

# --- Authentication (django-allauth) ----------------------------------------

# allauth's backend (which extends Django's ModelBackend), reading permissions in one query.
# ModelBackend itself is not listed: it would add a second, password-only way in.
AUTHENTICATION_BACKENDS = ["spp_portal.auth.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
# Reversed while the sign-out request is handled, under its language prefix: signing out from
# /es/ lands on /es/, not on the browser's language.
LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "dialogue.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "dialogue.forms.SignupForm"
ACCOUNT_USER_DISPLAY = "dialogue.adapter.user_display"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# Nobody learns from the portal who is registered: sign-up with a registered address and a
# password reset for an unknown one answer exactly as for any other address, and the address's
# owner is emailed instead ("you already have an account" / "no account uses this address").
# The sign-up and reset rate limits still apply.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None  # ask: the "remember me" box on the sign-in form (never kept for officials)
ACCOUNT_FORMS = {"login": "spp_portal.auth.LoginForm"}
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# The subject prefix is the portal's name in the recipient's language: AccountAdapter.format_email_subject.
# The account's owner is emailed when its password, email addresses or two-factor set-up change
# (templates/account/email/, templates/mfa/email/: the portal's own wording in the three languages).
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if env_bool("DJANGO_HTTPS", not DEBUG) else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "North American Dialogue Portal"

# --- The dialogue ------------------------------------------------------------

# At most this many submissions per stakeholder in this many seconds.
COMMENT_RATE_LIMIT = (env_int("COMMENT_RATE_LIMIT_COUNT", 5), env_int("COMMENT_RATE_LIMIT_SECONDS", 600))
# Files attached to a comment (safeguards/files.py recognises them by their content): how many,
# how large each, and how many one stakeholder may upload a day.
ATTACHMENT_MAX_FILES = env_int("ATTACHMENT_MAX_FILES", 5)
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 10) * 1024 * 1024
ATTACHMENT_RATE_LIMIT = (env_int("ATTACHMENT_RATE_LIMIT_COUNT", 30), 24 * 3600)
# A publisher's official document (PDF) on a statement.
STATEMENT_DOCUMENT_MAX_BYTES = env_int("STATEMENT_DOCUMENT_MAX_MB", 30) * 1024 * 1024
# Django refuses a request with more files than this outright (400, the text lost): above the
# form's own limit, so that a sixth attachment is refused by the form, with the text kept.
DATA_UPLOAD_MAX_NUMBER_FILES = ATTACHMENT_MAX_FILES + 5
# How long the author of a rejected comment may appeal the decision (days after the rejection).
APPEAL_DAYS = env_int("APPEAL_DAYS", 30)
# How long an invitation to join an organisation can be accepted (days after it was sent).
ORGANISATION_INVITATION_DAYS = env_int("ORGANISATION_INVITATION_DAYS", 14)
# Campaigns (dialogue/campaigns.py): a submission joins an earlier one from another author on the
# same statement when the Jaccard similarity of their word shingles reaches this threshold. Off
# (CAMPAIGN_GROUPING=0) nothing is grouped: `make bench` measures submission both ways.
CAMPAIGN_GROUPING = env_bool("CAMPAIGN_GROUPING", True)
CAMPAIGN_SIMILARITY = float(os.environ.get("CAMPAIGN_SIMILARITY", "0.8"))
# Distinct reports that hide a published comment until a moderator reviews it.
FLAG_THRESHOLD = env_int("FLAG_THRESHOLD", 3)
# The version of the terms of participation a new stakeholder accepts (recorded with the date).
TERMS_VERSION = "2026-11"
# The portal's public address, for links in email sent outside a request (and security.txt):
# required in production, where a wrong default would send every reader to a dead link.
PORTAL_URL = os.environ.get("PORTAL_URL", "").strip().rstrip("/")
if not PORTAL_URL:
    if not DEBUG:
        raise ImproperlyConfigured(
            "PORTAL_URL is not set. Set PORTAL_URL to the portal's public address, e.g. "
            "https://portal.example.org: links in email use it (or DJANGO_DEBUG=1 for local development only)."
        )
    PORTAL_URL = "http://127.0.0.1:8000"
if not PORTAL_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"PORTAL_URL must start with https:// or http:// (it is {PORTAL_URL!r}).")

# --- Email ------------------------------------------------------------------

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "North American Dialogue <dialogue@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Where readers write to the people who run the portal (every page's footer, the accessibility
# statement's "report a barrier"): the sender's address unless a mailbox read by people is set.
PORTAL_CONTACT_EMAIL = os.environ.get("PORTAL_CONTACT_EMAIL") or parseaddr(DEFAULT_FROM_EMAIL)[1]
# Every email is an outbox row written in the transaction that causes it (outbox/backends.py); a
# worker sends it through OUTBOX_DELIVERY_BACKEND: SMTP when EMAIL_HOST is set, the console otherwise.
EMAIL_BACKEND = "outbox.backends.OutboxBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
if EMAIL_HOST:
    OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.console.EmailBackend"
# A failed send is retried after OUTBOX_RETRY_SECONDS, then twice as long each time, at most
# OUTBOX_RETRY_MAX_SECONDS apart; after OUTBOX_MAX_ATTEMPTS (about two days) it is given up and kept.
OUTBOX_RETRY_SECONDS = env_int("OUTBOX_RETRY_SECONDS", 30)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 3600)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 50)
# How often the sweep runs (Celery beat, or the app process's sender without a broker).
OUTBOX_SWEEP_SECONDS = env_int("OUTBOX_SWEEP_SECONDS", 60)
OUTBOX_KEEP_SENT_DAYS = env_int("OUTBOX_KEEP_SENT_DAYS", 7)
# A backlog older than this makes /healthz say the outbox is degraded.
OUTBOX_BACKLOG_DEGRADED_SECONDS = env_int("OUTBOX_BACKLOG_DEGRADED_SECONDS", 900)

# --- The outbox's worker (Celery) ---------------------------------------------

# Unset (the default): no worker; the app process's background thread sends the outbox.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# Publishing happens off the request (a thread); still, a broker that does not answer is given up
# on within seconds: the outbox row is already safe, and the sweep will send it.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 2, "socket_connect_timeout": 2}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery 6's default, set now (no task acknowledges late here); silences its warning on every broker loss.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# --- Notifications (dialogue/notifications.py) --------------------------------

# Moderators are prompted when comments start waiting, at most once every this many minutes.
MODERATION_PROMPT_MINUTES = env_int("MODERATION_PROMPT_MINUTES", 30)
# The daily digests of what people follow go out once a day, from this hour (TIME_ZONE).
NOTIFICATION_DIGEST_HOUR = env_int("NOTIFICATION_DIGEST_HOUR", 7)
# How often the notification sweep runs under Celery beat (cron: `manage.py send_notifications`).
NOTIFICATION_SWEEP_SECONDS = env_int("NOTIFICATION_SWEEP_SECONDS", 60)
# The sweep announces the record's changes (periods, publications) this long after they are dated,
# so that one committed a moment after it was dated is never passed over.
NOTIFICATION_SETTLE_SECONDS = 60

CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "outbox.send_due", "schedule": float(OUTBOX_SWEEP_SECONDS)},
    "notification-sweep": {"task": "dialogue.send_notifications", "schedule": float(NOTIFICATION_SWEEP_SECONDS)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "fr", "es")
# A text missing in one language is shown from another official version; the statement
# page says plainly which official versions exist and shows the original. The portal
# never invents a translation.
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en", "fr", "es")

# The three capitals in which comment-period deadlines are shown.
CAPITAL_TIME_ZONES = [
    ("Ottawa", "America/Toronto"),
    ("Mexico City", "America/Mexico_City"),
    ("Washington", "America/New_York"),
]

# --- Static files -----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The default storage holds the uploaded files (comment attachments, statement documents) and the
# open-data dumps (manage.py dump_open_data): a folder here, never served as static media (the
# portal's views hand files out, safeguards.files.download_response), or, with S3_BUCKET set, an
# S3-compatible object store (django-storages) that every app server behind the balancer shares.
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT", str(BASE_DIR / "var" / "media"))
if os.environ.get("S3_BUCKET"):
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["S3_BUCKET"],
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            # Private objects, read only through the portal (which checks who may download them).
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Forms ------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security ---------------------------------------------------------------

HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
# HSTS preload asks browsers' built-in lists to refuse plain HTTP for the domain and all its
# subdomains, for months after it is withdrawn: only when the domain's owner asks for it.
HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
if HTTPS:
    SECURE_SSL_REDIRECT = True
    # Load balancers probe the health check over plain HTTP and count a redirect as a failure.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = HSTS_PRELOAD
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix: browsers accept these cookies only over HTTPS, for path /, from this
    # very host (no Domain), so neither a subdomain nor a plain-HTTP page can plant or replace them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
if HTTPS and not HSTS_PRELOAD:
    # check --deploy asks for preload; the portal leaves that choice to DJANGO_HSTS_PRELOAD (above).
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# Our own page when a form's CSRF token is missing or stale: Django's explains its internals.
CSRF_FAILURE_VIEW = "spp_portal.views.csrf_failure"

# No inline scripts or styles anywhere, so the policy needs no 'unsafe-inline' and no nonce
# (a nonce would also make every cached page unique).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
        # Violations are reported to the portal, which logs them (spp_portal/views.py, csp_report):
        # report-uri for the browsers that only know it, report-to (Reporting-Endpoints) for the rest.
        "report-uri": ["/csp-report"],
        "report-to": "csp",
    }
}
# The endpoint "report-to csp" names (spp_portal.middleware.SecurityHeadersMiddleware sends it).
REPORTING_ENDPOINTS = 'csp="/csp-report"'

# --- Security: client addresses, officials, limits, disclosure (issue 18) -----------------

# Client addresses behind proxies (safeguards/clientip.py): how many proxies in front of the app
# servers append to X-Forwarded-For (a load balancer: 1; a CDN in front of it: 2). 0 = none: the
# header is ignored and the connection's address is the client. Or name the one header the
# proxy sets and a client cannot (X-Real-IP, CF-Connecting-IP). allauth's sign-in limits and the
# logs read the same address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 (no proxy) or the number of trusted proxies.")
TRUSTED_CLIENT_IP_HEADER = os.environ.get("TRUSTED_CLIENT_IP_HEADER", "").strip() or None

# Officials (moderators, publishers, admin users): the session ends with the browser and after
# this long without a request; publishing, bulk decisions and role changes ask for the password
# again unless it was given in the last ACCOUNT_REAUTHENTICATION_TIMEOUT seconds.
OFFICIAL_IDLE_TIMEOUT = env_int("OFFICIAL_IDLE_TIMEOUT_MINUTES", 30) * 60
ACCOUNT_REAUTHENTICATION_TIMEOUT = 5 * 60

# (requests, seconds) per client address (reports: per stakeholder), counted in the shared cache;
# beyond them the portal answers 429 with Retry-After (safeguards/ratelimit.py).
SEARCH_RATE_LIMIT = (env_int("SEARCH_RATE_LIMIT_COUNT", 30), 60)
VERIFY_RATE_LIMIT = (env_int("VERIFY_RATE_LIMIT_COUNT", 20), 60)
REPORT_RATE_LIMIT = (env_int("REPORT_RATE_LIMIT_COUNT", 10), 600)
SUPPORT_RATE_LIMIT = (env_int("SUPPORT_RATE_LIMIT_COUNT", 30), 600)
# Following or unfollowing statements and priorities, per person per 10 minutes.
FOLLOW_RATE_LIMIT = (env_int("FOLLOW_RATE_LIMIT_COUNT", 30), 600)
# Invitations to join an organisation (each sends an email) and organisations registered, per person.
INVITATION_RATE_LIMIT = (env_int("INVITATION_RATE_LIMIT_COUNT", 20), 3600)
ORGANISATION_RATE_LIMIT = (env_int("ORGANISATION_RATE_LIMIT_COUNT", 5), 3600)
CSP_REPORT_RATE_LIMIT = (60, 60)
# The public API (/api/v1/): requests an hour per client address without a key, and per key with one.
API_RATE_LIMIT_ANONYMOUS = (env_int("API_RATE_LIMIT_ANONYMOUS_COUNT", 300), 3600)
API_RATE_LIMIT_KEY = (env_int("API_RATE_LIMIT_KEY_COUNT", 5000), 3600)
# Keys one person may create in an hour, and hold at once (revoked ones do not count).
API_KEY_CREATE_RATE_LIMIT = (20, 3600)
API_KEYS_PER_ACCOUNT = 10
# Where `manage.py dump_open_data` writes the bulk dumps, in the default storage.
OPEN_DATA_DUMP_PREFIX = "open-data/dumps"
CSP_REPORT_MAX_BYTES = 16 * 1024

# Powerful browser features the portal never uses, refused to it and to anything it might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "midi", "payment", "serial", "usb",
    )
)  # fmt: skip

# /.well-known/security.txt (RFC 9116): where to report a vulnerability. A mailto: or https: URI;
# by default the address the portal's email comes from.
SECURITY_CONTACT = os.environ.get("SECURITY_CONTACT", "").strip() or f"mailto:{parseaddr(DEFAULT_FROM_EMAIL)[1]}"

# --- Logging ----------------------------------------------------------------

# One JSON object per line on stdout, with the request id and user id (spp_portal/logs.py);
# DJANGO_LOG_FORMAT=text for people reading a terminal (the default in development).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "spp_portal.logs.RequestContextFilter"},
        "not_database_unavailable": {"()": "spp_portal.unavailable.NotDatabaseUnavailable"},
        "downgrade_to_warning": {"()": "spp_portal.logs.DowngradeToWarning"},
    },
    "formatters": {
        "json": {"()": "spp_portal.logs.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[%(request_id)s user=%(user_id)s ip=%(client_ip)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_context"],
            "formatter": os.environ.get("DJANGO_LOG_FORMAT", "text" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Our 503 for an unavailable database is logged by spp_portal/unavailable.py, once a minute.
        "django.request": {"filters": ["not_database_unavailable"]},
        # A request for a host the portal does not serve is a scanner's, answered 400: WARNING, not ERROR.
        "django.security.DisallowedHost": {"filters": ["downgrade_to_warning"]},
    },
}
