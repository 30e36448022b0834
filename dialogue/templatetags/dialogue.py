"""The conversation's template tags: how statement and priority pages show their dialogue.

The published record (priorities/) stands without the conversation and never names its URLs;
its pages reach it only through these tags, as pages reach django-contrib-comments.

{% load dialogue %}
{% conversation_counts statement as conversation %}  published and awaiting comments, per subject (lazy)
{% at_a_glance statement conversation %}  the panel: period, counts, "Comment on this statement", jump links
{% comment_author comment %}              who a published comment is from (author_id=, describe=)
{% comment_form statement %}              the form, or why there is none
{% comment_thread statement conversation %}  approved comments as threads: sorted, filtered, paginated
{% conversation_feed_link subject %}      the <link rel="alternate"> of a statement's or priority's Atom feed
{% conversation_links subject %}          its feed, participation figures (and a statement's downloads)
{% directive_conversation directive conversation %}  its comments (with their count) and "Comment on this directive"
"""

import re

from crispy_forms.utils import render_crispy_form
from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from pagecache.cache import SLUG, cached_fragment
from pagecache.readers import CSRF_SLOT, csrf_token, reader_part, render_part
from priorities.models import Directive, Priority, Statement

from ..forms import CommentForm
from ..models import Comment, RejectionReason, is_organisation_member, may_have_pending_comments
from ..precompiled import PrecompiledQuery
from ..threads import ConversationCounts, conversation_counts, render_comment_text, thread_page

register = template.Library()

# The thread's query parameters (declared with these shapes on priorities.views.statement_detail).
THREAD_ORDERS = frozenset({"newest", "oldest", "support"})
DIRECTIVE_ID = re.compile(r"[1-9][0-9]{0,9}")
TRACKING_NUMBER = re.compile(r"[A-Za-z0-9-]{1,32}")  # as dialogue.urls.TrackingNumberConverter


@register.filter
def reason_label(code):
    """The moderation-policy label of a reason code ("2. Abusive or hateful")."""
    try:
        return RejectionReason(code).label
    except ValueError:
        return code


@register.filter
def groups_of(text, size):
    """`text` cut into groups of `size` characters, to be read (and compared) a group at a time."""
    text = str(text)
    return [text[start : start + size] for start in range(0, len(text), int(size))]


@register.filter
def comment_text(text):
    return render_comment_text(text or "")


@register.simple_tag
def comment_author(comment: Comment, author_id: str = "", describe: bool = False) -> SafeString:
    """
    Who a published comment is from, as readers see it (the statement page, home, search):
    - published without the name: "Anonymous participant" with only the country and sector;
    - on behalf of a verified organisation: the name, "on behalf of <organisation>" and the "verified" mark;
    - otherwise the name, and with `describe` the organisation the person gives in their profile, as
      their own description, never with a mark.
    `author_id`: the id of the name's element (the comment's accessible name).

    In Python rather than an included template: it is shown beside every comment of a page (20 search
    results, a thread's page), and the include's nodes cost more than the search's SQL (issue 17).
    """
    author = comment.author if comment.author_id else None
    stakeholder = getattr(author, "stakeholder", None)  # a former participant's account has none
    organisation = comment.verified_organisation
    html = format_html(
        '<span class="comment-author"{}>{}</span>',
        format_html(' id="{}"', author_id) if author_id else "",
        comment.public_author_name(),
    )
    if organisation and not comment.anonymous:
        # The translated sentence is the template's own text, as {% blocktranslate %} treats it; the name is escaped.
        on_behalf = mark_safe(gettext("on behalf of %(name)s") % {"name": conditional_escape(organisation.name)})  # noqa: S308
        html += format_html(
            '<span class="comment-on-behalf">, {} — <span class="badge verified-badge">{}</span></span>',
            on_behalf,
            gettext("verified"),
        )
    if stakeholder:
        described = ""
        if describe and not comment.anonymous and not organisation and stakeholder.organisation:
            described = format_html(
                ' · {} <span class="self-described">({})</span>', stakeholder.organisation, gettext("self-described")
            )
        html += format_html(
            '\n<span class="comment-author-details">· {} · {}{}</span>',
            stakeholder.get_country_display(),
            stakeholder.get_sector_display(),
            described,
        )
    return html


# The reader's own comments awaiting moderation, on every signed-in statement page.
MY_PENDING = PrecompiledQuery(
    Comment,
    lambda statement, author: (
        Comment.objects.pending()
        .filter(statement_id=statement, author_id=author)
        .order_by("submitted_at")
        .values("tracking_number", "body")
    ),
    "statement",
    "author",
)


@register.simple_tag(takes_context=True)
def comment_form(context, statement):
    """The form, or why there is none: the reader's own part of a page whose rest readers may share."""
    return mark_safe(render_part(context["request"], "comment-form", (statement,)))  # noqa: S308 - our own template


# Where a reader's own pending comments go in a comment section kept for every reader.
PENDING_SLOT = "pagecache-pending-comments-slot"


@reader_part("comment-form")
def comment_form_part(request, statement) -> str:
    """The reader's comments awaiting moderation on this statement, and the form (or the way to sign in)."""
    user = request.user
    context = {"request": request, "user": user, "statement": statement, "form_html": "", "pending_html": ""}
    if not user.is_authenticated:
        return render_to_string("dialogue/includes/comment_form.html", context)
    mine = MY_PENDING.rows(statement=statement.pk, author=user.pk) if may_have_pending_comments(user) else []
    pending_html = render_to_string("dialogue/includes/my_pending.html", {"my_pending": mine}) if mine else ""
    if not statement.is_open_for_comments():
        return render_to_string("dialogue/includes/comment_form.html", context | {"pending_html": pending_html})
    about = request.GET.get("about", "")
    # A member of an organisation chooses whether to comment on its behalf: their own form.
    member = is_organisation_member(user)

    def render(csrf_token, pending_html):
        author = user if member else None
        form = CommentForm(statement=statement, author=author, initial={"about": about})
        form_html = mark_safe(render_crispy_form(form))  # noqa: S308 - rendered by crispy from our own form
        return render_to_string(
            "dialogue/includes/comment_form.html",
            context | {"form_html": form_html, "csrf_token": csrf_token, "pending_html": pending_html},
        )

    if about or member:
        return render(csrf_token(request), pending_html)
    # Otherwise the section is the same for every signed-in reader of the statement in one language
    # but for the CSRF token and their pending comments: rendered once per cache generation (crispy
    # and the choice of directives cost more than the rest of the page), the reader's own put in.
    # `about` is visitor input: a preselected one is rendered each time rather than filling the cache.
    section = cached_fragment(
        f"comment-section:{statement.pk}:{statement.updated_at.isoformat()}",
        lambda: render(CSRF_SLOT, PENDING_SLOT),
        tags=[statement.cache_tag],
    )
    return section.replace(PENDING_SLOT, pending_html).replace(CSRF_SLOT, csrf_token(request))


@register.simple_tag(name="conversation_counts")
def conversation_counts_lazy(statement):
    """
    {% conversation_counts statement as conversation %}: the counts the page shows in several places
    (the panel, each directive, the thread), counted once per cache generation and only if a part
    that shows them is rendered afresh (lazy: cached parts never ask).
    """
    return SimpleLazyObject(
        lambda: cached_fragment(
            f"conversation-counts:{statement.pk}", lambda: conversation_counts(statement), tags=[statement.cache_tag]
        )
    )


@register.inclusion_tag("dialogue/includes/at_a_glance.html", takes_context=True)
def at_a_glance(context, statement, counts):
    """
    The statement page's first screen: where the comment period stands (the record's), what has been
    said (counts), the way to take part, and where things are on the page.
    """
    request = context["request"]
    comment_url = reverse("dialogue:comment-create", args=[statement.slug])
    if not request.user.is_authenticated:
        # Sign in first, then straight to the form; "create an account" keeps the same way back.
        comment_url = f"{reverse('account_login')}?{urlencode({'next': comment_url})}"
    return {
        "statement": statement,
        "counts": counts,
        "open": statement.is_open_for_comments(),
        "comment_url": comment_url,
        "signed_in": request.user.is_authenticated,
    }


def _thread_subjects(statement) -> dict:
    """The statement's directives and priorities, for the thread's filters (the same for every reader)."""
    directives = list(statement.directives.select_related("priority").order_by("priority__order", "order"))
    return {
        "directives": directives,
        "priorities": list(statement.priorities.all()),
    }


@register.simple_tag(takes_context=True)
def comment_thread(context, statement, counts=None):
    """The published conversation, the same for every reader: rendered once per cache generation."""
    request = context["request"]
    order = request.GET.get("order", "oldest")
    if order not in THREAD_ORDERS:
        order = "oldest"
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        language = ""
    page_number = request.GET.get("page", "")
    directive_id = request.GET.get("directive", "")
    if not DIRECTIVE_ID.fullmatch(directive_id):
        directive_id = ""
    priority_slug = request.GET.get("priority", "")
    if not SLUG.fullmatch(priority_slug):
        priority_slug = ""
    whole = request.GET.get("thread", "")  # one thread shown whole ("Show all N replies")
    if not TRACKING_NUMBER.fullmatch(whole):
        whole = ""
    filters = request.GET.copy()
    filters.pop("page", None)
    if counts is None:
        counts = conversation_counts_lazy(statement)

    def render():
        subjects = _thread_subjects(statement)
        directive = next((d for d in subjects["directives"] if str(d.pk) == directive_id), None)
        priority = next((p for p in subjects["priorities"] if p.slug == priority_slug), None)
        # The filters offer what has comments (with how many), and whatever is chosen now.
        choices = {
            "directives": [
                (d, counts.on_directive.get(d.pk, 0))
                for d in subjects["directives"]
                if d == directive or counts.on_directive.get(d.pk)
            ],
            "priorities": [
                (p, counts.on_priority.get(p.pk, 0))
                for p in subjects["priorities"]
                if p == priority or counts.on_priority.get(p.pk)
            ],
        }
        return render_to_string(
            "dialogue/includes/comment_thread.html",
            {
                "statement": statement,
                "thread": thread_page(
                    statement,
                    page_number=page_number,
                    order=order,
                    language=language,
                    directive=directive,
                    priority=priority,
                    whole=whole,
                ),
                "counts": counts,
                "choices": choices,
                "filtered": bool(directive or priority or language),
                "open": statement.is_open_for_comments(),
                "query_string": filters.urlencode(),
                "languages": settings.LANGUAGES,
            },
        )

    name = (
        f"thread:{statement.pk}:{statement.updated_at.isoformat()}:{order}:{language}:{page_number}"
        f":{directive_id}:{priority_slug}:{whole}"
    )
    return mark_safe(cached_fragment(name, render, tags=[statement.cache_tag]))  # noqa: S308 - our own template


def _feed_url(subject: Statement | Priority) -> str:
    if isinstance(subject, Statement):
        return reverse("dialogue:statement-comments-feed", args=[subject.slug])
    return reverse("dialogue:priority-activity-feed", args=[subject.slug])


@register.inclusion_tag("dialogue/includes/conversation_feed_link.html")
def conversation_feed_link(subject: Statement | Priority):
    """For a page's <head>: feed readers find the conversation's Atom feed (a published statement's only)."""
    shown = not isinstance(subject, Statement) or subject.is_published()
    return {
        "subject": subject,
        "feed_url": _feed_url(subject) if shown else "",
        "is_statement": isinstance(subject, Statement),
    }


@register.inclusion_tag("dialogue/includes/conversation_links.html")
def conversation_links(subject: Statement | Priority):
    """Follow, count and download the conversation about a published statement or a priority."""
    is_statement = isinstance(subject, Statement)
    if is_statement and not subject.is_published():
        return {"shown": False}
    return {
        "shown": True,
        "is_statement": is_statement,
        "feed_url": _feed_url(subject),
        "follow_url": reverse(
            "dialogue:follow-statement" if is_statement else "dialogue:follow-priority", args=[subject.slug]
        ),
        "participation_url": reverse(
            "dialogue:participation-statement" if is_statement else "dialogue:participation-priority",
            args=[subject.slug],
        ),
        "csv_url": reverse("dialogue:open-data-csv", args=[subject.slug]) if is_statement else "",
        "json_url": reverse("dialogue:open-data-json", args=[subject.slug]) if is_statement else "",
    }


@register.inclusion_tag("dialogue/includes/directive_conversation.html")
def directive_conversation(directive: Directive, counts: ConversationCounts):
    """A directive's own comments (how many, and a link to them) and, while its statement is open, a way to comment."""
    statement = directive.statement
    comment_url = ""
    if statement.is_open_for_comments():
        comment_url = f"{reverse('dialogue:comment-create', args=[statement.slug])}?about=directive:{directive.pk}"
    return {
        "directive": directive,
        "count": counts.on_directive.get(directive.pk, 0),
        "comment_url": comment_url,
    }


@register.filter
def conflict_of_interest(comment, moderator):
    """{{ comment|conflict_of_interest:user }}: why this moderator may not act on it ("" if nothing)."""
    return comment.conflict_of_interest(moderator)
