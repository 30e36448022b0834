"""
Everything around the public API's answers, for /api/ paths only (publicapi.api gives the answers):

- CORS open for reading: `Access-Control-Allow-Origin: *` on every answer, preflight (OPTIONS)
  answered here.
- Keys: `X-API-Key: <key>` or `Authorization: Bearer <key>`. A key that is unknown, malformed or
  revoked is refused (401), never silently treated as anonymous.
- Limits: API_RATE_LIMIT_KEY per key, API_RATE_LIMIT_ANONYMOUS per client address, counted in the
  shared cache (safeguards.ratelimit), so they hold across app servers; every answer says where the
  caller stands (`RateLimit-Limit`, `-Remaining`, `-Reset`), and beyond the limit 429 with `Retry-After`.
- The page cache: GET answers are stored per generation like the public pages (pagecache), whoever
  asks (they are the same for everyone); a comment approved on a statement drops that statement's.
- Conditional requests: a weak `ETag` (of the body) and `Last-Modified` (when that body was
  rendered: a cached answer keeps both until a change ends its generation), so `If-None-Match` and
  `If-Modified-Since` get 304.
- Errors as RFC 9457 problem details, also those answered before the API's code runs (an unknown
  path, a method other than GET, a query string with a NUL byte).
"""

import hashlib
import re

from django.conf import settings
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

from dialogue.models import Stakeholder
from pagecache.cache import PAGE_NUMBER, SLUG, cache_public_page
from priorities.models import Statement
from safeguards.events import RATE_LIMITED, security_event
from safeguards.ratelimit import count

from .api import PROBLEM_JSON, problem_response
from .models import ApiKey

PREFIX = "/api/"
LANGUAGES = {code for code, _name in settings.LANGUAGES}
ANY_TEXT = re.compile(r".{1,200}", re.DOTALL)
TIME = re.compile(r"[-0-9T:.+Z ]{4,40}")
CURSOR = re.compile(r"[-A-Za-z0-9_=]{1,200}")
DIGITS = re.compile(r"[1-9][0-9]{0,9}")
BOOLEAN = {"true", "false"}
TEXT_LANGUAGE = {"lang": LANGUAGES}
# The query parameters each cached list depends on, with their shapes (see pagecache.cache_public_page).
COMMENT_QUERY = {
    **TEXT_LANGUAGE,
    "statement": SLUG,
    "priority": SLUG,
    "directive": DIGITS,
    "language": LANGUAGES,
    "country": set(Stakeholder.Country.values),
    "sector": set(Stakeholder.Sector.values),
    "organisation": ANY_TEXT,
    "on_behalf_of": ANY_TEXT,
    "has_official_response": BOOLEAN,
    "since": TIME,
    "until": TIME,
    "cursor": CURSOR,
    "limit": PAGE_NUMBER,
}
PARTICIPATION_QUERY = {**TEXT_LANGUAGE, "statement": SLUG, "priority": SLUG}
EXPOSED = (
    "ETag, Last-Modified, Link, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy"
)


def _statement_tags(request):
    """A list about one statement is dropped by changes to that statement (and to everything)."""
    slug = request.GET.get("statement", "")
    return [Statement.cache_tag_for(slug)] if SLUG.fullmatch(slug) else []


class PublicApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        tagged = {"query": COMMENT_QUERY, "tags": _statement_tags}
        self.cached = {
            "/api/v1/comments/": cache_public_page(self._render, **tagged),
            "/api/v1/participation/": cache_public_page(self._render, query=PARTICIPATION_QUERY, tags=_statement_tags),
            "/api/v1/statements/": cache_public_page(self._render, query=TEXT_LANGUAGE),
            "/api/v1/priorities/": cache_public_page(self._render, query=TEXT_LANGUAGE),
            "/api/v1/openapi.json": cache_public_page(self._render),
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        if request.method == "OPTIONS":
            return _cors(_preflight())
        key, refusal = _api_key(request)
        if refusal is not None:
            return _cors(refusal)
        window = _limit(request, key)
        if window.exceeded:
            if window.count == window.limit + 1:  # once per window, not once per refused request
                security_event(RATE_LIMITED, scope="api", key_id=getattr(key, "pk", None), retry_after=window.reset)
            response = problem_response(
                request,
                429,
                "Too Many Requests",
                f"The limit is {window.limit} requests an hour"
                + ("" if key else " without an API key")
                + f"; try again in {window.reset} seconds.",
            )
            response["Retry-After"] = str(window.reset)
            return _cors(_limit_headers(response, window))
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            # As RefuseInvalidCharactersMiddleware does for the pages, before the cache drops undeclared parameters.
            return _cors(problem_response(request, 400, "Bad Request", "The query string holds a NUL byte."))
        head = request.method == "HEAD"
        if head:  # answered as GET, without the body
            request.method = "GET"
        language = request.GET.get("lang", "")
        if language in LANGUAGES:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        if request.method == "GET" and request.path in self.cached:
            response = self.cached[request.path](request)
        else:
            response = self._render(request)
        if key is not None:
            _record_use(key)
        if response.status_code == 200 and response.has_header("ETag"):
            response = get_conditional_response(
                request,
                etag=response["ETag"],
                last_modified=parse_http_date_safe(response.get("Last-Modified", "")),
                response=response,
            )
        response = _as_problem(request, response)
        if not response.streaming and response.status_code != 304:
            # A cached answer may be sent compressed: its length is that of what is sent.
            response["Content-Length"] = str(len(response.content))
            if head:
                response.content = b""
        return _cors(_limit_headers(response, window))

    def _render(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Set below for what is actually sent (the cache may keep these headers and send a compressed body).
        del response["Content-Length"]
        if response.status_code == 200 and not response.streaming:
            response["ETag"] = f'W/"{hashlib.sha256(response.content).hexdigest()[:32]}"'
            response["Last-Modified"] = http_date()
        return response


def _api_key(request: HttpRequest) -> tuple[ApiKey | None, HttpResponse | None]:
    token = request.headers.get("X-API-Key", "")
    authorization = request.headers.get("Authorization", "")
    scheme, _space, credentials = authorization.partition(" ")
    # Another scheme (a staging site's Basic authentication in front) is not the API's: ignored.
    if not token and scheme.lower() == "bearer":
        token = credentials.strip()
        if not token:
            return None, _unauthorised(request, "Send the key as Authorization: Bearer <key> or X-API-Key: <key>.")
    if not token:
        return None, None
    key = ApiKey.find(token)
    if key is None:
        return None, _unauthorised(request, "This API key is not valid: it is unknown, mistyped or revoked.")
    return key, None


def _unauthorised(request: HttpRequest, detail: str) -> HttpResponse:
    response = problem_response(request, 401, "Unauthorized", detail)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _limit(request: HttpRequest, key: ApiKey | None):
    if key is not None:
        limit, seconds = settings.API_RATE_LIMIT_KEY
        return count(request, scope="api-key", limit=limit, seconds=seconds, key=f"api-key:{key.pk}")
    limit, seconds = settings.API_RATE_LIMIT_ANONYMOUS
    return count(request, scope="api", limit=limit, seconds=seconds)


def _limit_headers(response: HttpResponse, window) -> HttpResponse:
    response["RateLimit-Limit"] = str(window.limit)
    response["RateLimit-Remaining"] = str(window.remaining)
    response["RateLimit-Reset"] = str(window.reset)
    response["RateLimit-Policy"] = f"{window.limit};w={window.seconds}"
    return response


def _record_use(key: ApiKey) -> None:
    """The owner's usage figures: one UPDATE, counted by the database (several servers may count at once)."""
    ApiKey.objects.filter(pk=key.pk).update(request_count=F("request_count") + 1, last_used_at=timezone.now())


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Allow-Headers"] = (
        "Authorization, X-API-Key, If-None-Match, If-Modified-Since, Accept-Language"
    )
    response["Access-Control-Max-Age"] = "86400"
    return response


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = EXPOSED
    return response


TITLES = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}


def _as_problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An error answered before the API's code (the portal's HTML 404 or 400 page, a bare 405) as problem details."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith(PROBLEM_JSON):
        return response
    status = response.status_code
    problem = problem_response(request, status, TITLES.get(status, "Error"))
    for header in ("Allow", "Retry-After"):
        if response.has_header(header):
            problem[header] = response[header]
    return problem
