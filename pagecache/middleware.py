"""
Cached anonymous pages answered early, before the middleware that have nothing to add to them.

`cache_public_page` (pagecache/cache.py) serves a stored page from inside the view, so every
middleware of the portal still runs around it: sessions, the language, CSRF, the user, the
officials' checks, URL resolution. For an anonymous reader of a cached page all of that decides
nothing, and it cost more than the page itself (make bench: the portal's middleware alone reach
0.43 x the bare Django page, the issue asks 0.8 x for the statement page).

`EarlyPageMiddleware` sits in MIDDLEWARE right after the request id. When a page was served from
the page cache through the whole chain, it keeps the response exactly as it came back to it
(headers and compressed body) under the request's absolute URL, with the generations the page was
stored under. The next anonymous GET of that same URL is answered from there, without the
middleware after it, as long as every one of those generations is still current. The middleware
before it (the security headers, the CSP, X-Frame-Options, SecurityMiddleware, WhiteNoise, the
request id and its access-log line) run for it as for any request, so both ways give the same
headers (tests/test_public_cache.py compares them).

What may be answered early is what the normal path would answer from the cache anyway:
- a GET (not HEAD) without session or flash-message cookie, from a client that accepts gzip
  (the stored body is the compressed page);
- a URL whose first segment names the language (what LocaleMiddleware then takes from the path),
  and whose query string is exactly the one the view keeps (cache_public_page drops undeclared
  parameters and sorts them): `?utm_source=…` or junk still go the normal way, so a stream of
  made-up query strings cannot fill the cache with early entries;
- a response of status 200, sent with `Cache-Control: public` and no cookie.
An early answer reads the generations (one `get_many`) and, unless this process served the same
URL lately, the entry; each process keeps its last RECENT_ENTRIES entries in memory, checked
against the shared generations on every request.
"""

import hashlib
import re
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language_from_path

from .cache import ACCEPTS_GZIP, GENERATION_KEY, TAG_KEY, _is_anonymous_read, _seconds_until

EARLY_KEY = "public-pages:early:v1:{digest}"
S_MAXAGE = re.compile(r"s-maxage=[0-9]+")
# Entries this process keeps in memory, most recently used last (see _fresh_entry).
RECENT_ENTRIES = 64
_recent_entries: OrderedDict[str, tuple] = OrderedDict()
_recent_lock = threading.Lock()


class EarlyPageMiddleware:
    """Answers an anonymous GET with the page this middleware saw served from the page cache, while it is fresh."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = _early_key(request)
        if key is None:
            return self.get_response(request)
        early = _fresh_entry(key)
        if early is not None:
            return early
        query_string = request.META.get("QUERY_STRING", "")
        response = self.get_response(request)
        # Set by cache_public_page when it answered from the cache: (generation, tags, expires_at).
        served = getattr(request, "_pagecache_served", None)
        if served is not None and _is_keepable(request, response, query_string):
            generation, tags, expires_at = served
            timeout = _seconds_until(expires_at)
            if timeout > 0:
                cache.set(key, (generation, tags, expires_at, dict(response.items()), response.content), timeout)
        return response


def _early_key(request: HttpRequest) -> str | None:
    """The key of this request's early entry, or None if it must take the normal way."""
    if request.method != "GET" or not _is_anonymous_read(request):
        return None
    if not ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        return None
    if get_language_from_path(request.path_info) is None:
        return None
    # What the page's absolute links are made of, as the request gave it (build_absolute_uri would
    # validate the host again: an entry exists only for a request that went the whole way, host checked).
    meta = request.META
    url = "|".join(
        (request.scheme, meta.get("HTTP_X_FORWARDED_HOST", ""), meta.get("HTTP_HOST", ""), request.get_full_path())
    )
    return EARLY_KEY.format(digest=hashlib.sha256(url.encode()).hexdigest())


def _fresh_entry(key: str) -> HttpResponse | None:
    # This process keeps the last entries it served: the generations are still read from the shared
    # cache every time (a change on another server ends them), the page itself is not.
    with _recent_lock:
        entry = _recent_entries.get(key)
        if entry is not None:
            _recent_entries.move_to_end(key)
    if entry is None or not _is_current(entry):
        entry = cache.get(key)
        if entry is None or not _is_current(entry):
            return None
        with _recent_lock:
            _recent_entries[key] = entry
            while len(_recent_entries) > RECENT_ENTRIES:
                _recent_entries.popitem(last=False)
    _generation, _tags, expires_at, headers, body = entry
    response = HttpResponse(body, headers=headers)
    # As the normal way does (pagecache.cache._shared): a proxy in front keeps it until the generation ends.
    response["Cache-Control"] = S_MAXAGE.sub(f"s-maxage={_seconds_until(expires_at)}", headers["Cache-Control"])
    return response


def _is_current(entry: tuple) -> bool:
    """The generations the entry was stored under are all still the current ones, and it has not expired."""
    generation, tags, expires_at, _headers, _body = entry
    if time.time() >= expires_at:
        return False
    tag_keys = [TAG_KEY.format(tag=tag) for tag in tags]
    current = cache.get_many([GENERATION_KEY, *tag_keys])
    if GENERATION_KEY not in current or any(tag_key not in current for tag_key in tag_keys):
        return False
    return ":".join([current[GENERATION_KEY][0], *(current[tag_key] for tag_key in tag_keys)]) == generation


def _is_keepable(request: HttpRequest, response: HttpResponse, query_string: str) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Encoding") == "gzip"
        and "public" in response.get("Cache-Control", "")
        # The view kept every parameter, in the order given: this URL is the page's own.
        and request.META.get("QUERY_STRING", "") == query_string
        # The language came from the path, so the URL alone says which page this is.
        and getattr(request, "LANGUAGE_CODE", None) == get_language_from_path(request.path_info)
        and settings.PUBLIC_PAGE_CACHE_SECONDS > 0
    )
