"""
The email outbox (issue 18 item 3): every email is a row written in the transaction of the change
that causes it; a worker sends it through a real SMTP socket, with retries and backoff, none twice.

These run in-process on both databases, against a real SMTP server (aiosmtpd) or a real socket that
refuses or hangs (tools/fault_servers.py); the worker is `delivery.send_due()`, the code the Celery
task, the app's background sender and `manage.py outbox_send` all run. tests/test_outbox_worker.py
shows the same through a real Celery worker, Redis and gunicorn.
"""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from dialogue.models import Comment
from outbox import delivery
from outbox.models import Message
from tools.fault_servers import SmtpServer

from .factories import make_statement, make_user
from .test_accounts import SIGNUP, confirmation_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    """The portal's mail goes through the outbox to this SMTP server, which starts out refusing."""
    server = SmtpServer()
    settings.EMAIL_BACKEND = "outbox.backends.OutboxBackend"
    settings.OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.EMAIL_TIMEOUT = 1  # a hanging server costs the worker (never a request) this long
    settings.OUTBOX_RETRY_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 30, 3600
    yield server
    server.close()


def later(seconds: int):
    """The clock moved forward: retries whose backoff has passed are due."""
    return time_machine.travel(timezone.now() + datetime.timedelta(seconds=seconds), tick=False)


def submit(client, author, text="A comment sent while the mail server is away."):
    statement = make_statement()
    client.force_login(author)
    return client.post(
        f"/en/dialogue/statements/{statement.slug}/comment/", {"about": "", "body": text, "language": "en"}
    )


def test_an_email_is_written_in_the_transaction_of_its_change_and_not_sent_by_the_request(client, smtp):
    smtp.set("answering")
    author = make_user("author@example.org")
    response = submit(client, author)
    assert response.status_code == 302
    comment = Comment.objects.get(author=author)
    [message] = Message.objects.all()
    assert message.to == ["author@example.org"] and comment.tracking_number in message.subject
    assert message.status == Message.Status.PENDING
    assert smtp.messages == [], "the request itself talked to the SMTP server"
    assert mail.outbox == []


def test_an_email_whose_change_rolls_back_is_never_sent(smtp):
    smtp.set("answering")
    with pytest.raises(RuntimeError), transaction.atomic():
        mail.send_mail("Never", "Rolled back with its change.", None, ["nobody@example.org"])
        raise RuntimeError("the change fails after the email was written")
    assert not Message.objects.exists()
    assert delivery.send_due().sent == 0 and smtp.messages == []


def test_the_worker_delivers_through_a_real_smtp_server_once(client, smtp):
    smtp.set("answering")
    submit(client, make_user("author@example.org"))
    assert delivery.send_due().sent == 1
    assert delivery.send_due().sent == 0
    [(recipients, received)] = smtp.messages
    assert recipients == ["author@example.org"] and "SPP-" in received["Subject"]
    message = Message.objects.get()
    assert message.status == Message.Status.SENT and message.sent_at is not None
    assert received["Message-ID"] == message.headers["Message-ID"]
    assert message.body == "", "a sent message keeps its envelope, not its text"


class TestSmtpRefusing:
    def test_sign_up_succeeds_and_the_verification_leaves_when_smtp_answers(self, client, smtp):
        response = client.post("/en/accounts/signup/", SIGNUP)
        assert response.status_code == 302
        assert get_user_model().objects.filter(email="amelie@example.ca").exists()

        outcome = delivery.send_due()
        assert (outcome.sent, outcome.failed) == (0, 1)
        message = Message.objects.get()
        assert (message.status, message.attempts) == (Message.Status.PENDING, 1)
        assert "ConnectionRefusedError" in message.last_error

        smtp.set("answering")
        assert delivery.send_due().sent == 0, "retried before its backoff"
        with later(31):
            assert delivery.send_due().sent == 1
            assert delivery.send_due().sent == 0
        [(recipients, received)] = smtp.messages
        assert recipients == ["amelie@example.ca"]
        link = confirmation_link(_Body(received))
        assert client.get(link).status_code == 200

    def test_password_reset_succeeds_and_its_link_leaves_when_smtp_answers(self, client, smtp):
        make_user("forgetful@example.org")
        response = client.post("/en/accounts/password/reset/", {"email": "forgetful@example.org"})
        assert response.status_code == 302
        assert delivery.send_due().failed == 1
        smtp.set("answering")
        with later(31):
            assert delivery.send_due().sent == 1
        [(recipients, received)] = smtp.messages
        assert recipients == ["forgetful@example.org"]
        assert "/accounts/password/reset/key/" in _Body(received).body

    def test_retries_back_off_exponentially_then_give_up_and_keep_the_message(self, smtp, settings, caplog):
        settings.OUTBOX_MAX_ATTEMPTS = 4
        mail.send_mail("Subject", "Body", None, ["someone@example.org"])
        waits = []
        for _attempt in range(4):
            message = Message.objects.get()
            with later(int((message.next_attempt_at - timezone.now()).total_seconds()) + 1):
                before = timezone.now()
                assert delivery.send_due().failed == 1
                message.refresh_from_db()
                waits.append(round((message.next_attempt_at - before).total_seconds()))
        assert waits[:3] == [30, 60, 120]
        assert message.status == Message.Status.FAILED and message.attempts == 4
        assert "email given up after 4 attempts" in caplog.text

        smtp.set("answering")
        call_command("outbox_send", "--retry-failed", verbosity=0)
        assert Message.objects.get().status == Message.Status.SENT
        assert len(smtp.messages) == 1


class TestSmtpHanging:
    def test_submission_and_sign_up_never_wait_for_a_hanging_server(self, client, smtp):
        smtp.set("hanging")
        assert submit(client, make_user("author@example.org")).status_code == 302
        client.logout()
        assert client.post("/en/accounts/signup/", SIGNUP).status_code == 302
        assert smtp.connections_while_hanging == 0, "a request opened a connection to the SMTP server"
        assert Message.objects.pending().count() == 2

        # The worker gives up on the hanging server after EMAIL_TIMEOUT and stops its pass there.
        outcome = delivery.send_due()
        assert (outcome.sent, outcome.failed) == (0, 1)
        assert smtp.connections_while_hanging == 1
        assert "timed out" in Message.objects.exclude(last_error="").get().last_error

        smtp.set("answering")
        with later(31):
            assert delivery.send_due().sent == 2
            assert delivery.send_due().sent == 0
        assert sorted(recipients[0] for recipients, _message in smtp.messages) == [
            "amelie@example.ca",
            "author@example.org",
        ]
        assert len(set(smtp.message_ids())) == 2


def test_a_message_held_by_one_sender_is_not_taken_by_another_until_its_hold_lapses(smtp):
    mail.send_mail("Subject", "Body", None, ["someone@example.org"])
    first = delivery.claim_next()
    assert first is not None
    assert delivery.claim_next() is None, "a second sender took a message the first one holds"
    with later(delivery.lease_seconds() + 1):
        again = delivery.claim_next()
    assert again is not None and again.claim != first.claim
    smtp.set("answering")
    # The first sender's hold has lapsed and been taken over: its outcome is not recorded twice.
    assert Message.objects.filter(claim=first.claim).count() == 0


def test_outbox_send_is_the_cron_sweep(smtp, capsys):
    mail.send_mail("Subject", "Body", None, ["someone@example.org"])
    call_command("outbox_send", "--dry-run")
    assert "1 waiting (1 due now" in capsys.readouterr().out
    smtp.set("answering")
    call_command("outbox_send")
    assert "1 sent, 0 failed" in capsys.readouterr().out
    with later(8 * 24 * 3600):
        call_command("outbox_send", verbosity=0)
    assert not Message.objects.exists(), "sent messages are kept OUTBOX_KEEP_SENT_DAYS, then deleted"


class _Body:
    """The text of a received message, as confirmation_link() reads Django's messages."""

    def __init__(self, message):
        self.body = message.get_payload(decode=True).decode()


def test_administrators_see_what_waits_without_its_text_and_can_send_given_up_mail_again(client, smtp):
    admin = make_user("root@example.org", staff=True, mfa=True)
    get_user_model().objects.filter(pk=admin.pk).update(is_superuser=True)
    mail.send_mail("Your reset link", "https://portal.example/secret-reset-link/", None, ["someone@example.org"])
    Message.objects.update(status=Message.Status.FAILED, attempts=50, last_error="SMTPServerDisconnected")
    client.force_login(admin)
    listing = client.get("/admin/outbox/message/")
    assert listing.status_code == 200 and "Your reset link" in listing.text
    detail = client.get(f"/admin/outbox/message/{Message.objects.get().pk}/change/")
    assert detail.status_code == 200 and "secret-reset-link" not in detail.text
    response = client.post(
        "/admin/outbox/message/", {"action": "send_again", "_selected_action": [Message.objects.get().pk]}
    )
    assert response.status_code == 302
    assert (Message.objects.get().status, Message.objects.get().attempts) == (Message.Status.PENDING, 0)
