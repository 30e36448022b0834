"""
{% shared_fragment %}: markup rendered once per cache generation for every reader allowed to see it;
{% reader_part %}: a reader's own part of a page whose skeleton readers share (pagecache/readers.py).
"""

from django import template
from django.utils.safestring import mark_safe

from ..cache import cached_fragment
from ..readers import render_part

register = template.Library()


class SharedFragmentNode(template.Node):
    def __init__(self, nodelist, parts, tags):
        self.nodelist = nodelist
        self.parts = parts
        self.tags = tags

    def render(self, context):
        name = ":".join(str(part.resolve(context)) for part in self.parts)
        tags = None
        if self.tags is not None:
            value = self.tags.resolve(context)
            tags = [value] if isinstance(value, str) else list(value)
        html = cached_fragment(f"template:{name}", lambda: str(self.nodelist.render(context)), tags=tags)
        return mark_safe(html)  # noqa: S308 - rendered by this very template, escaped as usual


@register.tag
def shared_fragment(parser, token):
    """
    {% shared_fragment "name" var ... [tags=expr] %}…{% endshared_fragment %}: render once per cache generation.

    Only for markup that is the same for every reader allowed to see the page (no CSRF token,
    nothing about the user); the name and variables key it. `tags=` (a tag or a list of tags) says
    what the fragment shows, as for cached_fragment; without it any change drops the fragment.
    """
    parts, tags = [], None
    for bit in token.split_contents()[1:]:
        if bit.startswith("tags="):
            tags = parser.compile_filter(bit.removeprefix("tags="))
        else:
            parts.append(parser.compile_filter(bit))
    if not parts:
        raise template.TemplateSyntaxError("shared_fragment needs a name")
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    return SharedFragmentNode(nodelist, parts, tags)


@register.simple_tag(takes_context=True)
def reader_part(context, name, *args):
    """
    {% reader_part "name" arg … %}: the reader's own part, rendered by the function registered as
    `name` (pagecache.readers.reader_part) for every request, also when the rest of the page is
    shared. Never inside a {% shared_fragment %}.
    """
    return mark_safe(render_part(context.get("request"), name, args))  # noqa: S308 - the part's own escaped HTML
