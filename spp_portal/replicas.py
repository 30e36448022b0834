"""
Reads from a PostgreSQL streaming replica, when DATABASE_REPLICA_URL names one.

Which requests read from the replica (ReplicaMiddleware decides, the router follows):
- safe requests (GET, HEAD) of the public pages, feeds, search, open data and the API;
- never the officials' pages (/moderation/, /admin/) or the account pages, and never a browser
  that wrote in the last REPLICA_READ_YOUR_WRITES_SECONDS (a cookie set on every POST): a
  stakeholder sees their comment, and their receipt, at once, from the primary;
- every write goes to the primary, always.

The replica is used only while it is current: after each change to what the public sees (a
page-cache invalidation, pagecache.register_invalidation_listener) the primary's WAL position
is noted in the shared cache, and a request reads from the replica only once the replica has
replayed that far (one query, made at the request's first read: a page served from the page
cache costs none). So a page rendered from a lagging replica is never stored under a new
generation; an approval is public at once, from the primary until the replica has it. A replica
that does not answer (connect timeout 2 s) is left alone for REPLICA_RETRY_SECONDS and the
primary serves.
"""

import re
import time
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DatabaseError, connections

REPLICA = "replica"
PRIMARY = "default"
RECENT_WRITE_COOKIE = "spp_recent_write"
FRESH_AFTER_KEY = "replica:fresh-after-lsn"
# Pages whose reads always come from the primary: officials' work and one's own account.
PRIMARY_ONLY = re.compile(r"^/(?:[a-z]{2}(?:-[a-z]+)?/)?(?:admin|moderation|accounts|dialogue/mine|dialogue/receipt)/")

# Per request: may it read from the replica, and (once its first read asked) where it reads.
_allowed: ContextVar[bool] = ContextVar("replica_allowed", default=False)
_read_from: ContextVar[str | None] = ContextVar("replica_read_from", default=None)
# This process's note that the replica did not answer, until when (a monotonic time).
_down_until = 0.0


def configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Reads go where ReplicaMiddleware allowed and the replica is current; writes and migrations to the primary."""

    def db_for_read(self, model, **hints):
        where = _read_from.get()
        if where is None:
            where = REPLICA if _allowed.get() and replica_is_current() else PRIMARY
            _read_from.set(where)
        return where

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReplicaMiddleware:
    def __init__(self, get_response):
        if not configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        allowed = (
            request.method in {"GET", "HEAD"}
            and RECENT_WRITE_COOKIE not in request.COOKIES
            and not PRIMARY_ONLY.match(request.path_info)
        )
        allowed_token, read_token = _allowed.set(allowed), _read_from.set(None)
        try:
            response = self.get_response(request)
            if where := _read_from.get():  # for the request log: None when nothing was read (a cached page)
                request.log_fields = {**getattr(request, "log_fields", {}), "database": where}
        finally:
            _allowed.reset(allowed_token)
            _read_from.reset(read_token)
        if request.method not in {"GET", "HEAD", "OPTIONS"}:
            # Read your own writes: this browser's next pages come from the primary for a while.
            response.set_cookie(
                RECENT_WRITE_COOKIE,
                "1",
                max_age=settings.REPLICA_READ_YOUR_WRITES_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def replica_is_current() -> bool:
    """The replica answers and has replayed every change the page cache has been told about."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    fresh_after = cache.get(FRESH_AFTER_KEY)
    try:
        with connections[REPLICA].cursor() as cursor:
            if fresh_after:
                cursor.execute("SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)", [fresh_after])
            else:
                cursor.execute("SELECT true")
            return bool(cursor.fetchone()[0])
    except DatabaseError:
        _down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        connections[REPLICA].close()
        return False


def note_primary_position(tags) -> None:
    """After a change to the public pages commits: the replica must replay at least this far to be read."""
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            position = cursor.fetchone()[0]
    except DatabaseError:
        return
    cache.set(FRESH_AFTER_KEY, position, timeout=None)
