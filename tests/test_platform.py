"""Health check, robots, safe-by-default settings."""

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

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
@pytest.mark.django_db(transaction=True)
def test_a_kept_database_connection_is_reused_without_a_round_trip_and_replaced_once_the_server_closed_it(tmp_path):
    """Each request begins by checking the connection the last one left (spp_portal/postgresql/base.py)."""
    import psycopg
    from django.contrib.auth import get_user_model
    from django.db import close_old_connections

    users = get_user_model().objects
    users.exists()  # a request reads: its connection is kept for the next
    backend = connection.connection.info.backend_pid
    wire = tmp_path / "wire.txt"
    with open(wire, "w") as trace:
        connection.connection.pgconn.trace(trace.fileno())
        close_old_connections()  # what Django does as each request begins
        users.exists()
        connection.connection.pgconn.untrace()
    sent = [line for line in wire.read_text().splitlines() if "\tF\t" in line and "\tQuery\t" in line]
    assert len(sent) == 1 and "auth_user" in sent[0], f"one round trip, the request's own, no health check: {sent}"

    # The server ends the session, as a restart, a fail-over or an administrator does.
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as administrator:
        administrator.execute("SELECT pg_terminate_backend(%s)", [backend])
    assert select.select([connection.connection.pgconn.socket], [], [], 5)[0], "the server said goodbye"
    close_old_connections()
    assert users.exists() is False, "the next request is served"
    assert connection.connection.info.backend_pid != backend, "by a new connection"
