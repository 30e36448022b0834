"""Template helpers of the published record."""

from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..languages import language_in_sentence as _language_in_sentence

register = template.Library()


@register.filter
def language_in_sentence(code):
    """ "fr" -> "French" in English, "français" in French: a language's name inside a sentence."""
    return _language_in_sentence(code)


CAPITAL_NAMES = {
    "Ottawa": lambda: _("Ottawa"),
    "Mexico City": lambda: _("Mexico City"),
    "Washington": lambda: _("Washington"),
}


@register.simple_tag
def capital_times(moment):
    """The same moment in the three capitals: [(capital, local datetime), ...]."""
    if moment is None:
        return []
    return [(CAPITAL_NAMES[name](), moment.astimezone(ZoneInfo(zone))) for name, zone in settings.CAPITAL_TIME_ZONES]


@register.filter
def shown_in(obj, field):
    """The language `obj.<field>` is shown in here: the reader's, or the fallback official version.

    For a `lang` attribute, so that an English-only title on a French page is read as English.
    """
    current = get_language()
    for code in [current, *settings.MODELTRANSLATION_FALLBACK_LANGUAGES]:
        if getattr(obj, f"{field}_{code}", None):
            return code
    return current
