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

from .adapter import email_subject, preferred_language, sender
from .models import Appeal, Comment, OfficialResponse


def _send(comment: Comment, template: str, extra: dict | None = None) -> bool:
    """Email `comment`'s author, in their language, from the portal's name in that language."""
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
            "profile_url": settings.PORTAL_URL + reverse("dialogue:profile"),
            "mine_url": settings.PORTAL_URL + reverse("dialogue:mine"),
            "appeal_days": settings.APPEAL_DAYS,
            **(extra or {}),
        }
        subject = email_subject(render_to_string(f"dialogue/email/{template}_subject.txt", context))
        body = render_to_string(f"dialogue/email/{template}_message.txt", context)
        from_email = sender()
    send_mail(subject, body, from_email, [author.email])
    return True


def _comment(comment_id: int) -> Comment:
    return Comment.objects.select_related("author__stakeholder", "statement").get(pk=comment_id)


def send_receipt(comment_id: int) -> bool:
    return _send(_comment(comment_id), "receipt")


def send_decision(comment_id: int) -> bool:
    comment = _comment(comment_id)
    template = "approved" if comment.status == Comment.Status.APPROVED else "rejected"
    return _send(comment, template)


def send_response(response_id: int) -> bool:
    """A government answered a comment officially: its author is told, unless they turned this off."""
    response = OfficialResponse.objects.select_related("comment__author__stakeholder", "comment__statement").get(
        pk=response_id
    )
    comment = response.comment
    if comment.author is None or not comment.author.stakeholder.notify_responses:
        return False
    return _send(comment, "response", {"response": response})


def send_reply(reply_id: int) -> bool:
    """A reply was published (approved, not merely submitted): the author of the comment it answers is told."""
    reply = Comment.objects.select_related(
        "author__stakeholder", "parent__author__stakeholder", "parent__statement"
    ).get(pk=reply_id)
    parent = reply.parent
    if parent is None or parent.author is None or parent.author_id == reply.author_id:
        return False
    if not parent.author.stakeholder.notify_replies:
        return False
    return _send(parent, "reply", {"reply": reply})


def send_appeal_outcome(appeal_id: int) -> bool:
    """An appeal was decided: its author is told the outcome and the reason, in their language."""
    appeal = Appeal.objects.select_related("comment__author__stakeholder", "comment__statement").get(pk=appeal_id)
    template = "appeal_granted" if appeal.status == Appeal.Status.REVERSED else "appeal_refused"
    return _send(appeal.comment, template, {"appeal": appeal})
