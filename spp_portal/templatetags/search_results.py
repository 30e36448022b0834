"""
{% search_result result %}: one result of the search page (search.html's list, spp_portal.search.Result).

In Python rather than in the template: a page shows 20 results, and the template's nodes for them
(variables, filters, translations, each looked up through the engine) cost more than the search's
own SQL (issue 17). What each kind shows is written out below, as the template would.
"""

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from dialogue.templatetags.dialogue import comment_author

register = template.Library()


@register.simple_tag
def search_result(result) -> SafeString:
    """What it is and when (or where it sits), its link, the snippet with the words marked; a campaign's size."""
    obj = result.object
    if result.kind == "statement":
        label = gettext("Statement")
        about = _time(obj.release_date, "Y-m-d")
        link = _link(obj.get_absolute_url(), obj.title)
    elif result.kind == "directive":
        label = gettext("Directive")
        about = format_html("{} · {}", obj.priority.title, obj.get_progress_display())
        link = _link(obj.get_absolute_url(), obj.statement.title)
    else:
        label = gettext("Comment")
        about = format_html("{} · {}", comment_author(obj), _time(timezone.localtime(obj.submitted_at), "c"))
        # The sentence is the catalogue's (trusted as template text is); what is put into it is escaped.
        title = gettext("Comment %(tracking)s on “%(statement)s”") % {
            "tracking": conditional_escape(obj.tracking_number),
            "statement": conditional_escape(obj.statement.title),
        }
        link = _link(obj.get_absolute_url(), mark_safe(title))  # noqa: S308
    html = format_html(
        '<li class="mb-4">\n'
        '<p class="small text-body-secondary mb-1"><span class="badge text-bg-light border">{}</span> · {}</p>\n'
        '<h2 class="h5 mb-1">{}</h2>\n'
        '<p class="mb-0 search-snippet" lang="{}">{}</p>\n',
        label,
        about,
        link,
        result.language,
        result.snippet,
    )
    if result.kind == "comment" and obj.campaign_size > 1:
        html += render_to_string("dialogue/includes/campaign_size.html", {"comment": obj})
    return html + mark_safe("</li>")


def _time(value, machine_format: str) -> SafeString:
    return format_html('<time datetime="{}">{}</time>', date_format(value, machine_format), date_format(value))


def _link(url: str, text) -> SafeString:
    return format_html('<a href="{}">{}</a>', url, text)
