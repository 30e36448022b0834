"""
The public API, version 1: the published record and the published conversation, read-only.

django-ninja rather than Django REST framework with drf-spectacular: the API only reads, so
DRF's serializers, viewsets and browsable pages would be weight without use; ninja's pydantic
schemas are the code and the description at once, and it writes OpenAPI 3.1 (JSON Schema
2020-12) natively, where drf-spectacular writes 3.0 unless told otherwise.

What it shows is what the public pages show, read through the same querysets:
`Statement.objects.published()`, `Comment.objects.published()` and the open-data export's fields
(`dialogue.open_data.public_comments`), never an email, an account id, or a comment that is
pending, rejected, hidden or withdrawn. Texts are in the language the middleware activated
(`?lang=`, else `Accept-Language`). Everything around the answer (keys, limits, CORS,
ETag/Last-Modified, the anonymous cache, problem details) is publicapi.middleware's.
"""

import base64
import binascii
import datetime
import json
from typing import Literal

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import ValidationError

from dialogue.models import Comment, OfficialResponse, Stakeholder
from dialogue.open_data import comment_record, public_comments
from dialogue.participation import participation
from priorities.models import Directive, Priority, Statement

PROBLEM_JSON = "application/problem+json"
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
LARGEST_ID = 2**31 - 1
Language = Literal["en", "fr", "es"]
Country = Literal[tuple(Stakeholder.Country.values)]
Sector = Literal[tuple(Stakeholder.Sector.values)]


class Problem(Exception):
    """An error answered as RFC 9457 problem details."""

    def __init__(self, status: int, title: str, detail: str = "", **extra):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def problem_response(request: HttpRequest, status: int, title: str, detail: str = "", **extra) -> JsonResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail or title}
    body["instance"] = request.path
    body.update(extra)
    return JsonResponse(body, status=status, content_type=PROBLEM_JSON, json_dumps_params={"ensure_ascii": False})


# --- Schemas ------------------------------------------------------------------


class ProblemOut(Schema):
    type: str = Field(description="Always about:blank: the status and title say what went wrong.")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path that was requested.")


class PriorityOut(Schema):
    slug: str = Field(description="Stable identifier.")
    title: str
    summary: str
    url: str = Field(description="The priority's page, in the language of the answer.")


class DirectiveOut(Schema):
    id: int = Field(description="Stable identifier; the #directive-N anchor of the statement page.")
    order: int
    priority: str = Field(description="The priority's slug.")
    text: str
    progress: Literal[tuple(Directive.Progress.values)]


class StatementSummaryOut(Schema):
    slug: str = Field(description="Stable identifier.")
    title: str
    summary: str
    release_date: datetime.date
    published_at: datetime.datetime | None
    comments_open_at: datetime.datetime | None
    comments_close_at: datetime.datetime | None
    priorities: list[str] = Field(description="Slugs of the priorities it addresses.")
    url: str


class StatementOut(StatementSummaryOut):
    body: str = Field(
        description="The text, in Markdown, as published (in the original language where no official version exists)."
    )
    original_language: Language
    official_languages: list[Language]
    location: str
    version: int = Field(
        ge=1, description="The current version of the text: 1 as published, one more for each amendment."
    )
    amended_at: datetime.datetime | None = Field(description="When the current version was made; null for version 1.")
    directives: list[DirectiveOut]


class ResponseOut(Schema):
    government: Literal[tuple(OfficialResponse.Government.values)]
    language: Language
    date: datetime.datetime
    body: str


class AttachmentOut(Schema):
    name: str = Field(description="The file's name as uploaded.")
    type: str = Field(description="Its type, recognised from its content (application/pdf, image/png, …).")
    size: int = Field(description="Size in bytes.")
    sha256: str = Field(description="SHA-256 of the file; the comment's fingerprint covers it.")
    url: str = Field(description="Where anyone can download it.")


class CommentOut(Schema):
    tracking_number: str = Field(description="Stable identifier, as on the comment's receipt.")
    statement: str = Field(description="The statement's slug.")
    fingerprint: str = Field(description="SHA-256 of the exact text (UTF-8).")
    date: datetime.datetime = Field(description="When it was submitted.")
    published_at: datetime.datetime = Field(description="When it was approved; the order of the list.")
    language: Language
    author: str = Field(
        description="The display name the page shows; “Anonymous participant” when the author chose to publish "
        "without their name; “Former participant” once the account is deleted."
    )
    country: Country | None
    sector: Sector | None
    organisation: str | None = Field(
        description="As the author describes it on their public profile (not verified); null for an anonymous comment."
    )
    on_behalf_of: str | None = Field(
        description="The organisation the comment was submitted on behalf of, if any (kept when its author leaves it)."
    )
    on_behalf_of_verified: bool | None = Field(
        description="Whether that organisation is verified by the portal's moderators; null when there is none."
    )
    anonymous: bool = Field(description="Published without the author's name: only the country and sector are given.")
    priority: str | None = Field(description="The priority's slug, if the comment is about one.")
    directive: int | None = Field(description="The directive's id, if the comment is about one.")
    parent: str | None = Field(description="The tracking number of the comment it replies to.")
    statement_version: int = Field(
        ge=1, description="The version of the statement it was written on (1: the statement as published)."
    )
    campaign: int | None = Field(
        description="The campaign it belongs to, if any: near-identical texts from several participants "
        "(listed at /{language}/dialogue/campaigns/{campaign}/)."
    )
    body: str
    responses: list[ResponseOut]
    attachments: list[AttachmentOut]
    url: str


class CommentPage(Schema):
    items: list[CommentOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    next: str | None = Field(description="The next page's address; null on the last page.")


class StatementList(Schema):
    items: list[StatementSummaryOut]


class PriorityList(Schema):
    items: list[PriorityOut]


class CountOut(Schema):
    key: str | None = Field(
        description="A country code, sector, language, month (YYYY-MM) or organisation's name; null: not known "
        "(for organisations: in the author's own name)."
    )
    count: int


class ParticipationOut(Schema):
    total: int = Field(description="Published comments.")
    responded: int = Field(description="Of which with at least one official response.")
    by_country: list[CountOut]
    by_sector: list[CountOut]
    by_language: list[CountOut]
    by_month: list[CountOut]
    by_organisation: list[CountOut] = Field(
        description="By the verified organisation the comments were submitted on behalf of."
    )


class CommentFilters(Schema):
    statement: str | None = Field(None, max_length=120, description="A statement's slug.")
    priority: str | None = Field(None, max_length=80, description="A priority's slug.")
    directive: int | None = Field(None, ge=1, le=LARGEST_ID, description="A directive's id.")
    language: Language | None = Field(None, description="The language the comment was written in.")
    country: Country | None = Field(None, description="The author's country (OT: other).")
    sector: Sector | None = Field(None, description="The author's sector.")
    organisation: str | None = Field(
        None, max_length=200, description="The author's organisation as shown beside the comment (case-insensitive)."
    )
    on_behalf_of: str | None = Field(
        None, max_length=200, description="The organisation the comment was submitted on behalf of (case-insensitive)."
    )
    has_official_response: bool | None = None
    since: datetime.datetime | None = Field(None, description="Submitted at or after (ISO 8601; UTC when no offset).")
    until: datetime.datetime | None = Field(None, description="Submitted before (ISO 8601; UTC when no offset).")
    cursor: str | None = Field(
        None, max_length=200, pattern=r"^[-A-Za-z0-9_]+$", description="From the previous page's next_cursor."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class TextLanguage(Schema):
    lang: Language | None = Field(None, description="Language of texts and page links; default: Accept-Language.")


# --- The API --------------------------------------------------------------------

ERRORS = {400: ProblemOut, 401: ProblemOut, 429: ProblemOut}
WITH_404 = {**ERRORS, 404: ProblemOut}


class PublicApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {})
        components["securitySchemes"] = {
            "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "bearer": {"type": "http", "scheme": "bearer", "description": "The same key as a bearer token."},
        }
        # A key is optional: without one, the lower anonymous limit applies.
        schema["security"] = [{}, {"apiKeyHeader": []}, {"bearer": []}]
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    if str(status).startswith("4") and "content" in response:
                        response["content"] = {PROBLEM_JSON: response["content"]["application/json"]}
                operation["responses"]["304"] = {"description": "Not modified (If-None-Match or If-Modified-Since)."}
        return schema


api = PublicApi(
    title="North American Dialogue Portal API",
    version="1",
    description=(
        "The portal's public record, read-only: priorities, statements and their directives, published "
        "comments with the governments' official responses, and participation figures. Only what the "
        "public pages show. Times are ISO 8601 in UTC. Lists of comments use cursor pagination. Without a "
        "key the limit is lower; create a key on your account page and send it as `X-API-Key` or "
        "`Authorization: Bearer`. Errors are RFC 9457 problem details."
    ),
    urls_namespace="api",
    docs_url=None,
    openapi_url="/openapi.json",
)


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    return problem_response(
        request,
        400,
        "Bad Request",
        "A parameter is missing or not valid.",
        errors=json.loads(json.dumps(exc.errors, default=str)),
    )


@api.exception_handler(Problem)
def _problem(request, exc):
    return problem_response(request, exc.status, exc.title, exc.detail, **exc.extra)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(request, 404, "Not Found", "No published resource has this identifier.")


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


def _priority(request, priority: Priority) -> dict:
    return {
        "slug": priority.slug,
        "title": priority.title,
        "summary": priority.summary,
        "url": _absolute(request, priority.get_absolute_url()),
    }


def _statement_summary(request, statement: Statement) -> dict:
    return {
        "slug": statement.slug,
        "title": statement.title,
        "summary": statement.summary,
        "release_date": statement.release_date,
        "published_at": statement.published_at,
        "comments_open_at": statement.comments_open_at,
        "comments_close_at": statement.comments_close_at,
        "priorities": [priority.slug for priority in statement.priorities.all()],
        "url": _absolute(request, statement.get_absolute_url()),
    }


@api.get("/priorities/", response={200: PriorityList, **ERRORS}, summary="The priorities", tags=["record"])
def list_priorities(request, query: Query[TextLanguage]):
    """The five priorities of the Security and Prosperity Partnership, in their order."""
    return {"items": [_priority(request, priority) for priority in Priority.objects.all()]}


@api.get("/priorities/{slug}/", response={200: PriorityOut, **WITH_404}, summary="One priority", tags=["record"])
def get_priority(request, slug: str, query: Query[TextLanguage]):
    return _priority(request, get_object_or_404(Priority, slug=slug))


@api.get("/statements/", response={200: StatementList, **ERRORS}, summary="Published statements", tags=["record"])
def list_statements(request, query: Query[TextLanguage]):
    """Every published statement, newest release first. Drafts, scheduled and withdrawn statements never appear."""
    statements = Statement.objects.published().prefetch_related("priorities").order_by("-release_date", "-pk")
    return {"items": [_statement_summary(request, statement) for statement in statements]}


@api.get("/statements/{slug}/", response={200: StatementOut, **WITH_404}, summary="One statement", tags=["record"])
def get_statement(request, slug: str, query: Query[TextLanguage]):
    """
    A published statement: its current text and directives, and the number of that version (the
    statement's versions page shows what changed). Documents are not published yet.
    """
    statement = get_object_or_404(Statement.objects.published().prefetch_related("priorities"), slug=slug)
    directives = statement.directives.select_related("priority").order_by("order", "pk")
    return {
        **_statement_summary(request, statement),
        "body": statement.body or "",
        "original_language": statement.original_language,
        "official_languages": statement.official_languages(),
        "location": statement.location,
        "version": statement.version,
        "amended_at": statement.amended_at,
        "directives": [
            {
                "id": directive.pk,
                "order": directive.order,
                "priority": directive.priority.slug,
                "text": directive.text,
                "progress": directive.progress,
            }
            for directive in directives
        ],
    }


def _utc(moment: datetime.datetime) -> datetime.datetime:
    try:
        if timezone.is_naive(moment):
            return moment.replace(tzinfo=datetime.UTC)
        return moment.astimezone(datetime.UTC)
    except (OverflowError, ValueError) as error:
        raise Problem(400, "Bad Request", "A time is out of range.") from error


def _encode_cursor(moment: datetime.datetime, pk: int) -> str:
    raw = json.dumps([moment.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, pk = json.loads(raw)
        moment = datetime.datetime.fromisoformat(moment)
        if not isinstance(pk, int) or not (0 < pk <= 2**63 - 1) or timezone.is_naive(moment):
            raise ValueError(pk)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as error:
        raise Problem(400, "Bad Request", "The cursor is not one this API gave.") from error
    return moment, pk


def comment_out(request, comment: Comment) -> dict:
    """Open data's record of the comment (one definition of what is public), with the API's extras."""
    return {
        **comment_record(comment, iso_times=False),
        "statement": comment.statement_slug,
        "published_at": comment.decided_at or comment.submitted_at,
        "url": _absolute(request, f"{_statement_path(comment.statement_slug)}#comment-{comment.tracking_number}"),
    }


def _statement_path(slug: str) -> str:
    return reverse("priorities:statement-detail", kwargs={"slug": slug})


def filtered_comments(filters: CommentFilters):
    """Published comments matching the filters, in the order of publication (approval), then id."""
    comments = public_comments().annotate(published_time=Coalesce("decided_at", "submitted_at"))
    if filters.statement is not None:
        comments = comments.filter(statement__slug=filters.statement)
    if filters.priority is not None:
        comments = comments.filter(priority__slug=filters.priority)
    if filters.directive is not None:
        comments = comments.filter(directive_id=filters.directive)
    if filters.language is not None:
        comments = comments.filter(language=filters.language)
    if filters.country is not None:
        comments = comments.filter(author__stakeholder__country=filters.country)
    if filters.sector is not None:
        comments = comments.filter(author__stakeholder__sector=filters.sector)
    if filters.organisation is not None:
        # Never an anonymous comment: its author's own organisation is not public.
        comments = comments.filter(
            anonymous=False, author__stakeholder__organisation__iexact=filters.organisation.strip()
        )
    if filters.on_behalf_of is not None:
        comments = comments.filter(on_behalf_of__name__iexact=filters.on_behalf_of.strip())
    if filters.has_official_response is not None:
        answered = Exists(OfficialResponse.objects.filter(comment=OuterRef("pk")))
        comments = comments.filter(answered if filters.has_official_response else ~answered)
    if filters.since is not None:
        comments = comments.filter(submitted_at__gte=_utc(filters.since))
    if filters.until is not None:
        comments = comments.filter(submitted_at__lt=_utc(filters.until))
    return comments.order_by("published_time", "pk")


@api.get("/comments/", response={200: CommentPage, **ERRORS}, summary="Published comments", tags=["conversation"])
def list_comments(request, filters: Query[CommentFilters], query: Query[TextLanguage]):
    """
    Published comments with their official responses, in the order they were published
    (approved), oldest first. Follow `next` (or pass `next_cursor` as `cursor`) for the next page:
    a comment approved while you page through appears once, on a later page. Pending, rejected,
    removed and withdrawn comments never appear.
    """
    comments = filtered_comments(filters)
    if filters.cursor:
        moment, pk = _decode_cursor(filters.cursor)
        comments = comments.filter(Q(published_time__gt=moment) | Q(published_time=moment, pk__gt=pk))
    page = list(comments[: filters.limit + 1])
    items, more = page[: filters.limit], len(page) > filters.limit
    next_cursor = next_url = None
    if more:
        last = items[-1]
        next_cursor = _encode_cursor(last.published_time, last.pk)
        parameters = request.GET.copy()
        parameters["cursor"] = next_cursor
        next_url = _absolute(request, f"{request.path}?{parameters.urlencode()}")
    return {"items": [comment_out(request, c) for c in items], "next_cursor": next_cursor, "next": next_url}


@api.get(
    "/comments/{tracking_number}/",
    response={200: CommentOut, **WITH_404},
    summary="One published comment",
    tags=["conversation"],
)
def get_comment(request, tracking_number: str, query: Query[TextLanguage]):
    comment = public_comments().filter(tracking_number=tracking_number[:32]).first()
    if comment is None:
        raise Http404
    return comment_out(request, comment)


class ParticipationFilters(Schema):
    statement: str | None = Field(None, max_length=120, description="A statement's slug.")
    priority: str | None = Field(None, max_length=80, description="A priority's slug.")


@api.get(
    "/participation/",
    response={200: ParticipationOut, **WITH_404},
    summary="Participation figures",
    tags=["conversation"],
)
def get_participation(request, filters: Query[ParticipationFilters], query: Query[TextLanguage]):
    """Published comments by country, sector, language and month, and how many were answered officially."""
    comments = Comment.objects.published()
    if filters.statement is not None:
        comments = comments.filter(statement=get_object_or_404(Statement.objects.published(), slug=filters.statement))
    if filters.priority is not None:
        comments = comments.filter(priority=get_object_or_404(Priority, slug=filters.priority))
    figures = participation(comments)
    by_country, by_sector, by_language, by_month, by_organisation = (
        [{"key": _key(row.key), "count": row.count} for row in table.rows] for table in figures.tables
    )
    return {
        "total": figures.total,
        "responded": figures.responded,
        "by_country": by_country,
        "by_sector": by_sector,
        "by_language": by_language,
        "by_month": by_month,
        "by_organisation": by_organisation,
    }


def _key(value) -> str | None:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y-%m")
    return value
