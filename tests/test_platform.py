"""Health check, robots, safe-by-default settings."""

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from .factories import make_user

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def run_manage(*args, **env):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["checks"]["database"] == {"state": "ok"}


def test_healthz_answers_503_when_the_database_does_not():
    """A real unreachable database (nothing listens on port 1), in a separate process."""
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code, r.json()['status'])"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "spp_portal.settings",
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/nothing",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECRET_KEY": "x",
            "DJANGO_HTTPS": "0",
            "PORTAL_URL": "http://testserver",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    # The portal's JSON log lines go to stdout too; the script's own line comes last.
    assert result.stdout.strip().splitlines()[-1] == "503 unavailable", result.stderr


def test_robots_txt_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert "Disallow: /admin/" in response.text
    assert "Sitemap: http://testserver/sitemap.xml" in response.text


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_refuses_to_start_without_allowed_hosts_when_debug_is_off():
    result = run_manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 50)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_starts_in_development_mode_with_nothing_set():
    result = run_manage("check", DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="spp_portal.postgresql is PostgreSQL's (CI runs it)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_kept_database_connection_is_reused_without_a_round_trip_and_replaced_once_the_server_closed_it(tmp_path):
    """Each request begins by checking the connection the last one left (spp_portal/postgresql/base.py)."""
    import psycopg
    from django.contrib.auth import get_user_model
    from django.db import close_old_connections

    users = get_user_model().objects
    users.exists()  # a request reads: its connection is kept for the next
    backend = connection.connection.info.backend_pid

    def request():
        close_old_connections()  # what Django does as each request begins
        users.exists()

    sent = _wire(tmp_path, request)
    trips = [message for message in sent if message.split("\t")[3] in {"Query", "Sync"}]
    assert len(trips) == 1, f"one round trip, the request's own, no health check: {sent}"
    assert any("auth_user" in message for message in sent)

    # The server ends the session, as a restart, a fail-over or an administrator does.
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as administrator:
        administrator.execute("SELECT pg_terminate_backend(%s)", [backend])
    assert select.select([connection.connection.pgconn.socket], [], [], 5)[0], "the server said goodbye"
    close_old_connections()
    assert users.exists() is False, "the next request is served"
    assert connection.connection.info.backend_pid != backend, "by a new connection"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's (CI runs it)")
@pytest.mark.django_db
def test_a_query_asked_on_every_request_is_parsed_and_planned_once_per_connection(tmp_path):
    """settings.PREPARED_STATEMENTS: from the PREPARE_THRESHOLD-th time, the server runs the plan it
    kept, and only the values are sent (psycopg's prepared statements, parameters bound server-side)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    threshold = settings.PREPARED_STATEMENTS["prepare_threshold"]
    user = make_user()
    users = get_user_model().objects

    def request():
        assert users.filter(pk=user.pk).exists()

    first = _wire(tmp_path, request)
    assert any(message.split("\t")[3] == "Parse" and "auth_user" in message for message in first), first
    for _time in range(threshold):
        request()
    later = _wire(tmp_path, request)
    assert not any("auth_user" in message for message in later), f"the query's text is not sent again: {later}"
    assert [message.split("\t")[3] for message in later][:1] == ["Bind"], later


def _wire(tmp_path: Path, action) -> list[str]:
    """The messages the client sent the server (libpq's trace: time, F, length, type, content) during `action`."""
    wire = tmp_path / "wire.txt"
    with open(wire, "w") as trace:
        connection.connection.pgconn.trace(trace.fileno())
        try:
            action()
        finally:
            connection.connection.pgconn.untrace()
    return [line for line in wire.read_text().splitlines() if line.split("\t")[1:2] == ["F"]]


def _begin(connection) -> None:
    """What transaction.atomic() does first on SQLite (connect, then BEGIN IMMEDIATE)."""
    connection.ensure_connection()
    connection._start_transaction_under_autocommit()


def _sqlite(path: Path, timeout: float = 5):
    """The portal's SQLite settings (spp_portal/settings.py) on a database file of the test's own."""
    from django.db.utils import ConnectionHandler

    options = {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": timeout}
    return ConnectionHandler({"default": {"ENGINE": "spp_portal.sqlite3", "NAME": str(path), "OPTIONS": options}})


class TestSQLiteWriters:
    """Transactions on SQLite queue for the write lock (spp_portal/sqlite3/base.py) instead of sleeping in SQLite."""

    def test_a_second_writer_waits_in_the_queue_and_begins_once_the_first_commits(self, tmp_path):
        import fcntl
        import threading

        connections = _sqlite(tmp_path / "portal.sqlite3")
        first = connections["default"]
        first.cursor().execute("CREATE TABLE said (word TEXT)")
        _begin(first)
        first.cursor().execute("INSERT INTO said VALUES ('first')")
        seen = []

        def second_writer():  # another thread: its own connection, as another worker would have
            second = connections["default"]
            _begin(second)
            seen.extend(word for (word,) in second.cursor().execute("SELECT word FROM said").fetchall())
            second.cursor().execute("INSERT INTO said VALUES ('second')")
            second.commit()
            second.close()

        writer = threading.Thread(target=second_writer)
        writer.start()
        writer.join(0.5)
        assert writer.is_alive(), "the second writer waits while the first one's transaction is open"
        with open(tmp_path / "portal.sqlite3-writers") as queue, pytest.raises(BlockingIOError):
            fcntl.flock(queue, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ... for the queue's lock, held by the first
        first.commit()
        writer.join(10)
        assert seen == ["first"], "it began after the first committed, and saw its row"
        assert first.cursor().execute("SELECT count(*) FROM said").fetchone() == (2,)
        first.close()

    def test_a_writer_that_waited_too_long_is_told_the_database_is_locked(self, tmp_path):
        import threading

        from spp_portal.unavailable import is_unavailable

        connections = _sqlite(tmp_path / "portal.sqlite3", timeout=0.2)
        first = connections["default"]
        _begin(first)
        errors = []

        def second_writer():
            second = connections["default"]
            try:
                _begin(second)
            except Exception as error:  # the test looks at what it is
                errors.append(error)
            second.close()

        writer = threading.Thread(target=second_writer)
        writer.start()
        writer.join(10)
        assert len(errors) == 1 and "database is locked" in str(errors[0])
        assert is_unavailable(errors[0]), "answered with the portal's 503 page, not a server error"
        first.rollback()
        _begin(first)  # the queue is free again once the first is done
        first.rollback()
        first.close()
