"""Operations: JSON logs with request and user ids, and `manage.py check_services`."""

import logging
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from .factories import make_user

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id_and_is_logged_with_it(client, log_lines):
    response = client.get("/en/")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    [line] = [line for line in log_lines if line["logger"] == "spp_portal.requests"]
    assert line["request_id"] == request_id
    assert line["message"] == "GET /en/ 200"
    assert line["level"] == "INFO"
    assert line["user_id"] is None
    assert line["status"] == 200
    assert line["time"].endswith("+00:00")


def test_the_load_balancers_request_id_is_kept_and_a_strange_one_replaced(client):
    assert client.get("/en/", headers={"X-Request-ID": "lb-7f3a.2"})["X-Request-ID"] == "lb-7f3a.2"
    replaced = client.get("/en/", headers={"X-Request-ID": '"}\n{"level": "forged'})["X-Request-ID"]
    assert len(replaced) == 32 and replaced.isalnum()


def test_lines_logged_for_a_signed_in_reader_carry_their_user_id(client, log_lines):
    user = make_user()
    client.force_login(user)
    client.get("/en/")
    [line] = [line for line in log_lines if line["logger"] == "spp_portal.requests"]
    assert line["user_id"] == user.pk


def test_django_s_own_not_found_warning_carries_the_request_id(client, log_lines):
    response = client.get("/en/no/such/page/")
    warning = next(line for line in log_lines if line["logger"] == "django.request")
    assert warning["request_id"] == response["X-Request-ID"]


def test_extra_fields_and_exceptions_are_written_out(log_lines):
    try:
        raise ValueError("bad")
    except ValueError:
        logging.getLogger("dialogue.moderation").exception("comment hidden", extra={"comment": 12, "action": "hide"})
    [line] = log_lines
    assert (line["comment"], line["action"], line["request_id"]) == (12, "hide", None)
    assert "ValueError: bad" in line["exception"]


def test_check_services_passes_when_everything_answers(settings, capsys):
    settings.DEBUG = True  # the console email backend is acceptable in development only
    call_command("check_services", verbosity=2)
    out = capsys.readouterr().out
    assert "database  ok" in out and "cache     ok" in out and "email     ok" in out
    assert "LocMemCache" in out and "printed, not sent" in out


def test_check_services_is_silent_at_verbosity_0(settings, capsys):
    settings.DEBUG = True
    call_command("check_services", verbosity=0)
    assert capsys.readouterr().out == ""


def test_check_services_fails_when_the_cache_does_not_keep_anything(settings):
    settings.DEBUG = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with pytest.raises(CommandError, match="cache: DummyCache did not give back what was stored"):
        call_command("check_services", verbosity=0)


def test_check_services_refuses_console_email_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match=r"email: mail is not sent .* set EMAIL_HOST"):
        call_command("check_services", verbosity=0)


def test_check_services_fails_when_smtp_refuses(settings):
    settings.OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", _closed_port(), False
    with pytest.raises(CommandError, match=r"email: cannot open an SMTP connection to 127\.0\.0\.1"):
        call_command("check_services", verbosity=0)


def test_check_services_opens_an_smtp_connection(settings, capsys):
    with _fake_smtp_server() as port:
        settings.OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
        settings.EMAIL_HOST_USER = ""
        call_command("check_services", verbosity=2)
    assert f"SMTP 127.0.0.1:{port}" in capsys.readouterr().out


def test_check_services_fails_with_a_message_when_the_database_does_not_answer():
    """A real unreachable database (nothing listens on port 1), in a separate process."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(DJANGO_DEBUG="1", DATABASE_URL="postgres://nobody@127.0.0.1:1/nothing")
    result = subprocess.run(
        [sys.executable, "manage.py", "check_services"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "database: the database does not answer" in result.stderr
    assert "Check DATABASE_URL" in result.stderr


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _fake_smtp_server:
    """Just enough SMTP to greet, answer EHLO/NOOP and say goodbye."""

    def __enter__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        return self.server.getsockname()[1]

    def serve(self):
        connection, _address = self.server.accept()
        with connection, connection.makefile("rwb") as stream:
            stream.write(b"220 fake ESMTP\r\n")
            stream.flush()
            for line in stream:
                command = line.strip().split(b" ")[0].upper()
                stream.write(b"221 bye\r\n" if command == b"QUIT" else b"250 ok\r\n")
                stream.flush()
                if command == b"QUIT":
                    return

    def __exit__(self, *exc):
        self.server.close()
        self.thread.join(timeout=5)


def test_check_services_names_a_redis_that_does_not_answer(settings):
    """The fail-soft cache hides an outage from pages, not from the operator's check."""
    settings.DEBUG = True
    settings.CACHES = {
        "default": {
            "BACKEND": "pagecache.backends.FailSoftRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    }
    with pytest.raises(CommandError, match="cache: FailSoftRedisCache is unreachable"):
        call_command("check_services", verbosity=0)


def test_check_services_names_a_broker_that_does_not_answer(settings):
    settings.DEBUG = True
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    with pytest.raises(CommandError, match="broker: the outbox's broker does not answer"):
        call_command("check_services", verbosity=0)
