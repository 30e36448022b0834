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
- Tags narrow what a change drops. A page or fragment may declare the tags of what it shows
  (`tags=["statement:los-cabos"]`); its key then also holds each tag's generation.
  `invalidate_public_pages(tags=[...])` starts new generations for those tags and for ANY, the
  tag of every page that declares none: a comment approved on one statement refreshes that
  statement's pages and every page that did not say what it shows (the home page, listings),
  and leaves the other statements' pages in place. Safe by default: only a page that declares
  narrow tags outlives a change elsewhere. `invalidate_public_pages()` without tags drops all.
- In front of the app servers, a CDN or reverse proxy may keep anonymous pages too: a stored
  page is sent with `Cache-Control: public, s-maxage=<its remaining life>` and its tags in a
  surrogate-key header (PAGECACHE_SURROGATE_HEADER), everything else with `Cache-Control:
  private`; each invalidation calls PAGECACHE_PURGE (a dotted path, no-op when unset) after
  the commit, with the tags dropped (None: everything). pagecache.purge.http_ban is one.

Middleware still runs around a cached page, so security headers, the CSP, the request id and
the language are added to it exactly as to a fresh one. Once a page has been served from the
cache, pagecache.middleware.EarlyPageMiddleware answers the next anonymous readers of its URL
with that finished response before most of the middleware run (see there).
"""

import datetime
import gzip
import hashlib
import logging
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
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

GENERATION_KEY = "public-pages:generation"
# Fragments this process keeps in memory, most recently used last (see cached_fragment).
RECENT_FRAGMENTS = 32
_recent_fragments: OrderedDict[str, Any] = OrderedDict()
_recent_lock = threading.Lock()
# None outside a request; () inside one until the generation is read; then the generation.
_request_generation: ContextVar[tuple | None] = ContextVar("public_pages_generation", default=None)
# Inside a request, the tag generations read so far ({} until one is read); None outside a request.
_request_tags: ContextVar[dict | None] = ContextVar("public_pages_tags", default=None)
TAG_KEY = "public-pages:tag:{tag}"
# A tag generation outlives every page stored under it (pages live PUBLIC_PAGE_CACHE_SECONDS at most).
TAG_SECONDS = 7 * 24 * 3600
# The tag of every page and fragment that declares none: any tagged change drops them too.
ANY = "*"
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


_invalidation_listeners: list[Callable[[list[str] | None], None]] = []


def register_invalidation_listener(listener: Callable[[list[str] | None], None]) -> None:
    """
    Call `listener(tags)` after each invalidation commits (tags None: every page). For what must
    follow a change to the public pages, such as a read replica's freshness mark. From ready().
    """
    if listener not in _invalidation_listeners:
        _invalidation_listeners.append(listener)


def invalidate_public_pages(*, tags: Iterable[str] | None = None, using: str | None = None) -> None:
    """
    Drop cached public pages, now and again once the current transaction commits: every page
    (no `tags`), or those that declared one of `tags` and those that declared none.

    Call it from whatever changes what the public sees (a statement published or edited, a
    comment approved, hidden or restored, an official response). Now: so that nothing read
    later in this transaction, or by a caller whose transaction is never committed (tests),
    sees the old pages. Again after the commit: another request may have rendered and stored
    the old state in between, under the generation started now. The purge hook (a CDN in
    front) is called after the commit only.
    """
    dropped = None if tags is None else sorted({*tags, ANY})
    _end_generation(dropped)
    transaction.on_commit(lambda: _end_generation(dropped), using=using)
    transaction.on_commit(lambda: _purge(dropped), using=using)
    for listener in _invalidation_listeners:
        transaction.on_commit(lambda listener=listener: listener(dropped), using=using, robust=True)


QueryShapes = Mapping[str, re.Pattern | Iterable[str]]


Tags = Iterable[str] | Callable[..., Iterable[str]]


def cache_public_page(
    view: Callable[..., HttpResponse] | None = None, *, query: QueryShapes | None = None, tags: Tags | None = None
):
    """
    Serve this view's page to anonymous visitors from the cache; see the module docstring.

    `query` names the query parameters the page depends on, each with the shape of its valid
    values (a compiled pattern matched whole, or the set of allowed values). Every other
    parameter is removed from the request before the view runs, for every visitor, so that
    what the view cannot see cannot split the cache. Use bare (`@cache_public_page`) for a page
    that reads no query parameter.

    `tags` names what the page shows, so that a change elsewhere leaves it cached: a list, or a
    function of the view's arguments (`lambda request, slug: [f"statement:{slug}"]`). A page
    without tags is dropped by every change.
    """
    shapes = dict(query or {})

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            storable = _keep_declared_parameters(request, shapes)
            if not (storable and _is_anonymous_read(request)):
                return _private(view(request, *args, **kwargs))
            page_tags = _declared(tags, request, *args, **kwargs)
            generation, expires_at = _current_generation()
            joined = _joined(generation, page_tags)
            key = PAGE_KEY.format(generation=joined, language=get_language(), url=_url_digest(request))
            frozen = cache.get(key)
            if frozen is not None:
                # pagecache.middleware.EarlyPageMiddleware keeps the finished response for the next reader.
                request._pagecache_served = (joined, page_tags, expires_at)
                return _shared(_from_cache(request, *frozen), page_tags, expires_at)
            response = _vary_on_cookie(view(request, *args, **kwargs))
            timeout = _seconds_until(expires_at)
            if timeout > 0 and _is_shareable(request, response):
                # Compressed once here, not per request: a statement with its threads is hundreds of
                # kilobytes, and reading and sending it cost more than finding it. Only the compressed
                # copy is kept (browsers take it as it is; anything else gets it decompressed). Safe from
                # BREACH-style attacks: a shareable page holds no secret (no CSRF token, nothing of one visitor's).
                compressed = gzip.compress(response.content, compresslevel=6, mtime=0)
                cache.set(key, (dict(response.items()), compressed), timeout)
                return _shared(response, page_tags, expires_at)
            return _private(response)

        return wrapper

    return decorator(view) if view is not None else decorator


def cached_fragment(name: str, render: Callable[[], Any], *, tags: Iterable[str] | None = None) -> Any:
    """
    A piece of a page that is the same for everyone allowed to see it, computed once per generation.

    For parts that sit in pages that are not shared as a whole: a signed-in reader's statement
    page has a form and their own pending comments around the thread and the record; every
    moderator sees the same queue around their own CSRF token. The caller checks who may see
    the page; `name` must hold everything the fragment depends on besides the language (which
    is added here) and the published content (whose changes end the generation).
    Invalidated with the pages by `invalidate_public_pages()`, and expires with them; `tags` as
    for pages (none: dropped by every change).
    """
    if settings.PUBLIC_PAGE_CACHE_SECONDS <= 0:
        return render()
    generation, expires_at = _current_generation()
    generation = _joined(generation, _declared(tags))
    key = f"public-pages:fragment:{generation}:{get_language()}:{hashlib.sha256(name.encode()).hexdigest()}"
    value = _recall(key)
    if value is None:
        value = render()
        timeout = _seconds_until(expires_at)
        if timeout > 0:
            _keep(key, value, timeout)
    return value


def _recall(key: str) -> Any:
    """
    A fragment (or a signed-in page's skeleton) stored under `key`, or None. It never changes under
    its key (a change starts a new generation, hence a new key), so this process keeps the last few
    it used and skips reading them back from the shared cache: for a 1,000-comment thread that read
    is most of a signed-in page's cost.
    """
    with _recent_lock:
        value = _recent_fragments.get(key)
        if value is not None:
            _recent_fragments.move_to_end(key)
            return value
    value = cache.get(key)
    if value is not None:
        _remember(key, value)
    return value


def _keep(key: str, value: Any, timeout: int) -> None:
    cache.set(key, value, timeout)
    _remember(key, value)


def _remember(key: str, value: Any) -> None:
    with _recent_lock:
        _recent_fragments[key] = value
        while len(_recent_fragments) > RECENT_FRAGMENTS:
            _recent_fragments.popitem(last=False)


def public_pages_expire_at() -> float:
    """When the current generation, and every page stored under it, expires (a Unix time)."""
    return _current_generation()[1]


def _declared(tags: Tags | None, *args, **kwargs) -> list[str]:
    if tags is None:
        return [ANY]
    names = tags(*args, **kwargs) if callable(tags) else tags
    return sorted(set(names)) or [ANY]


def _joined(generation: str, tags: list[str]) -> str:
    """The generation and those of the tags, as one part of a key."""
    return ":".join([generation, *_tag_generations(tags)])


def _tag_generations(tags: list[str]) -> list[str]:
    """Each tag's current generation, started where there is none; one cache round trip per request at most."""
    remembered = _request_tags.get()
    known = remembered if remembered is not None else {}
    missing = [tag for tag in tags if tag not in known]
    if missing:
        keys = {TAG_KEY.format(tag=tag): tag for tag in missing}
        found = cache.get_many(list(keys))
        for key, tag in keys.items():
            value = found.get(key)
            if value is None:
                value = get_random_string(12)
                # Several workers may start one at once: the first one stored is shared.
                if not cache.add(key, value, TAG_SECONDS):
                    value = cache.get(key) or value
            known[tag] = value
    return [known[tag] for tag in tags]


def _shared(response: HttpResponse, tags: list[str], expires_at: float) -> HttpResponse:
    """A page anyone may be given: a shared cache in front may keep it until the generation ends."""
    patch_cache_control(response, public=True, max_age=0, s_maxage=_seconds_until(expires_at))
    header = getattr(settings, "PAGECACHE_SURROGATE_HEADER", "Surrogate-Key")
    if header:
        response[header] = " ".join(tags)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    """A page for this visitor only (signed in, a form with a CSRF token, a flash message...)."""
    if "Cache-Control" not in response:
        patch_cache_control(response, private=True)
    return _vary_on_cookie(response)


def _purge(tags: list[str] | None) -> None:
    """Tell a CDN or reverse proxy in front what was dropped (PAGECACHE_PURGE; nothing when unset)."""
    hook = getattr(settings, "PAGECACHE_PURGE", "")
    if not hook:
        return
    try:
        import_string(hook)(tags)
    except Exception:
        # The pages here are already dropped; a proxy that missed a purge serves them until s-maxage.
        logger.exception("pagecache purge hook %s failed for %s", hook, tags or "every page")


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
    return _left_no_trace(request)


def _left_no_trace(request: HttpRequest) -> bool:
    """Rendering the page changed nothing of the visitor's: their session, their flash messages."""
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
    _request_tags.set({})


def request_finished(**kwargs) -> None:
    """Connected to Django's request_finished: forget the generation until the next request."""
    _request_generation.set(None)
    _request_tags.set(None)


def _end_generation(tags: list[str] | None = None) -> None:
    """Start a new generation: of everything (tags None), or of these tags."""
    # A random generation, not a counter: a counter evicted from the cache would restart and
    # bring back pages stored under its old values.
    if tags is None:
        if _request_generation.get() is not None:
            _request_generation.set(())
        cache.delete(GENERATION_KEY)
        return
    remembered = _request_tags.get()
    if remembered is not None:
        for tag in tags:
            remembered.pop(tag, None)
    cache.delete_many([TAG_KEY.format(tag=tag) for tag in tags])


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
