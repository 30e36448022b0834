"""
One row per email. The row is written in the transaction of the change that causes the email, so
the email exists exactly when the change does; a worker sends it later (outbox/delivery.py).
"""

from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Message.Status.PENDING)

    def due(self, *, at):
        """Pending, its next attempt has come, and no worker holds it (or its hold has lapsed)."""
        return (
            self.pending()
            .filter(next_attempt_at__lte=at)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=at))
        )

    def failed(self):
        return self.filter(status=Message.Status.FAILED)


class Message(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("given up")

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    from_email = models.TextField(_("from"))
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(default=list)
    bcc = models.JSONField(default=list)
    reply_to = models.JSONField(default=list)
    subject = models.TextField(_("subject"))
    # The text is dropped once sent: a sent message keeps its envelope, not what it said (password
    # reset links, receipts), and is deleted after OUTBOX_KEEP_SENT_DAYS.
    body = models.TextField(blank=True)
    alternatives = models.JSONField(default=list)  # [[content, mimetype], ...]
    # Message-ID and Date are fixed when the row is written: a message resent after a worker died
    # between the server's "250 OK" and marking it sent carries the same Message-ID.
    headers = models.JSONField(default=dict)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # A worker's hold on the row while it sends (see delivery.claim_next).
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # What the workers look for on every pass: the pending rows, by their next attempt.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="outbox_pending_due"),
        ]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)}"

    def email_message(self) -> EmailMultiAlternatives:
        """The message as Django's mail backends take it."""
        return EmailMultiAlternatives(
            subject=self.subject,
            body=self.body,
            from_email=self.from_email,
            to=self.to,
            cc=self.cc,
            bcc=self.bcc,
            reply_to=self.reply_to,
            headers=self.headers,
            alternatives=[tuple(alternative) for alternative in self.alternatives],
        )
