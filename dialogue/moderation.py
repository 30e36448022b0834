"""The moderators' pages: the queue, decisions, flags, official responses and the audit log.

Every view states its permission: anonymous visitors are sent to sign in, signed-in people
without the permission get 403. Officials must also have set up two-factor authentication
(spp_portal.middleware.RequireMFAForOfficialsMiddleware) before any of these pages opens.
"""

import datetime
import re
from collections import defaultdict

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pagecache.cache import PAGE_NUMBER, SLUG, cached_fragment
from pagecache.readers import share_signed_in_page

from . import campaigns, services
from .forms import (
    AppealDecisionForm,
    BulkDecisionForm,
    CampaignDecisionForm,
    DecisionForm,
    HideForm,
    LogFilterForm,
    QueueFilterForm,
    ResponseForm,
)
from .models import (
    Appeal,
    Campaign,
    Comment,
    Flag,
    ModerationEvent,
    Organisation,
    OrganisationInterest,
    Stakeholder,
    may_have_pending_comments,
)
from .precompiled import PrecompiledQuery
from .spreadsheet import csv_lines

QUEUE_PAGE_SIZE = 50
LOG_PAGE_SIZE = 100


def requires(permission):
    """Sign in first (anonymous → login page), then hold `permission` (otherwise 403)."""

    def decorator(view):
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorator


def _author_count(status):
    counts = (
        Comment.objects.filter(author=OuterRef("author"), status=status)
        .order_by()
        .values("author")
        .annotate(n=Count("*"))  # not Count("pk"): the (author, status) index alone answers COUNT(*)
        .values("n")
    )
    return Coalesce(Subquery(counts), 0)


def queue_queryset(tab: str, filters: dict):
    """
    Pending submissions oldest first (or the flagged ones), with their author's history. A campaign
    waits as one item, its oldest pending member matching the filters (see with_campaigns).
    """
    comments = Comment.objects.flagged() if tab == "flagged" else Comment.objects.pending()
    if statement := filters.get("statement"):
        comments = comments.filter(statement=statement)
    if priority := filters.get("priority"):
        comments = comments.filter(Q(priority=priority) | Q(directive__priority=priority))
    if language := filters.get("language"):
        comments = comments.filter(language=language)
    if country := filters.get("country"):
        comments = comments.filter(author__stakeholder__country=country)
    if tab != "flagged":
        comments = comments.exclude(Q(campaign__isnull=False) & Exists(comments.filter(campaigns.earlier_member())))
    comments = comments.select_related(
        "statement", "directive", "priority", "author__stakeholder", "parent__author__stakeholder", "on_behalf_of"
    ).annotate(
        author_approved=_author_count(Comment.Status.APPROVED),
        author_rejected=_author_count(Comment.Status.REJECTED),
    )
    if tab == "flagged":
        comments = comments.annotate(open_flags=Count("flags", filter=Q(flags__resolution=Flag.Resolution.OPEN)))
    return comments.order_by("submitted_at", "pk")


def with_campaigns(page):
    """
    Give each campaign item of a queue page its pending members (`campaign_members`, the oldest
    first, each with `changes` against the campaign's representative text): one query for the
    page, whatever the campaigns' sizes. A campaign with one member left waiting is a plain item.
    """
    page.object_list = list(page.object_list)
    # What "Apply to all on this page" decides: a campaign item is decided with its own action.
    page.single_comments = page.object_list
    campaign_ids = {comment.campaign_id for comment in page.object_list if comment.campaign_id}
    if not campaign_ids:
        return page
    members = defaultdict(list)
    waiting = (
        Comment.objects.pending()
        .filter(campaign__in=campaign_ids)
        .select_related("author__stakeholder", "campaign__representative")
        .order_by("submitted_at", "pk")
    )
    for member in waiting:
        member.changes = campaigns.word_changes(member.campaign.representative.body, member.body)
        members[member.campaign_id].append(member)
    for comment in page.object_list:
        if len(members.get(comment.campaign_id, ())) > 1:
            comment.campaign_members = members[comment.campaign_id]
    page.single_comments = [comment for comment in page.object_list if not hasattr(comment, "campaign_members")]
    return page


def _own_waiting(request) -> bool:
    """Whether anything waits that this moderator may not decide (their own, their organisation's); once a request."""
    if not hasattr(request, "_own_waiting"):
        flagged = request.GET.get("status") == "flagged"
        moderator = request.user
        if OrganisationInterest.of(moderator).organisations:
            waiting = Comment.objects.flagged() if flagged else Comment.objects.pending()
            request._own_waiting = waiting.filter(_conflicts(moderator)).exists()
        elif flagged:  # most moderators: only their own comments (a query compiled once)
            request._own_waiting = OWN_FLAGGED.exists(author=moderator.pk)
        else:  # ... and whether one of theirs waits was read with them (spp_portal/auth.py)
            request._own_waiting = may_have_pending_comments(moderator) and OWN_PENDING.exists(author=moderator.pk)
    return request._own_waiting


OWN_PENDING = PrecompiledQuery(Comment, lambda author: Comment.objects.pending().filter(author_id=author), "author")
OWN_FLAGGED = PrecompiledQuery(Comment, lambda author: Comment.objects.flagged().filter(author_id=author), "author")


# The queue's parameters (its filters may come back empty: "All statements").
QUEUE_QUERY = {
    "status": {"pending", "flagged"},
    "page": PAGE_NUMBER,
    "statement": re.compile(rf"|{SLUG.pattern}"),
    "priority": re.compile(rf"|{SLUG.pattern}"),
    "language": {"", *(code for code, _name in settings.LANGUAGES)},
    "country": {"", *Stakeholder.Country.values},
}


# Every moderator with the same permissions sees the same queue around their CSRF token (one whose
# own comment waits sees it marked, without buttons: theirs alone). Dropped by every change, as the
# listing and the counts in it are.
@requires("dialogue.moderate_comment")
@require_GET
@share_signed_in_page(query=QUEUE_QUERY, readers=lambda request: not _own_waiting(request))
def queue(request):
    """What waits for a moderator: pending comments oldest first, or the flagged ones."""
    tab = "flagged" if request.GET.get("status") == "flagged" else "pending"
    # Lazy: the listing is the same for every moderator, so the template renders it (and runs
    # these queries) once per cache generation; each submission or decision starts a new one. Its
    # forms too: building them cost more than the rest of the view.
    filter_form = SimpleLazyObject(lambda: QueueFilterForm(request.GET or None))
    page = SimpleLazyObject(
        lambda: with_campaigns(
            Paginator(
                queue_queryset(tab, filter_form.cleaned_data if filter_form.is_valid() else {}), QUEUE_PAGE_SIZE
            ).get_page(request.GET.get("page"))
        )
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dialogue/moderation/queue.html",
        {
            "section": "queue",
            "tab": tab,
            "page": page,
            # A moderator whose own comments (or their organisation's) wait sees them marked, without
            # buttons: a listing of their own.
            "own_waiting": _own_waiting(request),
            "filter_form": filter_form,
            "bulk_form": SimpleLazyObject(BulkDecisionForm),
            "query_string": query.urlencode(),
            "now": timezone.now(),
        },
    )


def _conflicts(moderator) -> Q:
    """The comments this moderator may not act on (Comment.conflict_of_interest, as a filter)."""
    # Their organisations and those organisations' members read first (two small indexed queries):
    # as values rather than subqueries, the pending comments are found through the author and
    # on-behalf-of indexes instead of a scan of every pending comment.
    interest = OrganisationInterest.of(moderator)
    return Q(author=moderator) | Q(on_behalf_of__in=interest.organisations) | Q(author__in=interest.members)


def _comment_for_moderation(tracking):
    return get_object_or_404(
        Comment.objects.select_related(
            "statement", "directive", "priority", "author__stakeholder", "parent__author__stakeholder", "on_behalf_of"
        ),
        tracking_number=tracking,
    )


@requires("dialogue.moderate_comment")
@require_GET
def comment_detail(request, tracking):
    """One comment with its context, history and every decision that is open to the moderator."""
    return _render_detail(request, _comment_for_moderation(tracking))


def _render_detail(request, comment, *, response_form=None, status=200):
    """The decision page; the official-response form comes back with its errors when it was refused."""
    author_history = {}
    if comment.author_id:
        author_history = dict(
            Comment.objects.filter(author_id=comment.author_id)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
    return render(
        request,
        "dialogue/moderation/comment.html",
        {
            "comment": comment,
            "author_history": author_history,
            "flags": comment.flags.select_related("flagger__stakeholder"),
            "open_flags": comment.flags.filter(resolution=Flag.Resolution.OPEN).exists(),
            "events": comment.events.all(),
            "responses": comment.responses.all(),
            "attachments": comment.attachments.all(),
            "conflict": comment.conflict_of_interest(request.user),
            "decision_form": DecisionForm(initial={"seen": comment.fingerprint}),
            "hide_form": HideForm(initial={"seen": comment.fingerprint}),
            "response_form": response_form or ResponseForm(),
        },
        status=status,
    )


# Each decision applies to the text the moderator was shown: `seen` is its fingerprint.
DECISIONS = {
    "approve": lambda comment, moderator, seen, data: services.comment_approve(
        comment=comment, moderator=moderator, seen=seen
    ),
    "reject": lambda comment, moderator, seen, data: services.comment_reject(
        comment=comment, moderator=moderator, seen=seen, reason=data["reason"], note=data["note"]
    ),
    "hide": lambda comment, moderator, seen, data: services.comment_hide(
        comment=comment, moderator=moderator, seen=seen, reason=data["reason"], note=data["note"]
    ),
    "restore": lambda comment, moderator, seen, data: services.comment_restore(
        comment=comment, moderator=moderator, seen=seen, note=data["note"]
    ),
}

DONE = {
    "approve": lambda: _("Comment %(number)s approved and published."),
    "reject": lambda: _("Comment %(number)s rejected; its author is told why."),
    "hide": lambda: _("Comment %(number)s hidden from the public."),
    "restore": lambda: _("Comment %(number)s restored."),
}


def _back(request) -> HttpResponseRedirect:
    """Back to where the form asked to go (the queue page it was on) if that is a page of this site, else the queue."""
    target = request.POST.get("next", "")
    on_this_site = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    # A URL, never a view name: redirect() would try to reverse whatever was posted.
    return HttpResponseRedirect(target if on_this_site else reverse("dialogue:moderation-queue"))


@requires("dialogue.moderate_comment")
@require_POST
def decide(request, tracking, action):
    """Approve, reject, hide or restore one comment, in one transaction (see dialogue.services)."""
    comment = _comment_for_moderation(tracking)
    detail_url = reverse("dialogue:moderation-comment", args=[comment.tracking_number])
    form = (HideForm if action == "hide" else DecisionForm)(request.POST, action=action)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(detail_url)
    try:
        DECISIONS[action](comment, request.user, form.cleaned_data["seen"], form.cleaned_data)
    except services.DialogueError as error:
        # Back to the comment as it is now: after "the text changed", the new text is what it shows.
        messages.error(request, error.message)
        return redirect(detail_url)
    messages.success(request, DONE[action]() % {"number": comment.tracking_number})
    return _back(request)


@requires("dialogue.moderate_comment")
@require_POST
@reauthentication_required
def bulk_decide(request):
    """
    Approve or reject several comments; each is its own transaction, so one refusal stops nothing else.
    Many decisions in one click: allauth asks for the password again first (unless given in the last
    few minutes), then carries out the decision as it was posted.
    """
    form = BulkDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(request)
    action = form.cleaned_data["bulk_action"]
    done, refused = 0, []
    for comment, seen in form.selected():
        try:
            DECISIONS[action](comment, request.user, seen, form.cleaned_data)
            done += 1
        except services.DialogueError as error:
            refused.append(f"{comment.tracking_number}: {error.message}")
    if done:
        text = (
            ngettext("%(count)d comment approved.", "%(count)d comments approved.", done)
            if action == "approve"
            else ngettext("%(count)d comment rejected.", "%(count)d comments rejected.", done)
        )
        messages.success(request, text % {"count": done})
    for line in refused:
        messages.error(request, line)
    return _back(request)


def _campaign_members(campaign):
    """Every member of the campaign, oldest first, with what it changed against the representative (one query)."""
    members = list(
        Comment.objects.filter(campaign=campaign).select_related("author__stakeholder").order_by("submitted_at", "pk")
    )
    for member in members:
        member.changes = campaigns.word_changes(campaign.representative.body, member.body)
    return members


@requires("dialogue.moderate_comment")
@require_GET
def campaign_detail(request, pk):
    """A campaign as moderators see it: the representative text, every member and what it changed, one decision."""
    campaign = get_object_or_404(Campaign.objects.select_related("statement", "representative"), pk=pk)
    members = _campaign_members(campaign)
    return render(
        request,
        "dialogue/moderation/campaign.html",
        {
            "section": "queue",
            "campaign": campaign,
            "members": members,
            "waiting": [member for member in members if member.status == Comment.Status.PENDING],
            "form": CampaignDecisionForm(campaign=campaign),
        },
    )


@requires("dialogue.moderate_comment")
@require_POST
@reauthentication_required
def campaign_decide(request, pk):
    """
    Approve or reject every waiting member of a campaign the moderator was shown, with one reason:
    each comment its own transaction, event and email (services.campaign_decide). Like the bulk
    decisions, allauth asks for the password again first unless it was given in the last minutes.
    """
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CampaignDecisionForm(request.POST, campaign=campaign)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("dialogue:moderation-campaign", pk=campaign.pk)
    action = form.cleaned_data["action"]
    try:
        result = services.campaign_decide(
            campaign=campaign,
            moderator=request.user,
            action=action,
            seen=form.cleaned_data["members"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except services.DialogueError as error:
        messages.error(request, error.message)
        return redirect("dialogue:moderation-campaign", pk=campaign.pk)
    if done := len(result.decided):
        text = (
            ngettext("%(count)d comment approved.", "%(count)d comments approved.", done)
            if action == "approve"
            else ngettext("%(count)d comment rejected.", "%(count)d comments rejected.", done)
        )
        messages.success(request, text % {"count": done})
    for comment, why in result.refused:
        messages.error(request, f"{comment.tracking_number}: {why}")
    return _back(request)


@requires("dialogue.moderate_comment")
@require_POST
def resolve_flags(request, tracking):
    comment = _comment_for_moderation(tracking)
    uphold = request.POST.get("resolution") == "uphold"
    try:
        services.flags_resolve(
            comment=comment,
            moderator=request.user,
            seen=request.POST.get("seen", ""),
            uphold=uphold,
            note=request.POST.get("note", ""),
        )
    except services.DialogueError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Reports upheld: the comment stays hidden.")
            if uphold
            else _("Reports dismissed: the comment is published again."),
        )
    return redirect("dialogue:moderation-comment", tracking=comment.tracking_number)


@requires("dialogue.respond_officially")
@require_http_methods(["POST"])
def respond(request, tracking):
    """Post an official response under a published comment, also after the comment period."""
    comment = _comment_for_moderation(tracking)
    form = ResponseForm(request.POST)
    if form.is_valid():
        try:
            services.response_post(comment=comment, moderator=request.user, **form.cleaned_data)
        except services.DialogueError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The official response is published under the comment."))
            return redirect("dialogue:moderation-comment", tracking=comment.tracking_number)
    return _render_detail(request, comment, response_form=form, status=400)


@requires("dialogue.moderate_comment")
@require_http_methods(["GET", "POST"])
def appeals(request):
    """Appeals waiting, oldest first, each with its comment, the rejection and the author's reasons; a
    moderator of the first decider's country sees why they cannot decide it, instead of the form."""
    form = None
    if request.method == "POST":
        appeal = get_object_or_404(Appeal.objects.select_related("comment"), pk=request.POST.get("appeal"))
        form = AppealDecisionForm(request.POST, prefix=f"appeal-{appeal.pk}")
        if form.is_valid():
            try:
                services.appeal_decide(
                    appeal=appeal,
                    moderator=request.user,
                    grant=form.cleaned_data["decision"] == "grant",
                    note=form.cleaned_data["note"],
                )
            except services.DialogueError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Appeal decided; its author is told why."))
                return redirect("dialogue:moderation-appeals")
    waiting = list(
        Appeal.objects.filter(status=Appeal.Status.PENDING).select_related(
            "comment__statement", "comment__author__stakeholder", "first_decider__stakeholder"
        )
    )
    for appeal in waiting:
        appeal.conflict = services.appeal_conflict(appeal, request.user)
        appeal.form = (
            form
            if form is not None and form.prefix == f"appeal-{appeal.pk}"
            else AppealDecisionForm(prefix=f"appeal-{appeal.pk}")
        )
    return render(
        request,
        "dialogue/moderation/appeals.html",
        {"section": "appeals", "appeals": waiting},
        status=400 if form is not None and form.errors else 200,
    )


def _log_events(request):
    form = LogFilterForm(request.GET or None)
    events = ModerationEvent.objects.select_related("comment")  # newest first (Meta.ordering)
    if form.is_valid():
        data = form.cleaned_data
        if data.get("moderator"):
            events = events.filter(actor=data["moderator"])
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("since"):
            events = events.filter(created_at__date__gte=data["since"])
        if data.get("until"):
            events = events.filter(created_at__date__lte=data["until"])
    return form, events


@requires("dialogue.view_moderationevent")
@require_GET
def audit_log(request):
    """Every event of the conversation, newest first. Nothing here can be changed or deleted."""
    form, events = _log_events(request)
    page = Paginator(events, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dialogue/moderation/log.html",
        {"section": "log", "form": form, "page": page, "query_string": query.urlencode()},
    )


@requires("dialogue.view_moderationevent")
@require_GET
def audit_log_csv(request):
    """The filtered audit log as CSV, streamed row by row, safe to open in a spreadsheet."""
    _form, events = _log_events(request)
    header = ["time", "comment", "action", "from_status", "to_status", "reason", "note", "actor"]
    rows = (
        [
            event.created_at.isoformat(),
            event.comment.tracking_number,
            event.action,
            event.from_status,
            event.to_status,
            event.reason,
            event.note,
            event.actor_name,
        ]
        for event in events.iterator(chunk_size=2000)
    )
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    stamp = datetime.date.today().isoformat()  # noqa: DTZ011 - a file name, not a record
    response["Content-Disposition"] = f'attachment; filename="moderation-log-{stamp}.csv"'
    return response


def moderation_counts() -> dict:
    """What waits, for the navigation of moderators (counted once per cache generation)."""
    return cached_fragment(
        "moderation-counts",
        lambda: {
            "pending": Comment.objects.pending().count(),
            "flagged": Comment.objects.flagged().count(),
            "appeals": Appeal.objects.filter(status=Appeal.Status.PENDING).count(),
            "organisations": Organisation.objects.pending().count(),
        },
    )
