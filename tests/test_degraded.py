"""
Degrade, don't die (issue 18 item 2): the portal without its cache, and without its database.

- Redis stopped (REDIS_URL at a closed port; no Redis needed): reading, signing in and commenting
  still work from the database, the sign-in limit still holds, /healthz says "degraded" with 200,
  and the outage is logged once, not per request.
- Redis away, then back (a real Redis behind a proxy that is cut and restored): nothing written
  during the outage comes back stale: not a signed-out session, not a page a moderator changed.
  These need Redis on 127.0.0.1:6379; without it they are skipped, except in CI (CI=true).
- The database unreachable or hung (gunicorn in a subprocess, its DATABASE_URL at a proxy that
  refuses, then accepts and never answers): 503 with Retry-After in the portal's layout, and
  /healthz 503 naming the database.
"""

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis

from dialogue import services
from outbox.models import Message
from tools.fault_servers import TcpProxy, free_port

from .factories import PASSWORD, make_comment, make_moderator, make_statement, make_user

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def fail_soft_cache(port: int, *, prefix: str = "degraded", retry_seconds: float = 5, db: int = 0) -> dict:
    return {
        "default": {
            "BACKEND": "pagecache.backends.FailSoftRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/{db}",
            "KEY_PREFIX": prefix,
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 1,
                "RETRY_SECONDS": retry_seconds,
                "LOG_SECONDS": 60,
                "LOCAL_FALLBACK_PREFIXES": ["allauth:rl:"],
            },
        }
    }


@pytest.fixture
def redis_stopped(settings):
    """REDIS_URL points at a port where nothing listens, with the production cache settings."""
    settings.CACHES = fail_soft_cache(free_port())
    settings.PUBLIC_PAGE_CACHE_SECONDS = 600


def sign_in(client, email: str):
    return client.post("/en/accounts/login/", {"login": email, "password": PASSWORD})


class TestRedisStopped:
    def test_reading_signing_in_and_commenting_still_work(self, client, redis_stopped, caplog):
        caplog.set_level(logging.WARNING, logger="pagecache.backends")
        statement = make_statement(title_en="Read while the cache is down")
        make_user("reader@example.org")
        for _reader in range(3):
            page = client.get(statement.get_absolute_url())
            assert page.status_code == 200 and "Read while the cache is down" in page.text

        assert sign_in(client, "reader@example.org").status_code == 302
        assert client.get("/en/dialogue/mine/").status_code == 200, "the session did not come from the database"

        response = client.post(
            f"/en/dialogue/statements/{statement.slug}/comment/",
            {"about": "", "body": "Submitted while the cache was down.", "language": "en"},
        )
        assert response.status_code == 302
        assert statement.comments.filter(body="Submitted while the cache was down.").exists()

        health = client.get("/healthz")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "degraded"
        assert body["checks"]["cache"]["state"] == "degraded"
        assert body["checks"]["database"]["state"] == "ok"

        outage_lines = [r for r in caplog.records if r.name == "pagecache.backends"]
        assert [r.getMessage().split(";")[0] for r in outage_lines] == ["cache unreachable"], (
            "the outage was logged per request instead of once"
        )

    def test_the_sign_in_limit_still_holds(self, client, redis_stopped):
        """allauth's failed-login limit counts in the process's memory while the shared cache is away."""
        make_user("target@example.org")
        for _attempt in range(5):
            refused = client.post("/en/accounts/login/", {"login": "target@example.org", "password": "wrong-guess"})
            assert refused.status_code == 200
        response = sign_in(client, "target@example.org")
        assert "Too many failed login attempts" in response.text


class TestHealth:
    def test_every_dependency_is_named_with_its_state(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert {name: check["state"] for name, check in body["checks"].items()} == {
            "database": "ok",
            "cache": "ok",
            "outbox": "ok",
        }
        assert body["checks"]["outbox"]["waiting"] == 0

    def test_an_old_email_backlog_is_degraded_not_down(self, client, settings):
        settings.OUTBOX_BACKLOG_DEGRADED_SECONDS = 60
        Message.objects.create(from_email="portal@example.org", to=["a@example.org"], subject="Waiting")
        Message.objects.update(created_at=Message.objects.get().created_at.replace(year=2020))
        response = client.get("/healthz")
        assert response.status_code == 200
        outbox = response.json()["checks"]["outbox"]
        assert (outbox["state"], outbox["waiting"]) == ("degraded", 1)

    def test_a_broker_that_does_not_answer_is_degraded_not_down(self, client, settings):
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["checks"]["broker"]["state"] == "degraded"


# --- Redis away, then back: a real Redis behind a proxy ----------------------------------------


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(
    not _redis_reachable() and os.environ.get("CI") != "true",
    reason="needs Redis on 127.0.0.1:6379 (CI fails instead of skipping)",
)


@pytest.fixture
def redis_behind_proxy(settings):
    """The cache is a real Redis (a key prefix of this test's own) reached through a proxy the test can cut."""
    proxy = TcpProxy(6379)
    proxy.set("forwarding")
    prefix = f"degraded-{secrets.token_hex(4)}"
    settings.CACHES = fail_soft_cache(proxy.port, prefix=prefix, retry_seconds=0)
    settings.PUBLIC_PAGE_CACHE_SECONDS = 600
    yield proxy
    proxy.close()
    direct = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=5)
    keys = list(direct.scan_iter(f"{prefix}:*"))
    if keys:
        direct.delete(*keys)


@needs_redis
class TestRedisBack:
    def test_a_session_signed_out_during_the_outage_does_not_come_back(self, client, redis_behind_proxy):
        make_user("leaver@example.org")
        assert sign_in(client, "leaver@example.org").status_code == 302
        assert client.get("/en/dialogue/mine/").status_code == 200
        cookie = client.cookies["sessionid"].value

        redis_behind_proxy.set("refusing")
        assert client.post("/en/accounts/logout/").status_code == 302
        redis_behind_proxy.set("forwarding")

        client.cookies["sessionid"] = cookie  # the signed-out cookie, replayed (a shared computer)
        response = client.get("/en/dialogue/mine/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], (
            "a session signed out while Redis was away came back from the cache"
        )

    def test_a_page_changed_during_the_outage_is_not_served_stale(self, client, redis_behind_proxy):
        statement = make_statement()
        comment = make_comment(statement, body="Approved while the cache was away.")
        assert "Approved while the cache was away." not in client.get(statement.get_absolute_url()).text
        assert "Approved while the cache was away." not in client.get(statement.get_absolute_url()).text

        redis_behind_proxy.set("refusing")
        services.comment_approve(comment=comment, moderator=make_moderator(), seen=comment.fingerprint)
        redis_behind_proxy.set("forwarding")

        assert "Approved while the cache was away." in client.get(statement.get_absolute_url()).text


# --- The database unreachable, then hung: gunicorn against a proxy that refuses, then hangs ----


@pytest.fixture(scope="module")
def server_without_database(tmp_path_factory):
    """gunicorn with production settings whose DATABASE_URL leads to a proxy in front of nothing."""
    tmp = tmp_path_factory.mktemp("no-database")
    proxy = TcpProxy(free_port())  # its target never listens: "forwarding" is never used
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{proxy.port}/nothing",
        DATABASE_CONNECT_TIMEOUT="2",
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_CACHE_DIR=str(tmp / "cache"),
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="spp_portal.settings",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    log = open(tmp / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "spp_portal.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, f"gunicorn stopped; see {tmp}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"gunicorn did not start; see {tmp}"
                time.sleep(0.2)
        yield url, proxy, tmp / "gunicorn.log"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
        log.close()
        proxy.close()


def fetch(url: str) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 - a local test server
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.mark.django_db(databases=[])
@pytest.mark.parametrize("fault", ["refusing", "hanging"])
def test_an_unavailable_database_answers_503_in_the_portals_layout(server_without_database, fault):
    url, proxy, log = server_without_database
    proxy.set(fault)  # refusing: a closed port; hanging: accepts and never answers, like a wedged server
    for language, heading in (
        ("en", "Temporarily unavailable"),
        ("fr", "Temporairement indisponible"),
        ("es", "No disponible temporalmente"),
    ):
        status, headers, page = fetch(f"{url}/{language}/")
        assert status == 503, page
        assert headers["Retry-After"] == "30"
        assert f'<html lang="{language}">' in page and heading in page
        assert 'class="portal-header' in page and 'class="portal-footer' in page, "not in the portal's layout"
    status, _headers, body = fetch(f"{url}/healthz")
    assert status == 503
    assert json.loads(body)["checks"]["database"]["state"] == "down"
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert not [line for line in lines if line["logger"] == "django.request"], "logged per request by Django"
    logged = [line["message"] for line in lines if line["logger"] == "spp_portal.unavailable"]
    assert len(logged) == 1 and logged[0].startswith("database unavailable: answering 503"), logged
