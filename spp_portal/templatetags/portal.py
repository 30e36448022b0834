"""Template helpers for the layout: language switcher and hreflang links."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from spp_portal.cache import cached_fragment

register = template.Library()


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


class SharedFragmentNode(template.Node):
    def __init__(self, nodelist, parts):
        self.nodelist = nodelist
        self.parts = parts

    def render(self, context):
        name = ":".join(str(part.resolve(context)) for part in self.parts)
        html = cached_fragment(f"template:{name}", lambda: str(self.nodelist.render(context)))
        return mark_safe(html)  # noqa: S308 - rendered by this very template, escaped as usual


@register.tag
def shared_fragment(parser, token):
    """
    {% shared_fragment "name" var ... %}…{% endshared_fragment %}: render once per cache generation.

    Only for markup that is the same for every reader allowed to see the page (no CSRF token,
    nothing about the user); the name and variables key it. See spp_portal.cache.cached_fragment.
    """
    parts = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    if not parts:
        raise template.TemplateSyntaxError("shared_fragment needs a name")
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    return SharedFragmentNode(nodelist, parts)
