"""
Rate limits for the portal's own public actions (search, verification, reports), counted in the
shared cache, so every app server behind the load balancer counts the same attempts.

allauth limits the account flows itself (sign-in, sign-up, password reset, …) in the same cache
and by the same client address (safeguards.clientip, through the account adapter). Its limiter
is internal to allauth and never counts GET requests, and search and verification are GETs:
hence this small counter. A fixed window per client: `cache.add` starts it, `cache.incr` counts
(atomic in Redis), and the window's end is the `Retry-After` a refused client is told.

If the cache cannot be reached the request is let through: a rate limit is a brake on abuse,
not a reason to turn every visitor away while the cache is down.
"""

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .clientip import client_ip
from .events import RATE_LIMITED, security_event


@dataclass(frozen=True)
class Window:
    """Where a client stands in its current window: for the RateLimit-* headers of the API."""

    limit: int
    count: int  # attempts in this window, this one included (0: the cache could not count)
    reset: int  # seconds until the window ends
    seconds: int = 0  # the window's length

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def count(request: HttpRequest, *, scope: str, limit: int, seconds: int, key: str = "") -> Window:
    """
    Count one attempt at `scope` by this client (its address, or `key` when given, e.g. a user or
    an API key) in the current fixed window of `seconds`, and say where it stands.
    """
    now = time.time()
    window = int(now // seconds)
    reset = max(1, math.ceil((window + 1) * seconds - now))
    who = hashlib.sha256((key or client_ip(request) or "unknown").encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{seconds}:{who}:{window}"
    try:
        attempts = 1 if cache.add(cache_key, 1, timeout=seconds + 1) else cache.incr(cache_key)
    except ValueError:  # the window expired between add and incr: this is the first attempt of the next one
        attempts = 1
    except Exception:  # an unreachable cache must not refuse the request (see above)
        attempts = 0
    return Window(limit=limit, count=attempts, reset=reset, seconds=seconds)


def hit(request: HttpRequest, *, scope: str, limit: int, seconds: int, key: str = "") -> int | None:
    """
    Count one attempt at `scope` by this client (its address, or `key` when given, e.g. a user).
    None while the client is within `limit` attempts per `seconds`; otherwise the number of
    seconds until it may try again.
    """
    window = count(request, scope=scope, limit=limit, seconds=seconds, key=key)
    return window.reset if window.exceeded else None


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """429 in the portal's layout and the reader's language, saying when to try again."""
    response = render(request, "429.html", {"retry_after_minutes": math.ceil(retry_after / 60)}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(scope: str, setting: str, *, per_user: bool = False, methods: tuple[str, ...] = ("GET", "POST")):
    """
    Decorate a view: at most settings.<setting> = (count, seconds) requests by `methods` per client
    address (or per signed-in user with `per_user`), then 429 with Retry-After.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method in methods:
                limit, seconds = getattr(settings, setting)
                key = f"user:{request.user.pk}" if per_user and request.user.is_authenticated else ""
                retry_after = hit(request, scope=scope, limit=limit, seconds=seconds, key=key)
                if retry_after is not None:
                    security_event(RATE_LIMITED, scope=scope, retry_after=retry_after)
                    return too_many_requests(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
