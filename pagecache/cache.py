"""
The page cache: whole public pages, and fragments shared by many readers, served from Django's cache.

This is the portal's bottom layer: it knows nothing of statements or comments. The apps above
decorate their views with `cache_public_page`, keep shared parts of signed-in pages with
`cached_fragment` (or the `{% shared_fragment %}` tag), call `invalidate_public_pages()` when
what the public sees changes, and register when their content changes by itself
(`register_next_change`, e.g. a scheduled publication) from their `AppConfig.ready()`.

Most readers are anonymous, and every anonymous reader of a page sees the same page, so
it is rendered once and then served from the cache (Redis when several app servers share
it, a file cache shared by one server's workers otherwise) without touching the database.

What a cached page may hold, and for how long:
- Only requests that carry no session cookie and no flash-message cookie are served or
  stored; everyone else (signed in, or with something in their session) gets a fresh page.
- Only plain 200 responses are stored, and never one that sets a cookie, uses a CSRF token,
  shows a flash message added by this request, or changes the session: such a page belongs
  to one visitor.
- Pages are stored gzip-compressed (once, when stored); a client that accepts gzip, as every
  browser does, is sent the compressed copy, any other the page decompressed.
- Keys hold the language, the host, the path, the query parameters the view declares (in a
  fixed order; any other parameter is dropped from the request before the view sees it, so
  `?utm_source=…` is the same page) and the "public content generation". A declared parameter
  whose value is not of its declared shape (`page=abc`, `page=99999999`) gets a fresh page
  that is not stored: a stream of junk query strings cannot fill the cache.
  `invalidate_public_pages()` starts a new generation, which drops every cached page at once
  on every server sharing the cache.
- Scheduled content must not go stale: the generation lives only until the next moment a
  registered source says the content changes by itself, or PUBLIC_PAGE_CACHE_SECONDS,
  whichever comes first, and so does every page stored under it.

Middleware still runs around a cached page, so security headers, the CSP, the request id and
the language are added to it exactly as to a fresh one.
"""

import datetime
import gzip
import hashlib
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.crypto import get_random_string
from django.utils.translation import get_language

GENERATION_KEY = "public-pages:generation"
# Fragments this process keeps in memory, most recently used last (see cached_fragment).
RECENT_FRAGMENTS = 32
_recent_fragments: OrderedDict[str, Any] = OrderedDict()
_recent_lock = threading.Lock()
# None outside a request; () inside one until the generation is read; then the generation.
_request_generation: ContextVar[tuple | None] = ContextVar("public_pages_generation", default=None)
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# v3: keys from the declared query parameters only; (headers, gzip body) as in v2.
PAGE_KEY = "public-pages:page:v3:{generation}:{language}:{url}"

# The shapes of query parameters views commonly declare. A page number is 1 to 99,999: no list
# is longer, and "page=00001" or "page=1e9" would otherwise each be a page of their own.
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,4}")
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")
YEAR = re.compile(r"[12][0-9]{3}")

# Where the content changes by itself (a scheduled publication, a comment period opening):
# functions from "after this moment" to the next such moment, registered by the apps above.
_next_change_sources: list[Callable[..., datetime.datetime | None]] = []


def register_next_change(source: Callable[..., datetime.datetime | None]) -> None:
    """
    Tell the cache when content changes by itself: `source(after=moment)` returns the next such
    moment after `moment` (or None). Cached pages never outlive it. Call from an AppConfig.ready().
    """
    if source not in _next_change_sources:
        _next_change_sources.append(source)


def invalidate_public_pages(*, using: str | None = None) -> None:
    """
    Drop every cached public page, now and again once the current transaction commits.

    Call it from whatever changes what the public sees (a statement published or edited, a
    comment approved, hidden or restored, an official response). Now: so that nothing read
    later in this transaction, or by a caller whose transaction is never committed (tests),
    sees the old pages. Again after the commit: another request may have rendered and stored
    the old state in between, under the generation started now.
    """
    _end_generation()
    transaction.on_commit(_end_generation, using=using)


QueryShapes = Mapping[str, re.Pattern | Iterable[str]]


def cache_public_page(view: Callable[..., HttpResponse] | None = None, *, query: QueryShapes | None = None):
    """
    Serve this view's page to anonymous visitors from the cache; see the module docstring.

    `query` names the query parameters the page depends on, each with the shape of its valid
    values (a compiled pattern matched whole, or the set of allowed values). Every other
    parameter is removed from the request before the view runs, for every visitor, so that
    what the view cannot see cannot split the cache. Use bare (`@cache_public_page`) for a page
    that reads no query parameter.
    """
    shapes = dict(query or {})

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            storable = _keep_declared_parameters(request, shapes)
            if not (storable and _is_anonymous_read(request)):
                return _vary_on_cookie(view(request, *args, **kwargs))
            generation, expires_at = _current_generation()
            key = PAGE_KEY.format(generation=generation, language=get_language(), url=_url_digest(request))
            frozen = cache.get(key)
            if frozen is not None:
                return _from_cache(request, *frozen)
            response = _vary_on_cookie(view(request, *args, **kwargs))
            timeout = _seconds_until(expires_at)
            if timeout > 0 and _is_shareable(request, response):
                # Compressed once here, not per request: a statement with its threads is hundreds of
                # kilobytes, and reading and sending it cost more than finding it. Only the compressed
                # copy is kept (browsers take it as it is; anything else gets it decompressed). Safe from
                # BREACH-style attacks: a shareable page holds no secret (no CSRF token, nothing of one visitor's).
                compressed = gzip.compress(response.content, compresslevel=6, mtime=0)
                cache.set(key, (dict(response.items()), compressed), timeout)
            return response

        return wrapper

    return decorator(view) if view is not None else decorator


def cached_fragment(name: str, render: Callable[[], Any]) -> Any:
    """
    A piece of a page that is the same for everyone allowed to see it, computed once per generation.

    For parts that sit in pages that are not shared as a whole: a signed-in reader's statement
    page has a form and their own pending comments around the thread and the record; every
    moderator sees the same queue around their own CSRF token. The caller checks who may see
    the page; `name` must hold everything the fragment depends on besides the language (which
    is added here) and the published content (whose changes end the generation).
    Invalidated with the pages by `invalidate_public_pages()`, and expires with them.
    """
    if settings.PUBLIC_PAGE_CACHE_SECONDS <= 0:
        return render()
    generation, expires_at = _current_generation()
    key = f"public-pages:fragment:{generation}:{get_language()}:{hashlib.sha256(name.encode()).hexdigest()}"
    # A fragment never changes under its key (a change starts a new generation, hence a new
    # key), so this process keeps the last few it used and skips reading them back from the
    # shared cache: for a 1,000-comment thread that read is most of a signed-in page's cost.
    with _recent_lock:
        value = _recent_fragments.get(key)
        if value is not None:
            _recent_fragments.move_to_end(key)
            return value
    value = cache.get(key)
    if value is None:
        value = render()
        timeout = _seconds_until(expires_at)
        if timeout > 0:
            cache.set(key, value, timeout)
    with _recent_lock:
        _recent_fragments[key] = value
        while len(_recent_fragments) > RECENT_FRAGMENTS:
            _recent_fragments.popitem(last=False)
    return value


def public_pages_expire_at() -> float:
    """When the current generation, and every page stored under it, expires (a Unix time)."""
    return _current_generation()[1]


def _keep_declared_parameters(request: HttpRequest, shapes: dict) -> bool:
    """
    Drop undeclared query parameters from the request, in a fixed order; False if a declared
    one has a value outside its shape (the page is then rendered but not stored).
    """
    if not request.GET and not shapes:
        return True
    kept = QueryDict(mutable=True)
    storable = True
    for name in sorted(shapes):
        values = request.GET.getlist(name)
        if not values:
            continue
        if len(values) > 1 or not _has_shape(values[0], shapes[name]):
            storable = False
        kept.setlist(name, values)
    kept._mutable = False
    request.GET = kept
    request.META["QUERY_STRING"] = kept.urlencode()
    return storable


def _has_shape(value: str, shape) -> bool:
    if isinstance(shape, re.Pattern):
        return shape.fullmatch(value) is not None
    return value in shape


def _from_cache(request: HttpRequest, headers: dict, compressed: bytes) -> HttpResponse:
    if ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        response = HttpResponse(compressed, headers=headers)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(compressed), headers=headers)
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _is_anonymous_read(request: HttpRequest) -> bool:
    return (
        settings.PUBLIC_PAGE_CACHE_SECONDS > 0
        and request.method in {"GET", "HEAD"}
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _is_shareable(request: HttpRequest, response: HttpResponse) -> bool:
    """A page anyone may be given: nothing in it or around it belongs to this one request."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "")
    if "private" in cache_control or "no-store" in cache_control or "no-cache" in cache_control:
        return False
    # The middleware below the view add these cookies only on the way out, so look at the causes.
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # a CSRF token was rendered
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    messages = getattr(request, "_messages", None)
    return not (messages is not None and messages.added_new)


def _vary_on_cookie(response: HttpResponse) -> HttpResponse:
    # A cached page never touches the session, so the session middleware would not say it
    # varies on cookies; a shared HTTP cache in front must not give it to signed-in readers.
    patch_vary_headers(response, ["Cookie"])
    return response


def _url_digest(request: HttpRequest) -> str:
    # The layout prints absolute hreflang links, so the scheme and host are part of the page.
    return hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()


def _current_generation() -> tuple[str, float]:
    # Within a request, one look-up: a page with several shared fragments reads one generation.
    remembered = _request_generation.get()
    if remembered:
        return remembered
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = (get_random_string(16), _next_expiry())
        # Several workers may start a generation at once: the first one stored is shared.
        if not cache.add(GENERATION_KEY, generation, _seconds_until(generation[1])):
            generation = cache.get(GENERATION_KEY) or generation
    if remembered is not None:  # inside a request
        _request_generation.set(generation)
    return generation


def request_started(**kwargs) -> None:
    """Connected to Django's request_started (PagecacheConfig.ready): remember the generation from here."""
    _request_generation.set(())


def request_finished(**kwargs) -> None:
    """Connected to Django's request_finished: forget the generation until the next request."""
    _request_generation.set(None)


def _end_generation() -> None:
    if _request_generation.get() is not None:
        _request_generation.set(())
    # A random generation, not a counter: a counter evicted from the cache would restart and
    # bring back pages stored under its old values.
    cache.delete(GENERATION_KEY)


def _next_expiry() -> float:
    now = timezone.now()
    expiry = now.timestamp() + settings.PUBLIC_PAGE_CACHE_SECONDS
    for source in _next_change_sources:
        moment = source(after=now)
        if moment is not None:
            expiry = min(expiry, moment.timestamp())
    return expiry


def _seconds_until(moment: float) -> int:
    # Rounded down: a page may expire up to a second early, never late.
    return max(0, math.floor(moment - time.time()))
