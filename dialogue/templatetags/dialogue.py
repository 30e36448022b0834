"""The conversation's template tags: how statement and priority pages show their dialogue.

{% load dialogue %}
{% comment_form statement %}     the form, or why there is none
{% comment_thread statement %}   approved comments as threads, paginated
"""

from crispy_forms.utils import render_crispy_form
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
                cached_fragment(f"comment-form:{statement.pk}:{statement.updated_at.isoformat()}", render)
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
    return mark_safe(cached_fragment(name, render))  # noqa: S308 - rendered by our own template
