"""Template helpers of the published record, and the portal's one way of saying a time.

Times are said one way (README, "Times"):
- a deadline (a comment period's opening or closing) by {% deadline moment %}: its date, then
  the time in Ottawa, Mexico City and Washington, the three governments' capitals;
- any other time once, in UTC, by {% utc_time moment %} ("July 1, 2026, 4 p.m. UTC"), or as a
  date alone where the hour does not matter (`|date:"DATE_FORMAT"`);
always in the reader's language's formats, with the exact moment in `<time datetime>`.
"""

import datetime
import math
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..languages import language_in_sentence as _language_in_sentence

register = template.Library()

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


@register.filter
def language_in_sentence(code):
    """ "fr" -> "French" in English, "français" in French: a language's name inside a sentence."""
    return _language_in_sentence(code)


CAPITAL_NAMES = {
    "Ottawa": lambda: _("Ottawa"),
    "Mexico City": lambda: _("Mexico City"),
    "Washington": lambda: _("Washington"),
}


def utc_offset(local: datetime.datetime) -> str:
    """ "UTC-4" (with a true minus sign), "UTC+5:30": a zone no language needs translated (unlike EDT or HNC)."""
    minutes = round(local.utcoffset().total_seconds() / 60)
    sign = "+" if minutes >= 0 else "\N{MINUS SIGN}"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def capital_times(moment):
    """The same moment in the three capitals: [(capital, local datetime), ...]."""
    if moment is None:
        return []
    return [(CAPITAL_NAMES[name](), moment.astimezone(ZoneInfo(zone))) for name, zone in settings.CAPITAL_TIME_ZONES]


@register.simple_tag
def deadline(moment):
    """
    A deadline, the one way the portal says one: the date (in Ottawa), then the time in each capital,
    with that capital's date too where it differs (a deadline at 00:30 in Ottawa is 22:30 the day
    before in Mexico City).
    """
    times = capital_times(moment)
    if not times:
        return ""
    first_date = times[0][1].date()
    capitals = [
        {"name": name, "local": local, "offset": utc_offset(local), "other_date": local.date() != first_date}
        for name, local in times
    ]
    # A simple tag, so that `{% deadline moment as closes %}` can go into a translated sentence.
    html = render_to_string(
        "priorities/includes/deadline.html", {"moment": moment, "date": times[0][1], "capitals": capitals}
    )
    return mark_safe(html.strip())  # noqa: S308 - rendered by our own template, escaped as usual


@register.simple_tag
def utc_time(moment):
    """A time that is not a deadline: said once, in UTC, in the reader's language's format."""
    if moment is None:
        return ""
    html = render_to_string("priorities/includes/utc_time.html", {"moment": moment.astimezone(datetime.UTC)})
    return mark_safe(html.strip())  # noqa: S308 - rendered by our own template, escaped as usual


@register.inclusion_tag("priorities/includes/comment_period.html")
def comment_period(statement):
    """
    Where a statement's comment period stands, for the "at a glance" panel: open (and for how long),
    not open yet, closed, or none; with its deadlines and every change publishers made to them.
    """
    now = timezone.now()
    if not statement.is_published():
        state = "unpublished"
    elif statement.is_open_for_comments(at=now):
        state = "open"
    elif statement.comments_not_yet_open():
        state = "not_yet_open"
    elif statement.comments_closed():
        state = "closed"
    else:
        state = "none"
    remaining = statement.comments_close_at - now if state == "open" else None
    return {
        "statement": statement,
        "state": state,
        # Whole days or hours left, rounded up: "closes in 30 days" on the day a 30-day period opens.
        "days_left": math.ceil(remaining / DAY) if remaining and remaining > DAY else None,
        "hours_left": math.ceil(remaining / HOUR) if remaining and HOUR < remaining <= DAY else None,
        "changes": [
            change for change in statement.period_changes.all() if change.is_extension() or change.is_shortening()
        ],
    }


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
