"""Template helpers for the layout: language switcher and hreflang links."""

from django import template
from django.conf import settings
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def language_alternates(context):
    """(code, name, absolute URL of this page in that language) for each portal language."""
    request = context.get("request")
    if request is None:
        return []
    path = request.get_full_path()
    return [(code, name, request.build_absolute_uri(translate_url(path, code))) for code, name in settings.LANGUAGES]
