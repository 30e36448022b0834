"""
The outbox on a real queue (issue 18 item 3): gunicorn, a Celery worker with Redis as its broker,
PostgreSQL, and an SMTP server that refuses, then hangs, then answers.

Everything a user does goes over HTTP to gunicorn; the worker is `celery -A spp_portal worker --beat`
in its own process; the SMTP server is a real socket in this process (tools/fault_servers.py). Shown:
- while SMTP refuses and while it hangs, sign-up, password reset and comments succeed at once;
- once it answers, the worker delivers every message, each exactly once (by Message-ID), and a
  further sweep sends nothing again;
- a message whose broker task was lost (the broker unreachable when it was queued) is sent by the
  worker's periodic sweep;
- without a broker, the app process's own background sender delivers after the commit.

It needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379; without them it is skipped with the
reason, except in CI (CI=true), where it must run. Its database is dropped, its Redis database number
flushed, and every process stopped afterwards, whatever happens. Retries and sweeps are set to one
second here (OUTBOX_RETRY_SECONDS, OUTBOX_SWEEP_SECONDS) so that the waits are short.
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import redis

from tools.fault_servers import SmtpServer, free_port

from .test_accounts import SIGNUP
from .test_scale_out import MISSING, PASSWORD, POSTGRES, Browser

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    # Its own PostgreSQL database or cluster, whatever the suite's: CI runs it once (.ci/run).
    pytest.mark.own_postgres,
    pytest.mark.skipif(
        bool(MISSING) and os.environ.get("CI") != "true",
        reason=f"the Celery worker test needs PostgreSQL and Redis on 127.0.0.1; {MISSING} not reachable",
    ),
]
STAKEHOLDER = "stakeholder@example.com"  # seed_demo's
WAIT_SECONDS = 90  # the longest any step may take on a loaded 2-core machine


class Portal:
    """One PostgreSQL database, one Redis database number (the broker), gunicorn and a Celery worker."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.database = f"spp_outbox_{os.getpid()}_{secrets.token_hex(3)}"
        # Numbers 8-15 are the system tests' (tests/test_scale_out.py takes 8 + pid % 8): one apart.
        self.broker_db = 8 + (os.getpid() + 1) % 8
        self.smtp = SmtpServer()
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
        self.env.update(
            DATABASE_URL=f"{POSTGRES}/{self.database}",
            CELERY_BROKER_URL=f"redis://127.0.0.1:6379/{self.broker_db}",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(self.smtp.port),
            EMAIL_USE_TLS="0",
            EMAIL_TIMEOUT="2",
            OUTBOX_RETRY_SECONDS="1",
            OUTBOX_RETRY_MAX_SECONDS="2",
            OUTBOX_SWEEP_SECONDS="1",
            DJANGO_DEBUG="0",
            DJANGO_HTTPS="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_CACHE_DIR=str(tmp / "cache"),
            DJANGO_LOG_LEVEL="INFO",
            DJANGO_SETTINGS_MODULE="spp_portal.settings",
            PORTAL_URL="http://localhost",
        )
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: list = []

    def manage(self, *args: str, **extra: str) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self) -> None:
        self.redis().flushdb()
        subprocess.run(  # noqa: S603
            ["psql", f"{POSTGRES}/postgres", "-q", "-c", f"CREATE DATABASE {self.database}"],  # noqa: S607
            check=True,
            capture_output=True,
        )
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("seed_demo", "-v", "0", DJANGO_DEBUG="1")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.url = self.start_server("gunicorn")
        self.start_worker()

    def start_server(self, name: str, **extra: str) -> str:
        port = free_port()
        self._spawn(
            name,
            [sys.executable, "-m", "gunicorn", "spp_portal.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            **extra,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not _answers(f"{url}/healthz"):
            assert self.processes[name].poll() is None, f"{name} stopped; see {self.tmp}"
            assert time.monotonic() < deadline, f"{name} did not answer within 30 s; see {self.tmp}"
            time.sleep(0.2)
        return url

    def start_worker(self) -> None:
        self._spawn(
            "worker",
            [sys.executable, "-m", "celery", "-A", "spp_portal", "worker", "--beat"],
            [*("--schedule", str(self.tmp / "beat-schedule"), "--concurrency", "2", "--loglevel", "INFO")],
            ["--without-gossip", "--without-mingle", "--without-heartbeat"],
        )

    def _spawn(self, name: str, command: list[str], *more: list[str], **extra: str) -> None:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        self.processes[name] = subprocess.Popen(  # noqa: S603
            [*command, *(part for group in more for part in group)],
            cwd=ROOT,
            env={**self.env, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop_process(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def stop(self) -> None:
        for name in list(self.processes):
            self.stop_process(name)
        for log in self.logs:
            log.close()
        self.smtp.close()
        try:
            self.redis().flushdb()
        finally:
            subprocess.run(  # noqa: S603
                ["psql", f"{POSTGRES}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"],  # noqa: S607
                check=False,
                capture_output=True,
            )

    def redis(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=6379, db=self.broker_db, socket_timeout=5)

    def outbox(self) -> list[tuple]:
        """(recipients, subject, status, attempts, Message-ID) of every outbox row, oldest first."""
        with psycopg.connect(f"{POSTGRES}/{self.database}") as connection:
            return connection.execute(
                """SELECT "to", subject, status, attempts, headers->>'Message-ID' FROM outbox_message ORDER BY id"""
            ).fetchall()

    def wait_for(self, what: str, condition) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            assert time.monotonic() < deadline, f"{what}: not within {WAIT_SECONDS} s; logs in {self.tmp}"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    portal = Portal(tmp_path_factory.mktemp("outbox-worker"))
    try:
        portal.start()
        yield portal
    finally:
        portal.stop()


def _answers(url: str) -> bool:
    try:
        return Browser().request(url)[0] == 200
    except OSError:
        return False


def _post_form(browser: Browser, url: str, data: dict) -> tuple[int, str, dict]:
    return browser.request(url, {"csrfmiddlewaretoken": browser.form_token(url), **data})


def test_with_smtp_refusing_then_hanging_nothing_waits_and_every_mail_leaves_once_it_answers(portal):
    url, smtp = portal.url, portal.smtp
    assert smtp.mode == "refusing"

    # SMTP refuses: a new stakeholder signs up, another asks for a password reset, one comments.
    status, _page, headers = _post_form(Browser(), f"{url}/en/accounts/signup/", SIGNUP)
    assert status == 302 and "/accounts/confirm-email/" in headers["Location"]
    status, _page, headers = _post_form(Browser(), f"{url}/en/accounts/password/reset/", {"email": STAKEHOLDER})
    assert status == 302
    author = Browser()
    assert author.sign_in(url, STAKEHOLDER, PASSWORD)[0] == 302
    status, _page, headers = author.comment(url, "Sent while the mail server refused connections.")
    assert status == 302 and "/receipt/" in headers["Location"]
    portal.wait_for("the worker tried the refusing server", lambda: any(row[3] for row in portal.outbox()))

    # SMTP hangs: accepts and never answers. A comment still returns at once; the worker is stuck on it.
    smtp.set("hanging")
    status, _page, headers = author.comment(url, "Sent while the mail server hung without a word.")
    assert status == 302 and "/receipt/" in headers["Location"]
    portal.wait_for("the worker reached the hanging server", lambda: smtp.connections_while_hanging > 0)

    # SMTP answers: every message leaves, each exactly once.
    smtp.set("answering")
    portal.wait_for("every message sent", lambda: all(row[2] == "sent" for row in portal.outbox()))
    rows = portal.outbox()
    recipients = [recipient for row in rows for recipient in row[0]]
    assert SIGNUP["email"] in recipients
    assert recipients.count(STAKEHOLDER) >= 3  # the password reset and two receipts
    assert any(row[3] > 1 for row in rows), "no message needed a retry: the faults proved nothing"
    delivered = smtp.message_ids()
    assert sorted(delivered) == sorted(row[4] for row in rows), "a message was lost or sent twice"

    # The sweep, run by hand as cron would, finds nothing left to send.
    assert portal.manage("outbox_send").startswith("0 sent, 0 failed")
    assert len(smtp.message_ids()) == len(delivered)
    confirmation = next(m for r, m in smtp.messages if r == [SIGNUP["email"]])
    assert re.search(r"/accounts/confirm-email/\S+/", confirmation.get_payload(decode=True).decode())


def test_a_message_whose_broker_task_was_lost_is_sent_by_the_workers_sweep(portal):
    portal.smtp.set("answering")
    # Queued by a process whose broker does not answer: the row commits, the task is never published.
    portal.manage(
        "shell",
        "-c",
        "from django.core.mail import send_mail; send_mail('Lost task', 'Swept.', None, ['swept@example.org'])",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0",
    )
    portal.wait_for("the sweep sent it", lambda: any(r == ["swept@example.org"] for r, _m in portal.smtp.messages))
    assert [r for r, _m in portal.smtp.messages].count(["swept@example.org"]) == 1


def test_without_a_broker_the_app_process_sends_after_commit(portal):
    portal.smtp.set("answering")
    portal.stop_process("worker")  # nothing else may send it
    embedded = portal.start_server("embedded", CELERY_BROKER_URL="")
    before = len(portal.smtp.messages)
    status, _page, _headers = _post_form(Browser(), f"{embedded}/en/accounts/password/reset/", {"email": STAKEHOLDER})
    assert status == 302
    portal.wait_for("the app process's sender delivered it", lambda: len(portal.smtp.messages) > before)
    assert portal.smtp.messages[-1][0] == [STAKEHOLDER]
    assert all(row[2] == "sent" for row in portal.outbox())
