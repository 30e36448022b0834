"""Pages that compose both apps (home, health) and the project-wide plumbing pages."""

import datetime
import json
import logging

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from dialogue.models import Comment
from pagecache.cache import cache_public_page
from priorities.models import Priority, Statement
from safeguards.ratelimit import hit

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


# security.txt says until when it may be trusted; it is written anew on every request, so a
# rolling date well inside RFC 9116's "less than a year" keeps it valid without anyone's attention.
SECURITY_TXT_VALIDITY = datetime.timedelta(days=180)


@require_GET
@cache_control(max_age=86400)
def security_txt(request):
    """/.well-known/security.txt (RFC 9116): how to report a vulnerability, in which languages."""
    expires = (timezone.now() + SECURITY_TXT_VALIDITY).replace(hour=0, minute=0, second=0, microsecond=0)
    lines = [
        f"Contact: {settings.SECURITY_CONTACT}",
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Preferred-Languages: en, fr, es",
        f"Canonical: {settings.PORTAL_URL}/.well-known/security.txt",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


csp_logger = logging.getLogger("spp_portal.csp")

# What a report may tell about a violation; anything else a browser (or anyone) sends is dropped.
CSP_REPORT_FIELDS = {
    "blocked-uri", "blockedURL", "document-uri", "documentURL", "effective-directive", "effectiveDirective",
    "violated-directive", "disposition", "line-number", "lineNumber", "column-number", "columnNumber",
    "source-file", "sourceFile", "status-code", "statusCode", "referrer", "sample", "script-sample",
}  # fmt: skip


@csrf_exempt  # browsers send reports without the page's token (and nothing here acts on them)
@require_POST
def csp_report(request):
    """
    Content-Security-Policy violation reports (report-uri and report-to formats), logged at WARNING
    as they arrive: each one means the policy blocked something on a reader's page. Anyone can
    post here, so: at most CSP_REPORT_MAX_BYTES a report, at most CSP_REPORT_RATE_LIMIT reports per
    address, only the known fields, each cut short, and nothing a sender does yields a 500.
    """
    limit, seconds = settings.CSP_REPORT_RATE_LIMIT
    if hit(request, scope="csp-report", limit=limit, seconds=seconds) is not None:
        return HttpResponse(status=429)
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return HttpResponse(status=400)
    if length > settings.CSP_REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    try:
        payload = json.loads(request.read(settings.CSP_REPORT_MAX_BYTES + 1)[: settings.CSP_REPORT_MAX_BYTES])
    except (ValueError, OSError, RecursionError, RawPostDataException):
        return HttpResponse(status=400)
    # report-uri sends {"csp-report": {...}}; report-to sends [{"type": "csp-violation", "body": {...}}, ...].
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        reports = [payload["csp-report"]]
    elif isinstance(payload, list):
        reports = [item.get("body") for item in payload[:10] if isinstance(item, dict)]
    else:
        reports = []
    reports = [report for report in reports if isinstance(report, dict)]
    if not reports:
        return HttpResponse(status=400)
    for report in reports:
        fields = {key: str(value)[:500] for key, value in report.items() if key in CSP_REPORT_FIELDS}
        csp_logger.warning("csp.violation", extra={"event": "csp.violation", "report": fields})
    return HttpResponse(status=204)
