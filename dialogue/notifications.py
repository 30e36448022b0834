"""Email to stakeholders about their submissions, in their preferred language, plain text.

Called inside the transaction that changes the comment (dialogue/services.py): send_mail writes the
message into the email outbox (EMAIL_BACKEND, outbox/backends.py), so the email is committed with
the change or not at all, and a worker sends it; no request waits for an SMTP server, and one that
is down or hangs loses nothing (the worker retries).
"""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .adapter import preferred_language
from .models import Comment


def _send(comment: Comment, template: str, extra: dict | None = None) -> bool:
    author = comment.author
    if author is None or not author.email:
        return False
    with translation.override(preferred_language(author)):
        context = {
            "comment": comment,
            "statement": comment.statement,
            "name": author.stakeholder.display_name,
            "receipt_url": settings.PORTAL_URL + reverse("dialogue:receipt", args=[comment.tracking_number]),
            "statement_url": settings.PORTAL_URL + comment.statement.get_absolute_url(),
            **(extra or {}),
        }
        subject = " ".join(render_to_string(f"dialogue/email/{template}_subject.txt", context).split())
        body = render_to_string(f"dialogue/email/{template}_message.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [author.email])
    return True


def _comment(comment_id: int) -> Comment:
    return Comment.objects.select_related("author__stakeholder", "statement").get(pk=comment_id)


def send_receipt(comment_id: int) -> bool:
    return _send(_comment(comment_id), "receipt")


def send_decision(comment_id: int) -> bool:
    comment = _comment(comment_id)
    template = "approved" if comment.status == Comment.Status.APPROVED else "rejected"
    return _send(comment, template)
