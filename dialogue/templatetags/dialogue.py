"""The conversation's template tags: how statement and priority pages show their dialogue.

The published record (priorities/) stands without the conversation and never names its URLs;
its pages reach it only through these tags, as pages reach django-contrib-comments.

{% load dialogue %}
{% comment_form statement %}              the form, or why there is none
{% comment_thread statement %}            approved comments as threads, paginated
{% conversation_feed_link subject %}      the <link rel="alternate"> of a statement's or priority's Atom feed
{% conversation_links subject %}          its feed, participation figures (and a statement's downloads)
{% comment_on_directive_link directive %} "Comment on this directive", while its statement is open
"""

from crispy_forms.utils import render_crispy_form
from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from pagecache.cache import cached_fragment
from priorities.models import Directive, Priority, Statement

from ..forms import CommentForm
from ..models import Comment, RejectionReason
from ..threads import render_comment_text, thread_page

register = template.Library()


@register.filter
def reason_label(code):
    """The moderation-policy label of a reason code ("2. Abusive or hateful")."""
    try:
        return RejectionReason(code).label
    except ValueError:
        return code


@register.filter
def comment_text(text):
    return render_comment_text(text or "")


@register.inclusion_tag("dialogue/includes/comment_form.html", takes_context=True)
def comment_form(context, statement):
    request = context["request"]
    user = request.user
    mine = []
    form_html = ""
    if user.is_authenticated:
        mine = list(Comment.objects.pending().filter(statement=statement, author=user).order_by("submitted_at"))
        if statement.is_open_for_comments():
            about = request.GET.get("about", "")

            def render():
                return render_crispy_form(CommentForm(statement=statement, initial={"about": about}))

            # The empty form is the same for every signed-in reader of the statement in one language
            # (the CSRF token is outside it): rendered once per cache generation, as crispy and the
            # choice of directives cost more than the rest of the page. `about` is visitor input: a
            # preselected one is rendered each time rather than filling the cache with variants.
            form_html = (
                cached_fragment(
                    f"comment-form:{statement.pk}:{statement.updated_at.isoformat()}",
                    render,
                    tags=[statement.cache_tag],
                )
                if not about
                else render()
            )
    return {
        "request": request,
        "user": user,
        "statement": statement,
        "form_html": mark_safe(form_html),  # noqa: S308 - rendered by crispy from our own form
        "my_pending": mine,
    }


@register.simple_tag(takes_context=True)
def comment_thread(context, statement):
    """The published conversation, the same for every reader: rendered once per cache generation."""
    request = context["request"]
    order = "newest" if request.GET.get("order") == "newest" else "oldest"
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        language = ""
    page_number = request.GET.get("page", "")
    filters = request.GET.copy()
    filters.pop("page", None)

    def render():
        return render_to_string(
            "dialogue/includes/comment_thread.html",
            {
                "statement": statement,
                "thread": thread_page(statement, page_number=page_number, order=order, language=language),
                "awaiting": Comment.objects.pending().filter(statement=statement).count(),
                "open": statement.is_open_for_comments(),
                "query_string": filters.urlencode(),
                "languages": settings.LANGUAGES,
            },
        )

    name = f"thread:{statement.pk}:{statement.updated_at.isoformat()}:{order}:{language}:{page_number}"
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
        "participation_url": reverse(
            "dialogue:participation-statement" if is_statement else "dialogue:participation-priority",
            args=[subject.slug],
        ),
        "csv_url": reverse("dialogue:open-data-csv", args=[subject.slug]) if is_statement else "",
        "json_url": reverse("dialogue:open-data-json", args=[subject.slug]) if is_statement else "",
    }


@register.inclusion_tag("dialogue/includes/comment_on_directive_link.html")
def comment_on_directive_link(directive: Directive):
    """The way to comment on one directive, while its statement is open for comments."""
    statement = directive.statement
    if not statement.is_open_for_comments():
        return {"url": ""}
    return {"url": f"{reverse('dialogue:comment-create', args=[statement.slug])}?about=directive:{directive.pk}"}
