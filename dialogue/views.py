"""Stakeholders' pages: commenting, receipts, my submissions, reports, profile and my data."""

import json

from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from pagecache.cache import PAGE_NUMBER, cache_public_page
from priorities.models import Priority, Statement
from safeguards.files import download_response
from safeguards.ratelimit import rate_limit

from . import campaigns, notifications, services
from .adapter import ensure_stakeholder
from .forms import (
    FILES_NOT_KEPT,
    AppealForm,
    CommentForm,
    DeleteAccountForm,
    EditCommentForm,
    FlagForm,
    FollowForm,
    ProfileForm,
    SubscriptionsForm,
    VerifyForm,
)
from .models import Appeal, Attachment, Campaign, Comment, ModerationEvent, Stakeholder, Subscription, Support
from .personal_data import personal_data
from .text import clean_body, fingerprint, normalise_tracking_number

SUBMISSIONS_PER_PAGE = 25
CAMPAIGN_MEMBERS_PER_PAGE = 50


def _comment_page(request, *, form, statement, mode, comment=None, status=200):
    """The stand-alone comment form: a new comment, a reply, or an edit, with errors and the text kept.

    Headed by what is commented on: the statement, one of its priorities, or one of its directives
    (shown whole), as chosen in the form or by the link that opened it.
    """
    subject = {}
    if mode == "new":
        subject = form.subject()
    elif mode == "edit" and comment.directive_id:
        subject = {"directive": comment.directive}
    elif mode == "edit" and comment.priority_id:
        subject = {"priority": comment.priority}
    return render(
        request,
        "dialogue/comment_page.html",
        {"form": form, "statement": statement, "mode": mode, "comment": comment, "subject": subject},
        status=status,
    )


def _refusal_status(form, error: services.DialogueError) -> int:
    """Show the refusal above the form (the text stays in it) and choose the status code."""
    form.add_error(None, error.message)
    if isinstance(error, services.RateLimited):
        return 429
    return 409 if isinstance(error, services.AlreadyDecided) else 400


@login_required
@require_http_methods(["GET", "POST"])
def comment_create(request, slug):
    """Submit a comment on a statement, one of its priorities or directives. Refusals keep the text."""
    statement = get_object_or_404(Statement.objects.published(), slug=slug)
    return _submit(request, statement=statement)


@login_required
@require_http_methods(["GET", "POST"])
def comment_reply(request, tracking):
    """Reply to a published comment."""
    parent = get_object_or_404(
        Comment.objects.published().select_related("statement", "author__stakeholder"), tracking_number=tracking
    )
    return _submit(request, statement=parent.statement, parent=parent)


def _submit(request, *, statement: Statement, parent: Comment | None = None):
    """The one path of a new comment and of a reply: form, service, receipt; a refusal keeps the text."""
    mode = "new" if parent is None else "reply"
    form = CommentForm(
        request.POST or None,
        request.FILES or None,
        statement=statement,
        reply=parent is not None,
        author=request.user,
        initial={"about": request.GET.get("about", "")},
    )
    if request.method == "GET":
        return _comment_page(request, form=form, statement=statement, mode=mode, comment=parent)
    status, retry_after = 400, None
    if form.is_valid():
        try:
            comment = services.comment_submit(
                author=request.user,
                statement=statement,
                body=form.cleaned_data["body"],
                language=form.cleaned_data["language"],
                parent=parent,
                on_behalf_of=form.cleaned_data["on_behalf_of"],
                anonymous=form.cleaned_data["anonymous"],
                files=form.cleaned_data["attachments"],
                **form.cleaned_data.get("about", {}),
            )
        except services.FileRefused as error:
            form.add_error("attachments", error.message)
        except services.DialogueError as error:
            status = _refusal_status(form, error)
            retry_after = getattr(error, "retry_after", None)
        else:
            if parent is None:
                messages.success(request, _("Thank you. Your comment was received and awaits moderation."))
            else:
                messages.success(request, _("Thank you. Your reply was received and awaits moderation."))
            return redirect("dialogue:receipt", tracking=comment.tracking_number)
    if request.FILES:
        form.add_error(None, FILES_NOT_KEPT)
    response = _comment_page(request, form=form, statement=statement, mode=mode, comment=parent, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _own_comment(request, tracking) -> Comment:
    """The signed-in author's comment; anyone else gets 404, as if it did not exist."""
    comment = Comment.objects.select_related("statement", "directive", "priority", "on_behalf_of").filter(
        tracking_number=normalise_tracking_number(tracking)
    )
    comment = comment.filter(author=request.user).first()
    if comment is None:
        raise Http404
    return comment


@login_required
@require_GET
def receipt(request, tracking):
    """The author's receipt: tracking number, fingerprint, status and any decision."""
    comment = _own_comment(request, tracking)
    responses = list(comment.responses.all())
    attachments = list(comment.attachments.all())
    replies = list(comment.replies.approved().select_related("author__stakeholder").order_by("decided_at", "pk"))
    seen_since = comment.author_seen_at
    # Opening the receipt is reading the news: "New official response" / "New reply" leave My submissions.
    Comment.objects.filter(pk=comment.pk).update(author_seen_at=timezone.now())
    return render(
        request,
        "dialogue/receipt.html",
        {
            "comment": comment,
            "responses": responses,
            "replies": replies,
            "seen_since": seen_since,
            "attachments": attachments,
        },
    )


@login_required
@require_GET
def my_submissions(request):
    comments = (
        Comment.objects.filter(author=request.user)
        .select_related("statement", "directive", "priority", "appeal", "on_behalf_of")
        .with_news()
        .newest_first()
    )
    page = Paginator(comments, SUBMISSIONS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    for comment in page.object_list:
        appeal = getattr(comment, "appeal", None) if comment.status == Comment.Status.REJECTED else None
        comment.appeal_status = appeal.get_status_display() if appeal else ""
        deadline = services.appeal_deadline(comment)
        comment.appealable = appeal is None and deadline is not None and now <= deadline
    return render(request, "dialogue/mine.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request, tracking):
    comment = _own_comment(request, tracking)
    form = EditCommentForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_edit(comment=comment, author=request.user, body=form.cleaned_data["body"])
        except services.DialogueError as error:
            status = _refusal_status(form, error)
            return _comment_page(
                request, form=form, statement=comment.statement, mode="edit", comment=comment, status=status
            )
        messages.success(request, _("Your comment was changed. Its fingerprint now matches the new text."))
        return redirect("dialogue:receipt", tracking=comment.tracking_number)
    status = 400 if request.method == "POST" else 200
    return _comment_page(request, form=form, statement=comment.statement, mode="edit", comment=comment, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def comment_withdraw(request, tracking):
    comment = _own_comment(request, tracking)
    if request.method == "POST":
        try:
            services.comment_withdraw(comment=comment, author=request.user)
        except services.DialogueError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your comment was withdrawn. It will not be published."))
        return redirect("dialogue:mine")
    return render(request, "dialogue/withdraw_confirm.html", {"comment": comment})


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("report", "REPORT_RATE_LIMIT", per_user=True, methods=("POST",))
def comment_flag(request, tracking):
    """Report a published comment to the moderators."""
    comment = get_object_or_404(
        Comment.objects.published().select_related("statement", "author__stakeholder"), tracking_number=tracking
    )
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_flag(comment=comment, flagger=request.user, **form.cleaned_data)
        except services.DialogueError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Thank you. The moderators will review this comment."))
            return redirect(comment.get_absolute_url())
    return render(request, "dialogue/flag.html", {"form": form, "comment": comment}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("support", "SUPPORT_RATE_LIMIT", per_user=True, methods=("POST",))
def comment_support(request, tracking):
    """Support a published comment, or withdraw one's support: a page of its own, like Reply and Report,
    so that the cached thread (the same for every reader) needs no one's CSRF token or state."""
    comment = get_object_or_404(
        Comment.objects.published().select_related("statement", "author__stakeholder"), tracking_number=tracking
    )
    supported = Support.objects.filter(comment=comment, supporter=request.user).exists()
    if request.method == "POST":
        try:
            services.comment_support(comment=comment, supporter=request.user, support=not supported)
        except services.DialogueError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Your support is withdrawn.") if supported else _("Thank you: your support is counted."),
            )
            return redirect(comment.get_absolute_url())
    return render(request, "dialogue/support.html", {"comment": comment, "supported": supported})


@login_required
@require_http_methods(["GET", "POST"])
def comment_appeal(request, tracking):
    """The author of a rejected comment appeals the decision, once, within APPEAL_DAYS."""
    comment = get_object_or_404(
        Comment.objects.select_related("statement").filter(author=request.user), tracking_number=tracking
    )
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_submit(comment=comment, author=request.user, explanation=form.cleaned_data["explanation"])
        except services.DialogueError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your appeal is sent. You will be emailed the decision and its reason."))
            return redirect("dialogue:mine")
    return render(
        request,
        "dialogue/appeal.html",
        {"form": form, "comment": comment, "deadline": services.appeal_deadline(comment)},
        status=400 if form.errors else 200,
    )


@require_GET
def attachment_download(request, tracking, number):
    """
    A comment's attached file, as a download (safeguards.files.download_response): anyone's once
    the comment is published, before that only its author's and the moderators' (404 for others,
    as if it did not exist), and gone from public view when the comment is rejected, hidden or withdrawn.
    """
    attachment = get_object_or_404(
        Attachment.objects.visible_to(request.user).select_related("comment"),
        comment__tracking_number=normalise_tracking_number(tracking),
        number=number,
    )
    try:
        file = attachment.file.open("rb")
    except OSError as error:
        raise Http404 from error
    return download_response(file, filename=attachment.name, content_type=attachment.content_type)


@require_GET
def moderation_policy(request):
    """The numbered rules moderators decide by; rejections and reports cite them."""
    return render(request, "dialogue/moderation_policy.html")


DECISION_ACTIONS = [
    ModerationEvent.Action.APPROVE,
    ModerationEvent.Action.REJECT,
    ModerationEvent.Action.HIDE,
    ModerationEvent.Action.FLAG_HIDE,
    ModerationEvent.Action.FLAGS_UPHELD,
    ModerationEvent.Action.FLAGS_DISMISSED,
    ModerationEvent.Action.RESTORE,
    ModerationEvent.Action.APPEAL_UPHELD,
    ModerationEvent.Action.APPEAL_REVERSED,
]


@cache_public_page(query={"page": PAGE_NUMBER})
@require_GET
def campaign(request, pk):
    """
    The published submissions of a campaign (the link "and N similar submissions" on the statement
    page): the representative text once, the first published, then each submission with its author
    and what it changed. Four queries whatever the campaign's size.
    """
    campaign = get_object_or_404(
        Campaign.objects.select_related("statement"), pk=pk, statement__in=Statement.objects.published()
    )
    published = (
        Comment.objects.published().filter(campaign=campaign, parent__isnull=True).order_by("submitted_at", "pk")
    )
    representative = published.first()
    if representative is None:
        raise Http404
    page = Paginator(published.with_public_author(), CAMPAIGN_MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    for member in page.object_list:
        member.changes = campaigns.word_changes(representative.body, member.body)
    return render(
        request,
        "dialogue/campaign.html",
        {"campaign": campaign, "statement": campaign.statement, "representative": representative, "page": page},
    )


@cache_public_page
@require_GET
def moderation_report(request):
    """Transparency: moderation decisions counted by month, reason, language and country. No personal data."""
    decisions = ModerationEvent.objects.filter(action__in=DECISION_ACTIONS).order_by()
    by_month = (
        decisions.annotate(month=TruncMonth("created_at"))
        .values("month", "action")
        .annotate(n=Count("pk"))
        .order_by("-month", "action")
    )
    months = {}
    for row in by_month:
        months.setdefault(row["month"], {})[row["action"]] = row["n"]
    context = {
        "actions": [(code, ModerationEvent.Action(code).label) for code in DECISION_ACTIONS],
        "months": [(month, [counts.get(code, 0) for code in DECISION_ACTIONS]) for month, counts in months.items()],
        "by_reason": decisions.exclude(reason="").values("reason").annotate(n=Count("pk")).order_by("reason"),
        "by_language": decisions.values("action", "comment__language")
        .annotate(n=Count("pk"))
        .order_by("comment__language", "action"),
        "by_country": decisions.values("action", "comment__author__stakeholder__country")
        .annotate(n=Count("pk"))
        .order_by("comment__author__stakeholder__country", "action"),
        "countries": dict(Stakeholder.Country.choices),
        "appeals": Appeal.objects.aggregate(
            total=Count("pk"),
            waiting=Count("pk", filter=Q(status=Appeal.Status.PENDING)),
            reversed=Count("pk", filter=Q(status=Appeal.Status.REVERSED)),
        ),
    }
    return render(request, "dialogue/moderation_report.html", context)


@require_GET
@rate_limit("verify", "VERIFY_RATE_LIMIT")
def verify(request):
    """Anyone can check that a published comment's text matches its fingerprint."""
    form = VerifyForm(request.GET if "text" in request.GET else None, initial=request.GET)
    result = None
    if form.is_valid():
        comment = (
            Comment.objects.published()
            .filter(tracking_number=normalise_tracking_number(form.cleaned_data["tracking_number"]))
            .first()
        )
        if comment is None:
            result = "unknown"
        else:
            files = list(comment.attachments.values_list("sha256", flat=True))
            digest = fingerprint(clean_body(form.cleaned_data["text"]), files)
            result = "match" if digest == comment.fingerprint else "mismatch"
        return render(request, "dialogue/verify.html", {"form": form, "result": result, "comment": comment})
    return render(request, "dialogue/verify.html", {"form": form, "result": result})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The public profile shown beside comments, and the language of the portal's email."""
    form = ProfileForm(request.POST or None, instance=ensure_stakeholder(request.user))
    if form.is_valid():
        services.stakeholder_update(stakeholder=form.instance, changed=form.changed_data)
        messages.success(request, _("Your profile has been saved."))
        return redirect("dialogue:profile")
    return render(request, "dialogue/profile.html", {"form": form})


# --- Following and unsubscribing ---------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("follow", "FOLLOW_RATE_LIMIT", per_user=True, methods=("POST",))
def follow_statement(request, slug):
    """Follow a published statement: its new comments, official responses, period changes, outcome."""
    statement = get_object_or_404(Statement.objects.published(), slug=slug)
    return _follow(request, topic=Subscription.Topic.STATEMENT, statement=statement)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("follow", "FOLLOW_RATE_LIMIT", per_user=True, methods=("POST",))
def follow_priority(request, slug):
    """Follow a priority: the statements published in it."""
    priority = get_object_or_404(Priority, slug=slug)
    return _follow(request, topic=Subscription.Topic.PRIORITY, priority=priority)


def _follow(request, *, topic: str, statement: Statement | None = None, priority: Priority | None = None):
    """A page of its own (like Support), so the statement and priority pages stay cached for every reader."""
    subject = statement or priority
    current = (
        Subscription.objects.filter(user=request.user, topic=topic, statement=statement, priority=priority)
        .exclude(delivery=Subscription.Delivery.OFF)
        .first()
    )
    form = FollowForm(request.POST or None, initial={"delivery": current.delivery} if current else None)
    if request.method == "POST" and ("stop" in request.POST or form.is_valid()):
        stop = "stop" in request.POST
        delivery = Subscription.Delivery.OFF if stop else form.cleaned_data["delivery"]
        services.subscription_set(
            user=request.user, topic=topic, statement=statement, priority=priority, delivery=delivery
        )
        if stop:
            messages.success(request, _("You no longer follow “%(title)s”.") % {"title": subject.title})
        else:
            messages.success(
                request,
                _("You follow “%(title)s”. “Email I receive” in your account lists what you follow.")
                % {"title": subject.title},
            )
        return redirect(subject.get_absolute_url())
    return render(
        request,
        "dialogue/follow.html",
        {"form": form, "subject": subject, "is_statement": statement is not None, "following": current},
    )


@login_required
@require_http_methods(["GET", "POST"])
def subscriptions(request):
    """Email I receive: everything one follows, and the emails about one's comments, each changeable."""
    form = SubscriptionsForm(request.POST or None, user=request.user)
    if form.is_valid():
        for row, delivery in form.changes():
            services.subscription_set(
                user=request.user, topic=row.topic, statement=row.statement, priority=row.priority, delivery=delivery
            )
        messages.success(request, _("Your choices are saved."))
        return redirect("dialogue:subscriptions")
    return render(request, "dialogue/subscriptions.html", {"form": form})


# RFC 8058 one-click unsubscribe: a mail client POSTs "List-Unsubscribe=One-Click" to the address in
# the List-Unsubscribe header, with no cookie and no CSRF token (it has neither). The link itself is
# the credential: it is signed (django.core.signing), names one person's one subscription, and can
# only turn email off, so a forged cross-site POST can do nothing a signed link does not already
# allow. That is why this one view is exempt from CSRF; every other form keeps its token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """Stop one kind of email from its link, without signing in: GET asks to confirm, POST stops it."""
    try:
        user_id, topic, subject_id = notifications.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "dialogue/unsubscribe.html", {"invalid": True}, status=400)
    if not get_user_model().objects.filter(pk=user_id).exists():
        return render(request, "dialogue/unsubscribe.html", {"invalid": True}, status=400)
    what = _unsubscribe_what(topic, subject_id)
    done = False
    if request.method == "POST":
        try:
            services.subscription_stop(user_id=user_id, topic=topic, subject_id=subject_id)
        except services.DialogueError:
            return render(request, "dialogue/unsubscribe.html", {"invalid": True}, status=400)
        done = True
    response = render(request, "dialogue/unsubscribe.html", {"what": what, "done": done})
    response["Cache-Control"] = "no-store"
    return response


def _unsubscribe_what(topic: str, subject_id: int | None) -> str:
    """What the link stops, in words (no one's address: whoever holds the link may read the page)."""
    if topic == notifications.DIGEST:
        return _("your daily digests")
    if topic == Subscription.Topic.STATEMENT:
        statement = Statement.objects.filter(pk=subject_id).first()
        return _("the emails about the statement “%(title)s”") % {"title": statement.title if statement else ""}
    if topic == Subscription.Topic.PRIORITY:
        priority = Priority.objects.filter(pk=subject_id).first()
        return _("the emails about the priority “%(title)s”") % {"title": priority.title if priority else ""}
    if topic == Subscription.Topic.MY_REPLIES:
        return _("the emails about replies to your comments")
    if topic == Subscription.Topic.MY_RESPONSES:
        return _("the emails about official responses to your comments")
    return _("the prompts when comments wait for moderation")


@login_required
@require_GET
def my_data(request):
    return render(request, "dialogue/my_data.html", {"delete_form": DeleteAccountForm(user=request.user)})


@login_required
@require_GET
def my_data_export(request):
    """Download everything the portal holds about me, as JSON."""
    data = json.dumps(personal_data(request.user), indent=2, ensure_ascii=False)
    response = HttpResponse(data, content_type="application/json; charset=utf-8")
    filename = f"north-american-dialogue-my-data-{timezone.now():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["POST"])
def account_delete(request):
    """Erase my account after I re-enter my password; published comments stay, anonymised."""
    form = DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "dialogue/my_data.html", {"delete_form": form}, status=400)
    services.account_delete(user=request.user)
    logout(request)
    messages.success(request, _("Your account and personal data have been deleted."))
    return redirect("home")
