"""
Signed-in pages shared by every reader of a kind, each reader's own parts filled in.

A signed-in stakeholder's statement page is the anonymous page with a few parts of their own: the
CSRF token of its forms, their flash messages, their comments awaiting moderation and their
comment form. Every moderator's queue is the same listing around their own CSRF token. Rendering
the rest afresh for each of them was most of what these pages cost (issue 17: 0.11 x and 0.05 x
the bare Django page, for 0.25 x asked). So such a page is rendered once per cache generation for
all readers of a kind, with markers where each reader's parts go — a skeleton — and every request
fills the markers in:

- `{% reader_part "name" arg … %}` (pagecache template tags) marks a part. It is rendered by the
  function registered with `@reader_part("name")`, called as `function(request, *args)`; the
  arguments are kept in the skeleton (so: picklable values, such as a model instance the page was
  rendered with). Outside a skeleton the tag calls the function at once: one way to render either way.
- CSRF tokens (`name="csrfmiddlewaretoken" value="…"`, as `{% csrf_token %}` writes them) are cut
  out of the skeleton, and each reader's own token is put in their place.
- A reader's kind is their permissions (and staff and superuser flags): readers of one kind are
  shown the same page around their parts. `readers=` on the decorator says who may share at all
  (WITHOUT_PERMISSIONS by default: a moderator's header counts what waits anywhere, which a
  statement's generation does not follow); everyone else gets the page rendered for them.

Keys, generations and tags are the page cache's (cache.py): a skeleton is dropped with the pages
that show the same things, and it is stored only when nothing else in the response belongs to one
request (a 200, no cookie set, no session change, no flash message added). Skeletons are kept in
the shared cache and, as fragments are, in each process's memory for the last few used.

Never put a `{% reader_part %}` inside a `{% shared_fragment %}`: the fragment would keep one
reader's part (or a marker) for everyone.
"""

import hashlib
import re
import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from .cache import (
    QueryShapes,
    Tags,
    _current_generation,
    _declared,
    _joined,
    _keep,
    _keep_declared_parameters,
    _left_no_trace,
    _private,
    _recall,
    _seconds_until,
    _url_digest,
)

SKELETON_KEY = "public-pages:reader:v1:{generation}:{language}:{kind}:{url}"
CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_parts: dict[str, Callable[..., str]] = {}
CSRF = None  # in a skeleton: where the reader's CSRF token goes
# In a fragment of a reader's part kept for many readers: where each one's CSRF token goes (csrf_token()).
CSRF_SLOT = "pagecache-csrf-token-slot"


def reader_part(name: str):
    """Register `function(request, *args) -> str` (HTML) as the part `{% reader_part name … %}` renders."""

    def register(function: Callable[..., str]) -> Callable[..., str]:
        _parts[name] = function
        return function

    return register


def render_part(request: HttpRequest, name: str, args: tuple) -> str:
    """What `{% reader_part %}` writes: the part itself, or in a skeleton a marker where it goes."""
    markers = getattr(request, "_pagecache_skeleton", None)
    if markers is None:
        return _part(name)(request, *args)
    nonce, parts = markers
    parts.append((name, args))
    return f"<!--{nonce}:{len(parts) - 1}-->"


def csrf_token(request: HttpRequest) -> str:
    """The reader's CSRF token for this response, the same one in each of its forms (masked once, not per form)."""
    if not hasattr(request, "_pagecache_csrf_token"):
        request._pagecache_csrf_token = get_token(request)
    return request._pagecache_csrf_token


def WITHOUT_PERMISSIONS(request: HttpRequest) -> bool:
    """Readers who hold no permission: what a stakeholder sees (no official's counts or links)."""
    user = request.user
    return not (user.is_staff or user.is_superuser or user.get_all_permissions())


def share_signed_in_page(
    view: Callable[..., HttpResponse] | None = None,
    *,
    query: QueryShapes | None = None,
    tags: Tags | None = None,
    readers: Callable[[HttpRequest], bool] = WITHOUT_PERMISSIONS,
):
    """
    Serve this view's page to signed-in readers from a skeleton shared by their kind (see above).

    `query` and `tags` as for cache_public_page (undeclared parameters are dropped, a value out of
    shape gets a page rendered for this reader only). `readers(request)` says whether this reader
    may share; the view runs as usual for everyone else, and for anyone not signed in. Put the
    permission checks outside this decorator: a skeleton is served without calling the view.
    """
    shapes = dict(query or {})

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            storable = _keep_declared_parameters(request, shapes)
            if not (storable and _is_shared_read(request) and readers(request)):
                return view(request, *args, **kwargs)
            return _private(signed_in_page(request, view, args, kwargs, tags))

        return wrapper

    return decorator(view) if view is not None else decorator


def signed_in_page(request: HttpRequest, view, args, kwargs, tags: Tags | None) -> HttpResponse:
    """The reader's page from their kind's skeleton, rendering and storing the skeleton first if there is none."""
    generation, expires_at = _current_generation()
    joined = _joined(generation, _declared(tags, request, *args, **kwargs))
    key = SKELETON_KEY.format(
        generation=joined, language=get_language(), kind=_kind(request.user), url=_url_digest(request)
    )
    skeleton = _recall(key)
    if skeleton is None:
        nonce = secrets.token_hex(8)
        request._pagecache_skeleton = (nonce, [])
        try:
            response = view(request, *args, **kwargs)
        finally:
            nonce, parts = request.__dict__.pop("_pagecache_skeleton")
        if response.streaming:
            return response
        if not _is_skeleton(request, response):
            # Not a page to share (a redirect, an error, a cookie of its own...): this reader's page.
            return _filled(request, response, _split(response.content.decode(), nonce, parts))
        skeleton = (dict(response.items()), _split(response.content.decode(), nonce, parts))
        timeout = _seconds_until(expires_at)
        if timeout > 0:
            _keep(key, skeleton, timeout)
    headers, segments = skeleton
    return _filled(request, HttpResponse(headers=headers), segments)


def _split(html: str, nonce: str, parts: list) -> list:
    """The page as text segments and the places of the reader's parts: (name, args), or CSRF for the token."""
    marked = CSRF_INPUT.sub(rf"\1<!--{nonce}:csrf-->\2", html)
    segments = []
    for index, piece in enumerate(re.split(rf"<!--{nonce}:(csrf|[0-9]+)-->", marked)):
        if index % 2 == 0:
            segments.append(piece)
        else:
            segments.append(CSRF if piece == "csrf" else parts[int(piece)])
    return segments


def _filled(request: HttpRequest, response: HttpResponse, segments: list) -> HttpResponse:
    pieces = []
    for segment in segments:
        if isinstance(segment, str):
            pieces.append(segment)
        elif segment is CSRF:
            pieces.append(csrf_token(request))
        else:
            name, args = segment
            pieces.append(_part(name)(request, *args))
    response.content = "".join(pieces)
    return response


def _part(name: str) -> Callable[..., str]:
    if name not in _parts:
        # Parts are registered by the template tag libraries that use them: load them all.
        from django.template import engines

        engines["django"].engine.template_libraries  # noqa: B018 - importing is the point
    return _parts[name]


def _kind(user) -> str:
    """Readers who see the same page: the same permissions and flags."""
    if getattr(user, "_pagecache_kind", None) is None:
        described = repr((user.is_staff, user.is_superuser, sorted(user.get_all_permissions())))
        user._pagecache_kind = hashlib.sha256(described.encode()).hexdigest()[:16]
    return user._pagecache_kind


def _is_shared_read(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return (
        settings.PUBLIC_PAGE_CACHE_SECONDS > 0
        and request.method in {"GET", "HEAD"}
        and user is not None
        and user.is_authenticated
    )


def _is_skeleton(request: HttpRequest, response: HttpResponse) -> bool:
    """A page every reader of the kind may be given around their own parts (a CSRF token is one of them)."""
    if response.status_code != 200 or response.cookies:
        return False
    if "no-store" in response.get("Cache-Control", ""):
        return False
    return _left_no_trace(request)
