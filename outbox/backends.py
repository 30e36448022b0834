"""
EMAIL_BACKEND = "outbox.backends.OutboxBackend": every email the portal sends becomes an outbox row.

Django's mail API (send_mail, EmailMessage.send, allauth's adapter) hands messages to this backend,
which writes them into the outbox table on the default database connection, so inside the caller's
transaction: a change and the email it causes commit together or not at all. Nothing here talks to
an SMTP server; the real delivery backend (OUTBOX_DELIVERY_BACKEND) is used by the worker.
"""

from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from . import dispatch
from .models import Message


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        # A failure to write the row is a database error and is never silenced (fail_silently is
        # about delivery, which happens later): swallowing it would leave the caller's transaction
        # broken, or commit a change without its email.
        rows = [_row(message) for message in email_messages if message.recipients()]
        if not rows:
            return 0
        Message.objects.bulk_create(rows)
        transaction.on_commit(dispatch.wake)
        return len(rows)


def _row(message) -> Message:
    if message.attachments:
        raise ValueError("The outbox carries text messages only; this one has attachments.")
    headers = dict(message.extra_headers)
    names = {name.lower() for name in headers}
    if "message-id" not in names:
        domain = message.from_email.rpartition("@")[2].strip("> ") or "localhost"
        headers["Message-ID"] = make_msgid(domain=domain)
    if "date" not in names:
        headers["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
    return Message(
        from_email=message.from_email,
        to=list(message.to),
        cc=list(message.cc),
        bcc=list(message.bcc),
        reply_to=list(message.reply_to),
        subject=str(message.subject),
        body=str(message.body),
        alternatives=[[str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])],
        headers=headers,
    )
