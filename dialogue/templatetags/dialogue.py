"""The conversation's template tags: how statement and priority pages show their dialogue."""

from django import template

from ..models import RejectionReason

register = template.Library()


@register.filter
def reason_label(code):
    """The moderation-policy label of a reason code ("2. Abusive or hateful")."""
    try:
        return RejectionReason(code).label
    except ValueError:
        return code
