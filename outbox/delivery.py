"""
Sending the outbox: claim one due message at a time, send it with the real delivery backend, record
the outcome. Used by the Celery worker (outbox/tasks.py), the app process's background sender when
no broker is configured (outbox/dispatch.py) and `manage.py outbox_send` (cron).

No message is sent twice by two senders: a sender claims a row in a short transaction (PostgreSQL:
`SELECT … FOR UPDATE SKIP LOCKED`, so concurrent senders take different rows without waiting; SQLite:
the transaction takes the database's write lock up front, so claims happen one after another) and
holds it for OUTBOX_LEASE_SECONDS, several times the SMTP timeout; no transaction stays open while
the SMTP server is talked to. A sender that dies after the server accepted a message but before
marking it sent leaves it to be sent again once its hold lapses, with the same Message-ID (the one
case no sender can rule out: SMTP has no way to ask "did you already take this?").

A failure is retried with exponential backoff (OUTBOX_RETRY_SECONDS, doubling, at most
OUTBOX_RETRY_MAX_SECONDS apart) until OUTBOX_MAX_ATTEMPTS, then the message is marked "given up",
logged at ERROR and kept (`manage.py outbox_send --retry-failed` queues it again).
"""

import contextlib
import datetime
import logging
import smtplib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from .models import Message

logger = logging.getLogger(__name__)

# The server answered and refused this one message: others in the batch may still go.
REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0


def lease_seconds() -> int:
    return max(60, 6 * int(getattr(settings, "EMAIL_TIMEOUT", None) or 10))


def retry_delay(attempts: int) -> datetime.timedelta:
    """Exponential backoff: OUTBOX_RETRY_SECONDS after the first failure, doubling, capped."""
    seconds = min(settings.OUTBOX_RETRY_SECONDS * 2 ** (attempts - 1), settings.OUTBOX_RETRY_MAX_SECONDS)
    return datetime.timedelta(seconds=seconds)


def claim_next(*, now: datetime.datetime | None = None) -> Message | None:
    """Take the next due message for this sender, or None when nothing is due."""
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True).due(at=now).order_by("next_attempt_at", "pk").first()
        )
        if message is None:
            return None
        message.claim = uuid.uuid4().hex
        message.claimed_until = now + datetime.timedelta(seconds=lease_seconds())
        message.save(update_fields=["claim", "claimed_until"])
    return message


def send_due(*, limit: int | None = None) -> Outcome:
    """Send every due message (at most `limit`); stop early when the server itself fails."""
    outcome = Outcome()
    connection = get_connection(settings.OUTBOX_DELIVERY_BACKEND)
    try:
        while limit is None or outcome.sent + outcome.failed < limit:
            message = claim_next()
            if message is None:
                break
            error = _send(message, connection)
            if error is None:
                outcome.sent += 1
                continue
            outcome.failed += 1
            _discard(connection)
            connection = get_connection(settings.OUTBOX_DELIVERY_BACKEND)
            if not isinstance(error, REFUSALS):
                # Down, refusing or hanging: the rest would fail the same way. They stay due and are
                # tried on the next pass; this one waits for its backoff.
                break
    finally:
        _close(connection)
    return outcome


def _send(message: Message, connection) -> Exception | None:
    try:
        # Opened here, once: later messages of the pass reuse the connection (open() is then a no-op).
        connection.open()
        connection.send_messages([message.email_message()])
    except Exception as error:
        _record_failure(message, error)
        return error
    now = timezone.now()
    Message.objects.filter(pk=message.pk, claim=message.claim).update(
        status=Message.Status.SENT,
        sent_at=now,
        attempts=message.attempts + 1,
        claim="",
        claimed_until=None,
        body="",
        alternatives=[],
        last_error="",
    )
    logger.info("email sent", extra={"outbox_id": message.pk, "attempts": message.attempts + 1})
    return None


def _record_failure(message: Message, error: Exception) -> None:
    attempts = message.attempts + 1
    description = f"{type(error).__name__}: {error}"[:2000]
    given_up = attempts >= settings.OUTBOX_MAX_ATTEMPTS
    next_attempt = timezone.now() + retry_delay(attempts)
    Message.objects.filter(pk=message.pk, claim=message.claim).update(
        status=Message.Status.FAILED if given_up else Message.Status.PENDING,
        attempts=attempts,
        next_attempt_at=next_attempt,
        claim="",
        claimed_until=None,
        last_error=description,
    )
    extra = {"outbox_id": message.pk, "attempts": attempts, "error": description}
    if given_up:
        logger.error("email given up after %d attempts", attempts, extra=extra)
    else:
        logger.warning("email not sent; next attempt at %s", next_attempt.isoformat(), extra=extra)


def requeue_failed(messages=None) -> int:
    """Give the messages that were given up (all of them, or those of `messages`) a fresh start."""
    return (
        (messages if messages is not None else Message.objects.all())
        .failed()
        .update(status=Message.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="")
    )


def purge_sent(*, now: datetime.datetime | None = None) -> int:
    """Sent messages (their envelopes: the text is already gone) are kept OUTBOX_KEEP_SENT_DAYS."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.OUTBOX_KEEP_SENT_DAYS)
    deleted, _by_model = Message.objects.filter(status=Message.Status.SENT, sent_at__lt=cutoff).delete()
    return deleted


def _discard(connection) -> None:
    """Drop a connection that failed without saying goodbye: QUIT to a hung server would hang too."""
    socket_connection = getattr(connection, "connection", None)
    if socket_connection is not None:
        with contextlib.suppress(Exception):  # it is broken already; closing it is a courtesy
            socket_connection.close()
        connection.connection = None


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:
        _discard(connection)
