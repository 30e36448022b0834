"""Pages that compose both apps (home, health) and the project-wide plumbing pages."""

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dialogue.models import Comment
from pagecache.cache import cache_public_page
from priorities.models import Priority, Statement

from . import health, unavailable

LATEST_COMMENTS = 5


@cache_public_page
def home(request):
    """What the portal is and how to take part, what is open for comment (until when, how many
    comments), the five priorities, the latest statement and the latest approved comments."""
    published = Statement.objects.published()
    open_statements = (
        published.open_for_comments()
        .annotate(
            published_comments=_count_per_statement(Comment.objects.published()),
            pending_comments=_count_per_statement(Comment.objects.pending()),
        )
        .order_by("comments_close_at", "pk")
    )
    context = {
        "latest": published.first(),
        "priorities": Priority.objects.all(),
        "open_statements": list(open_statements),
        "latest_comments": Comment.objects.published()
        .with_public_author()
        .select_related("statement")
        .order_by("-decided_at", "-pk")[:LATEST_COMMENTS],
    }
    return render(request, "home.html", context)


def _count_per_statement(comments):
    """How many of `comments` are on the statement of the row: a subquery, so the list stays one query."""
    per_statement = comments.filter(statement=OuterRef("pk")).order_by().values("statement").annotate(n=Count("pk"))
    return Coalesce(Subquery(per_statement.values("n")), 0)


@never_cache
@require_GET
def healthz(request):
    """
    For load balancers and operators: each dependency and its state (spp_portal/health.py).

    503 only when the database does not answer: without it no server can do anything useful, while
    a server without its cache, broker or SMTP still serves (slower, or with mail waiting).
    """
    checks = health.checks()
    database_down = checks["database"]["state"] != health.OK
    if database_down:
        status = "unavailable"
        unavailable.mark_unavailable(request)
    elif all(check["state"] == health.OK for check in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse({"status": status, "checks": checks}, status=503 if database_down else 200)


# Personal and official pages crawlers have no business in; the public dialogue pages
# (moderation policy and report, verification) stay open.
PRIVATE_PATHS = [
    "accounts/",
    "moderation/",
    "dialogue/statements/",
    "dialogue/comments/",
    "dialogue/receipt/",
    "dialogue/mine/",
]


@require_GET
def robots_txt(request):
    lines = ["User-agent: *", "Disallow: /admin/"]
    lines += [f"Disallow: /{code}/{path}" for path in PRIVATE_PATHS for code, _name in settings.LANGUAGES]
    lines.append(f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def csrf_failure(request, reason=""):
    """A form refused by CSRF protection (usually an expired page): the portal's page, never Django's diagnostic."""
    return render(request, "403_csrf.html", status=403)
