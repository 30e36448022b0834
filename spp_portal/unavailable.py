"""
The database does not answer: the portal's 503 page with Retry-After, in seconds, never a 500.

The connection and statement timeouts (settings: DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT)
turn a database that is down, hung or locked into an error within seconds; this turns that error
into a "try again shortly" page in the reader's language, rendered without the database (no context
processor, no session, no cached fragment). A view's error is caught by the middleware; one raised
by other middleware (looking up a signed-in user's session) reaches `server_error`, the project's
handler500, which answers the same way. It is logged once a minute with a count, not per request.
Anonymous pages already in the page cache are still served: they need no database.
"""

import logging
import sys
import threading
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
LOG_SECONDS = 60
# SQLite says "unavailable" only in words; its other OperationalErrors ("no such table") are bugs.
SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error", "database is busy")

_lock = threading.Lock()
_last_logged = 0.0
_unlogged = 0


def is_unavailable(error: BaseException | None) -> bool:
    """A database that cannot be reached, timed out, or is locked: not a bug in the portal."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    module = type(cause).__module__ if cause is not None else ""
    if module.startswith("psycopg"):
        return True
    return any(words in str(error).lower() for words in SQLITE_UNAVAILABLE)


def unavailable_response(request, error: BaseException) -> HttpResponse:
    _log(request, error)
    mark_unavailable(request)
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_unavailable(exception):
            return unavailable_response(request, exception)
        return None


def server_error(request, *args, **kwargs):
    """handler500: the 503 page for an unavailable database, the stand-alone 500 page otherwise."""
    error = sys.exc_info()[1]
    if is_unavailable(error):
        return unavailable_response(request, error)
    return HttpResponse(render_to_string("500.html"), status=500)


def mark_unavailable(request) -> None:
    """This request's 503 is the database's absence, logged here (once a minute), not by Django per request."""
    request.database_unavailable = True


class NotDatabaseUnavailable(logging.Filter):
    """Drops Django's own per-request error line ("Service Unavailable: /en/") for those 503s."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        return not (getattr(record, "status_code", None) == 503 and getattr(request, "database_unavailable", False))


def _log(request, error: BaseException) -> None:
    global _last_logged, _unlogged
    with _lock:
        _unlogged += 1
        if time.monotonic() - _last_logged < LOG_SECONDS:
            return
        _last_logged, count, _unlogged = time.monotonic(), _unlogged, 0
    logger.error(
        "database unavailable: answering 503 (%s: %s)",
        type(error).__name__,
        str(error).strip().splitlines()[0] if str(error).strip() else "",
        extra={"requests_answered_503": count, "path": request.path},
    )
