"""
What /healthz reports: each dependency with its state ("ok", "degraded" or "down").

The page is public (load balancers probe it), so it names states, never hosts, ports or error
texts: those are in the logs.

- database: a `SELECT 1` (within DATABASE_CONNECT_TIMEOUT / DATABASE_STATEMENT_TIMEOUT);
- cache: a round trip to Redis now (the fail-soft cache's ping), or a set-and-get on another cache;
  "degraded" when it fails: pages are served from the database;
- outbox: how many emails wait and for how long; "degraded" when the oldest has waited more than
  OUTBOX_BACKLOG_DEGRADED_SECONDS (SMTP or the worker is down; nothing is lost) or some were given up;
- broker: only when CELERY_BROKER_URL is set; "degraded" when it does not answer (mail waits in
  the outbox and leaves with the sweep).
"""

import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Min
from django.utils import timezone
from kombu import Connection

from outbox.models import Message

logger = logging.getLogger(__name__)

OK, DEGRADED, DOWN = "ok", "degraded", "down"


def checks() -> dict:
    result = {"database": database()}
    result["cache"] = cache_state()
    result["outbox"] = outbox() if result["database"]["state"] == OK else {"state": DOWN}
    if settings.CELERY_BROKER_URL:
        result["broker"] = broker()
    return result


def database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("healthz: the database does not answer (%s)", _first_line(error))
        return {"state": DOWN}
    return {"state": OK}


def cache_state() -> dict:
    ping = getattr(cache, "ping", None)
    if ping is not None:
        problem = ping()  # the cache logs its own outage, once a minute
        return {"state": DEGRADED} if problem else {"state": OK}
    token = secrets.token_hex(8)
    try:
        cache.set("healthz:probe", token, 10)
        answered = cache.get("healthz:probe") == token
    except Exception as error:
        logger.warning("healthz: the cache fails (%s)", _first_line(error))
        return {"state": DEGRADED}
    return {"state": OK if answered else DEGRADED}


def outbox() -> dict:
    try:
        pending = Message.objects.pending().aggregate(oldest=Min("created_at"))
        waiting = Message.objects.pending().count()
        given_up = Message.objects.failed().count()
    except DatabaseError:
        return {"state": DOWN}
    oldest = round((timezone.now() - pending["oldest"]).total_seconds()) if pending["oldest"] else 0
    state = DEGRADED if oldest > settings.OUTBOX_BACKLOG_DEGRADED_SECONDS or given_up else OK
    return {"state": state, "waiting": waiting, "oldest_waiting_seconds": oldest, "given_up": given_up}


def broker() -> dict:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=1, transport_options={"socket_timeout": 1}) as c:
            c.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
    except Exception as error:
        logger.warning("healthz: the broker does not answer (%s)", _first_line(error))
        return {"state": DEGRADED}
    return {"state": OK}


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"
