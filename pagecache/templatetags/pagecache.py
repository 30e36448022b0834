"""{% shared_fragment %}: markup rendered once per cache generation for every reader allowed to see it."""

from django import template
from django.utils.safestring import mark_safe

from ..cache import cached_fragment

register = template.Library()


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
    nothing about the user); the name and variables key it. See pagecache.cache.cached_fragment.
    """
    parts = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    if not parts:
        raise template.TemplateSyntaxError("shared_fragment needs a name")
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    return SharedFragmentNode(nodelist, parts)
