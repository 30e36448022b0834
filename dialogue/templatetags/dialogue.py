"""The conversation's template tags: how statement and priority pages show their dialogue.

{% load dialogue %}
{% comment_form statement %}     the form, or why there is none
{% comment_thread statement %}   approved comments as threads, paginated
"""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from spp_portal.cache import cached_fragment

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
    if user.is_authenticated:
        mine = list(Comment.objects.pending().filter(statement=statement, author=user).order_by("submitted_at"))
    return {
        "request": request,
        "user": user,
        "statement": statement,
        "form": CommentForm(statement=statement, initial={"about": request.GET.get("about", "")})
        if user.is_authenticated and statement.is_open_for_comments()
        else None,
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

    return mark_safe(cached_fragment(f"thread:{statement.pk}:{order}:{language}:{page_number}", render))  # noqa: S308
