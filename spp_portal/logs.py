"""
Structured logs: one JSON object per line on stdout, each carrying the request id and user id.

Several app servers write to stdout and the platform collects the lines; a reader follows one
request across the load balancer, the app server and the moderation log by its request id.
The load balancer may send an `X-Request-ID`; otherwise the portal makes one. Either way the
response carries it back, so a visitor's error report can be matched to the log.

Standard library only: a formatter, a filter and a middleware are a few lines each, and a
logging dependency would have to be trusted with every line the portal writes.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.http import HttpRequest
from django.utils.functional import empty

from safeguards.clientip import client_ip

logger = logging.getLogger("spp_portal.requests")

# The request being handled in this thread or task: its id, and the request to find its user.
_current: ContextVar[tuple[str, object] | None] = ContextVar("spp_current_request", default=None)

# What a load balancer's id may look like; anything else is replaced, so that a log line never
# carries what a visitor typed into a header.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# Attributes every LogRecord has; anything else was passed with `extra=` and is written out.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


# Passed with `extra=` for the filter to read (Django's own loggers pass the request this way), not data.
_NOT_WRITTEN = {"request"}


def current_request_id() -> str | None:
    current = _current.get()
    return current[0] if current else None


class RequestContextFilter(logging.Filter):
    """
    Adds `request_id`, `user_id` (None for anonymous visitors) and `client_ip` (the address behind
    the trusted proxies, as the rate limits see it: safeguards.clientip); all None outside a request.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        current = _current.get()
        request = current[1] if current else getattr(record, "request", None)
        # django.request logs 404s and 500s after the middleware has returned, with the request.
        record.request_id = current[0] if current else getattr(request, "request_id", None)
        record.user_id = _user_id(request) if request is not None else None
        record.client_ip = (client_ip(request) or None) if isinstance(request, HttpRequest) else None
        return True


class DowngradeToWarning(logging.Filter):
    """
    For loggers whose errors are the visitor's, not the portal's: Django logs a request for a host
    the portal does not serve (DisallowedHost, answered 400) at ERROR, which would page whoever
    watches errors for what is only a scanner. Written at WARNING instead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, user id, client address, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
            "client_ip": getattr(record, "client_ip", None),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry and key not in _NOT_WRITTEN:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestIdMiddleware:
    """Gives every request an id (the load balancer's X-Request-ID if sane), and logs its outcome."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if _REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        request.request_id = request_id
        token = _current.set((request_id, request))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    # What other middleware learnt about the request, e.g. the database it read from.
                    **getattr(request, "log_fields", {}),
                },
            )
            return response
        finally:
            _current.reset(token)


def _user_id(request) -> int | None:
    # Only a user the request has already looked up: finding it here would query the database
    # from inside a log call, and every cached anonymous page would pay for it.
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", user) is empty:
        return None
    return user.pk if user.is_authenticated else None
