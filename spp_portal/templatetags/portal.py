"""Template helpers for the layout: language switcher and hreflang links, the reader's flash messages."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.urls import translate_url
from django.utils.translation import get_language

from pagecache.readers import reader_part

register = template.Library()


@reader_part("messages")
def messages_part(request) -> str:
    """The flash messages of this request ({% reader_part "messages" %} in base.html): each reader's own."""
    messages = get_messages(request)
    return render_to_string("includes/messages.html", {"messages": messages}) if messages else ""


@register.simple_tag(takes_context=True)
def language_alternates(context):
    """(code, name, absolute URL of this page in that language) for each portal language."""
    request = context.get("request")
    if request is None:
        return []
    # The head's hreflang links and the header's switcher both ask: work it out once a request.
    if not hasattr(request, "_language_alternates"):
        path = request.get_full_path()
        request._language_alternates = [
            (code, name, request.build_absolute_uri(_translated_path(path, code, get_language())))
            for code, name in settings.LANGUAGES
        ]
    return request._language_alternates


@lru_cache(maxsize=4096)
def _translated_path(path: str, language: str, active_language: str) -> str:
    # Resolving a path (under the active language's prefix) and reversing it depend only on
    # the URLconf, which is fixed for the life of a process.
    return translate_url(path, language)
