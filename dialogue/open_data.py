"""
Open data: a statement's approved comments and their official responses, as CSV and JSON.

What is exported is what the statement page already shows beside each comment (display
name, country, sector, organisation, date, language, tracking number, fingerprint, text,
official responses, attached files: name, type, size, SHA-256, address) and nothing else:
no email, no account, nothing about pending, rejected, hidden or withdrawn comments. The JSON
follows dialogue/schemas/comments.schema.json.

Both downloads stream: the comments are read with `.iterator(chunk_size=CHUNK)` (a server-side
cursor on PostgreSQL), their official responses fetched with one query per chunk, and the
output written row by row, so a statement with 100,000 comments is exported without holding
them in memory (`make export-memory`, tools/export_memory.py, measures it).
"""

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Case, F, Prefetch, Value, When
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from pagecache.cache import cache_public_page
from priorities.models import Statement

from .models import Attachment, Comment, OfficialResponse, Organisation
from .spreadsheet import csv_lines

CHUNK = 2000
# The bulk dump (dialogue/bulk.py, manage.py dump_open_data): the pointer to the latest one, and each one's manifest.
DUMP_LATEST = "latest.json"
DUMP_MANIFEST = "manifest.json"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "comments.schema.json"
LICENCE_NAME = gettext_lazy("Open Data Licence of the North American Dialogue Portal")
CSV_FIELDS = [
    "tracking_number",
    "fingerprint",
    "date",
    "language",
    "author",
    "country",
    "sector",
    "organisation",
    "on_behalf_of",
    "on_behalf_of_verified",
    "anonymous",
    "priority",
    "directive",
    "parent",
    "statement_version",
    "campaign",
    "body",
    "attachments",
    "response",
    "response_government",
    "response_date",
]


def public_comments():
    """
    Every published comment with only its public fields, and its official responses (one query
    per chunk or page): what the open-data downloads, the bulk dump and the public API read.
    """
    return (
        Comment.objects.published()
        .only(
            "pk",
            "tracking_number",
            "fingerprint",
            "submitted_at",
            "decided_at",
            "language",
            "body",
            "directive_id",
            "author_id",
            "statement_id",
            "statement_version",
            "anonymous",
            "campaign_id",
        )
        .annotate(
            # A comment published without its author's name never carries it, nor their own organisation.
            author_name=Case(When(anonymous=True, then=Value("")), default=F("author__stakeholder__display_name")),
            country=F("author__stakeholder__country"),
            sector=F("author__stakeholder__sector"),
            organisation=Case(When(anonymous=True, then=Value("")), default=F("author__stakeholder__organisation")),
            on_behalf_of_name=F("on_behalf_of__name"),
            on_behalf_of_status=F("on_behalf_of__status"),
            priority_slug=F("priority__slug"),
            parent_tracking=F("parent__tracking_number"),
            statement_slug=F("statement__slug"),
        )
        .prefetch_related(
            Prefetch(
                "responses",
                queryset=OfficialResponse.objects.only(
                    "pk", "comment_id", "government", "language", "body", "created_at"
                ).order_by("created_at", "pk"),
            ),
            Prefetch(
                "attachments",
                queryset=Attachment.objects.only(
                    "pk", "comment_id", "number", "name", "content_type", "size", "sha256"
                ).order_by("number"),
            ),
        )
    )


def comments_for_export(statement: Statement):
    """The approved comments on a statement, oldest first, with only the public fields, in chunks."""
    return public_comments().filter(statement=statement).order_by("submitted_at", "pk").iterator(chunk_size=CHUNK)


def comment_record(comment: Comment, *, iso_times: bool = True) -> dict:
    """A published comment's public fields, as open data gives them (and the API, with `iso_times=False`
    so that its schema writes the times). One published without its author's name ("anonymous") keeps
    only the country and sector; the organisation it was submitted on behalf of comes with its state."""
    anonymised = comment.author_id is None
    if comment.anonymous:
        author = str(_("Anonymous participant"))
    elif anonymised:
        author = str(_("Former participant"))
    else:
        author = comment.author_name

    def when(moment):
        return moment.isoformat() if iso_times else moment

    return {
        "tracking_number": comment.tracking_number,
        "fingerprint": comment.fingerprint,
        "date": when(comment.submitted_at),
        "language": comment.language,
        "author": author,
        "country": None if anonymised else comment.country,
        "sector": None if anonymised else comment.sector,
        "organisation": None if anonymised or comment.anonymous else (comment.organisation or None),
        "on_behalf_of": comment.on_behalf_of_name,
        "on_behalf_of_verified": (
            None if comment.on_behalf_of_name is None else comment.on_behalf_of_status == Organisation.Status.VERIFIED
        ),
        "anonymous": comment.anonymous,
        "priority": comment.priority_slug,
        "directive": comment.directive_id,
        "parent": comment.parent_tracking,
        "statement_version": comment.statement_version,
        "campaign": comment.campaign_id,
        "body": comment.body,
        "responses": [
            {
                "government": response.government,
                "language": response.language,
                "date": when(response.created_at),
                "body": response.body,
            }
            for response in comment.responses.all()
        ],
        "attachments": [attachment_record(attachment) for attachment in comment.attachments.all()],
    }


def attachment_record(attachment: Attachment) -> dict:
    """A published comment's file: what it is and where anyone can download it."""
    return {
        "name": attachment.name,
        "type": attachment.content_type.split(";")[0],
        "size": attachment.size,
        "sha256": attachment.sha256,
        "url": settings.PORTAL_URL + attachment.get_absolute_url(),
    }


def attachments_cell(attachments: list[dict]) -> str:
    """The attachments in one CSV cell: a line per file, its name, SHA-256 and address."""
    return "\n".join(f"{item['name']} sha256:{item['sha256']} {item['url']}" for item in attachments)


def _header(request, statement: Statement) -> dict:
    return {
        "statement": {
            "slug": statement.slug,
            "title": statement.title,
            "url": request.build_absolute_uri(statement.get_absolute_url()),
            "release_date": statement.release_date.isoformat(),
        },
        "licence": {
            "name": str(LICENCE_NAME),
            "url": request.build_absolute_uri(reverse("dialogue:open-data") + "#licence"),
            "attribution": _("Contains information published on the North American Dialogue Portal."),
        },
        "generated_at": timezone.now().isoformat(),
    }


def _json_lines(request, statement: Statement):
    header = json.dumps(_header(request, statement), ensure_ascii=False)
    # The header object without its closing brace, then the comments array written one by one.
    yield header[:-1] + ', "comments": ['
    separator = "\n"
    for comment in comments_for_export(statement):
        yield separator + json.dumps(comment_record(comment), ensure_ascii=False)
        separator = ",\n"
    yield "\n]}\n"


def _csv_rows(statement: Statement):
    """One row per comment; cells that a spreadsheet would run as formulas are neutralised (see spreadsheet.py)."""
    for comment in comments_for_export(statement):
        record = comment_record(comment)
        responses = record.pop("responses")
        record["attachments"] = attachments_cell(record["attachments"])
        record["response"] = "\n\n".join(response["body"] for response in responses)
        record["response_government"] = "; ".join(response["government"] for response in responses)
        record["response_date"] = "; ".join(response["date"] for response in responses)
        yield [record[field] for field in CSV_FIELDS]


def _download(statement: Statement, content, content_type: str, extension: str) -> HttpResponse:
    """Whole (and then cached, see CACHED_EXPORT_COMMENTS) when small, streamed otherwise."""
    if Comment.objects.published().filter(statement=statement).count() <= CACHED_EXPORT_COMMENTS:
        response = HttpResponse("".join(content), content_type=content_type)
    else:
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{statement.slug}-comments.{extension}"'
    return response


# An export of up to this many comments (a conversation's thread, say) is built whole and kept in
# the page cache like a statement's page, tagged with its statement so that a change to that
# conversation refreshes it; a larger one is streamed afresh each time, in constant memory.
CACHED_EXPORT_COMMENTS = 5_000


def _statement_tags(request, slug):
    return [Statement.cache_tag_for(slug)]


@require_GET
@cache_public_page(tags=_statement_tags)
def comments_csv(request, slug):
    """A published statement's approved comments and official responses, one comment per row."""
    statement = get_object_or_404(Statement.objects.published(), slug=slug)
    lines = csv_lines(CSV_FIELDS, _csv_rows(statement), byte_order_mark=True)
    return _download(statement, lines, "text/csv; charset=utf-8", "csv")


@require_GET
@cache_public_page(tags=_statement_tags)
def comments_json(request, slug):
    """The same as JSON, following comments.schema.json."""
    statement = get_object_or_404(Statement.objects.published(), slug=slug)
    return _download(statement, _json_lines(request, statement), "application/json; charset=utf-8", "json")


@require_GET
def schema(request):
    """The JSON Schema of the JSON download, as committed in the repository."""
    return FileResponse(SCHEMA_PATH.open("rb"), content_type="application/schema+json")


@cache_public_page
def open_data(request):
    """What can be downloaded, under which licence, with its schema."""
    statements = Statement.objects.published()
    dump = latest_dump()
    if dump is not None:
        dump["generated"] = datetime.datetime.fromisoformat(dump["generated_at"])
    return render(
        request,
        "dialogue/open_data.html",
        {"statements": statements, "schema_url": reverse("dialogue:open-data-schema"), "dump": dump},
    )


def latest_dump() -> dict | None:
    """The manifest of the latest complete bulk dump, or None when none was written (or it cannot be read)."""
    try:
        with default_storage.open(f"{settings.OPEN_DATA_DUMP_PREFIX.rstrip('/')}/{DUMP_LATEST}") as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


@require_GET
def dump_file(request, name):
    """A file of the latest bulk dump (manage.py dump_open_data), from the storage it was written to."""
    manifest = latest_dump()
    if manifest is None:
        raise Http404
    if name == DUMP_MANIFEST:
        path = f"{manifest['folder']}/{DUMP_MANIFEST}"
    else:
        path = next((file["path"] for file in manifest["files"] if file["name"] == name), None)
    if path is None:
        raise Http404
    try:
        stream = default_storage.open(path)
    except OSError as error:
        raise Http404 from error
    content_type = "application/json" if name == DUMP_MANIFEST else "application/gzip"
    return FileResponse(stream, as_attachment=name != DUMP_MANIFEST, filename=name, content_type=content_type)
