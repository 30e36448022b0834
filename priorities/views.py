"""Pages of the published record: priorities and statements."""

import re
from itertools import groupby

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from pagecache.cache import PAGE_NUMBER, SLUG, YEAR, cache_public_page, cached_fragment
from pagecache.readers import share_signed_in_page
from safeguards.files import download_response

from .forms import StatementFilterForm
from .models import Directive, OutcomeReport, Priority, Statement, StatementDocument
from .versions import compare

STATEMENTS_PER_PAGE = 10
# Pages that show only the published record: a change to a conversation leaves them cached (the
# record's own changes drop every page).
RECORD = [Statement.RECORD_TAG]
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)
# What a comment opened from a directive or priority link is about: directive:12, priority:7.
ABOUT = re.compile(r"(directive|priority):[-a-z0-9]{1,80}")
# The thread's filter by directive (its id; by priority it is the priority's slug).
DIRECTIVE_ID = re.compile(r"[1-9][0-9]{0,9}")
TRACKING_NUMBER = re.compile(r"[A-Za-z0-9-]{1,32}")


@cache_public_page(tags=RECORD)
def priority_list(request):
    """The five priorities, each with how many directives it has received."""
    priorities = Priority.objects.all()
    return render(request, "priorities/priority_list.html", {"priorities": priorities})


@cache_public_page(tags=RECORD)
def priority_detail(request, slug):
    """One priority and its directives across published statements, newest statement first, with their progress."""
    priority = get_object_or_404(Priority, slug=slug)
    directives = (
        Directive.objects.published()
        .filter(priority=priority)
        .select_related("statement")
        .prefetch_related("progress_notes")
        .order_by("-statement__release_date", "order")
    )
    statements = [(statement, list(items)) for statement, items in groupby(directives, key=lambda d: d.statement)]
    return render(request, "priorities/priority_detail.html", {"priority": priority, "statements": statements})


@cache_public_page(query={"priority": SLUG, "year": YEAR, "page": PAGE_NUMBER}, tags=RECORD)
def statement_list(request):
    """The archive of published statements, newest first, filtered by priority and year."""
    form = StatementFilterForm(request.GET or None)
    statements = Statement.objects.published().order_by("-release_date", "-published_at")
    if form.is_valid():
        if priority := form.cleaned_data.get("priority"):
            statements = statements.filter(priorities=priority)
        if year := form.cleaned_data.get("year"):
            statements = statements.filter(release_date__year=year)
    page = Paginator(statements, STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "priorities/statement_list.html",
        {"form": form, "page": page, "query_string": filters.urlencode()},
    )


# The conversation below the record reads these (dialogue's comment_thread and comment_form tags):
# the thread's order, language, page and subject (a directive, a priority), the one thread shown
# whole (its "Show all N replies" link); the form's subject.
STATEMENT_QUERY = {
    "order": {"newest", "oldest", "support"},
    "lang": LANGUAGE_CODES,
    "page": PAGE_NUMBER,
    "directive": DIRECTIVE_ID,
    "priority": SLUG,
    "about": ABOUT,
    "thread": TRACKING_NUMBER,
}


def statement_tags(request, slug):
    return [Statement.cache_tag_for(slug)]


# Anonymous readers get the page from the page cache; signed-in stakeholders a skeleton they share,
# with their own parts (the comment form and their pending comments, flash messages, CSRF token).
@cache_public_page(query=STATEMENT_QUERY, tags=statement_tags)
@share_signed_in_page(query=STATEMENT_QUERY, tags=statement_tags)
def statement_detail(request, slug):
    """One statement with its directives grouped by priority; publishers may preview unpublished ones."""
    # A published statement is the same row for every reader: kept once per cache generation
    # (edits in the admin start a new one). Only otherwise does the reader's permission matter.
    statement = (
        cached_fragment(
            f"published-statement:{slug}",
            # With its outcome report (one join): the page links it once published.
            lambda: Statement.objects.published().select_related("outcome_report").filter(slug=slug).first(),
            tags=[Statement.cache_tag_for(slug)],
        )
        or Statement.objects.visible_to(request.user).select_related("outcome_report").filter(slug=slug).first()
    )
    if statement is None:
        return statement_gone(request, get_object_or_404(Statement.objects.withdrawn(), slug=slug))

    def directive_groups():
        directives = statement.directives.select_related("priority").order_by("priority__order", "order")
        return [(priority, list(items)) for priority, items in groupby(directives, key=lambda d: d.priority)]

    return render(
        request,
        "priorities/statement_detail.html",
        {
            "statement": statement,
            # Lazy: the record is a shared fragment, rendered (and queried) once per cache generation.
            "directive_groups": SimpleLazyObject(directive_groups),
            "documents": SimpleLazyObject(lambda: list(statement.documents.all())),
            "content_language": statement.content_language(get_language()),
            "official_languages": statement.official_languages(),
        },
    )


@cache_public_page(
    query={"from": PAGE_NUMBER, "to": PAGE_NUMBER}, tags=lambda request, slug: [Statement.cache_tag_for(slug)]
)
def statement_versions(request, slug):
    """
    A statement's versions (when, and why each changed), and what changed between two of them
    (?from=&to=; by default the latest and the one before), word by word, in each language.
    """
    statement = Statement.objects.visible_to(request.user).filter(slug=slug).first()
    if statement is None:
        return statement_gone(request, get_object_or_404(Statement.objects.withdrawn(), slug=slug))
    # The list without the texts; the texts of the two versions compared only.
    versions = list(statement.versions.defer("texts", "directives").order_by("number"))
    context = {
        "statement": statement,
        "versions": versions,
        "content_language": statement.content_language(get_language()),
    }
    if versions:
        latest = versions[-1].number
        later = _version_number(request.GET.get("to"), default=latest)
        earlier = _version_number(request.GET.get("from"), default=max(later - 1, 1))
        if not {earlier, later} <= {version.number for version in versions}:
            raise Http404
        earlier, later = min(earlier, later), max(earlier, later)
        compared = {version.number: version for version in statement.versions.filter(number__in=[earlier, later])}
        context |= {
            "earlier": compared[earlier],
            "later": compared[later],
            "languages": _reader_first(compare(compared[earlier], compared[later])),
        }
    return render(request, "priorities/statement_versions.html", context)


def _version_number(value, *, default: int) -> int:
    return int(value) if value and value.isdigit() else default


def _reader_first(languages):
    """The reader's language first (opened), then the others."""
    reader = get_language()
    return sorted(languages, key=lambda language: language.code != reader)


@require_GET
def statement_document(request, slug, pk):
    """An official document of a statement the reader may see, as a download (never shown inline)."""
    document = get_object_or_404(
        StatementDocument.objects.filter(statement__in=Statement.objects.visible_to(request.user)).select_related(
            "statement"
        ),
        statement__slug=slug,
        pk=pk,
    )
    try:
        file = document.file.open("rb")
    except OSError as error:
        raise Http404 from error
    return download_response(file, filename=document.name, content_type="application/pdf")


def statement_gone(request, statement):
    """A withdrawn statement's address: 410 Gone, saying when and why it was withdrawn, rather than a bare 404."""
    return render(
        request,
        "priorities/statement_gone.html",
        {"statement": statement, "withdrawal": statement.latest_withdrawal()},
        status=410,
    )


@cache_public_page(tags=lambda request, slug: [Statement.cache_tag_for(slug)])
def statement_outcome(request, slug):
    """
    "What we heard" after a statement's comment period: the summary, each main theme with the
    governments' response, and the figures frozen at publication. Publishers preview drafts.
    """
    statement = get_object_or_404(Statement.objects.visible_to(request.user), slug=slug)
    reports = OutcomeReport.objects.prefetch_related("themes")
    if not request.user.has_perm("priorities.change_outcomereport"):
        reports = reports.published()
    report = get_object_or_404(reports, statement=statement)
    return render(
        request,
        "priorities/outcome_report.html",
        {"statement": statement, "report": report, "tables": report.figure_tables(get_language())},
    )
