"""
Scale-out (issue 9): two app servers on one PostgreSQL and one Redis behave as one portal.

Two gunicorn servers, on two free ports, share a PostgreSQL database made for this test and a
Redis database number used by nothing else, exactly as N servers behind a load balancer would
(REDIS_URL: cache, sessions and allauth's rate limits). Everything is checked over real HTTP:

- a session made by signing in on one server is valid on the other;
- the comment rate limit (COMMENT_RATE_LIMIT_COUNT=3) and the search limit count requests made on both;
- so do the public API's limits, without a key (per address) and with one (per key), and a key
  revoked through one server is refused by the other;
- allauth's failed-login limit counts failures on both, per client address behind the load balancer
  (TRUSTED_PROXY_COUNT=1): a forged X-Forwarded-For neither dodges it nor locks out a neighbour;
- a comment approved through one server is on the other's anonymous page at once, although
  that page was cached there just before (no stale page cache).

It needs PostgreSQL on 127.0.0.1:5432 (trust, user postgres) and Redis on 127.0.0.1:6379; without
them it is skipped with the reason, except in CI (CI=true), where it must run. The database is
dropped, the Redis database flushed and both servers stopped afterwards, whatever happens.
"""

import html
import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from dialogue.text import fingerprint

from . import live_servers

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
STATEMENT = "/en/statements/2008-02-28-joint-statement-los-cabos/"
COMMENT_LIMIT = 3
SEARCH_LIMIT = 3
API_ANONYMOUS_LIMIT, API_KEY_LIMIT = 4, 6
PUBLIC_HOST = "localhost"
PASSWORD = "dialogue-demo-2008"  # seed_demo's development password


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _missing_services() -> str:
    missing = [
        name
        for name, port in (("PostgreSQL", 5432), ("Redis", REDIS_PORT))
        if not _reachable("127.0.0.1" if name == "PostgreSQL" else REDIS_HOST, port)
    ]
    return " and ".join(missing)


MISSING = _missing_services()
pytestmark = [
    # Its own PostgreSQL database or cluster, whatever the suite's: CI runs it once (.ci/run).
    pytest.mark.own_postgres,
    pytest.mark.skipif(
        bool(MISSING) and os.environ.get("CI") != "true",
        reason=f"scale-out test needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379; "
        f"{MISSING} not reachable",
    ),
]


# --- The two servers and what they share -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """One PostgreSQL database, one Redis database number, two gunicorn servers with the same environment."""

    def shell(self, code: str) -> str:
        # The last line: the console email backend prints any email sent before it.
        return self.manage("shell", "-v", "0", "-c", code).strip().splitlines()[-1]

    def __init__(self, tmp_path: Path):
        suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
        self.database = f"spp_scale_{suffix}"
        # Database numbers 8-15 are left to this test; each run flushes only the one it chose.
        self.redis_db = 8 + os.getpid() % 8
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
        self.env.update(
            DATABASE_URL=f"{POSTGRES}/{self.database}",
            REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}",
            DJANGO_DEBUG="0",
            DJANGO_HTTPS="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),  # the same on both: they sign the same sessions
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            PORTAL_URL=f"http://{PUBLIC_HOST}",
            DJANGO_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="spp_portal.settings",
            PUBLIC_PAGE_CACHE_SECONDS="600",
            COMMENT_RATE_LIMIT_COUNT=str(COMMENT_LIMIT),
            COMMENT_RATE_LIMIT_SECONDS="600",
            SEARCH_RATE_LIMIT_COUNT=str(SEARCH_LIMIT),
            API_RATE_LIMIT_ANONYMOUS_COUNT=str(API_ANONYMOUS_LIMIT),
            API_RATE_LIMIT_KEY_COUNT=str(API_KEY_LIMIT),
            # Behind one load balancer, as in production (README, Security): the tests below send what
            # it forwards, X-Forwarded-For ending with the client's address.
            TRUSTED_PROXY_COUNT="1",
        )
        self.tmp_path = tmp_path
        self.servers: list[subprocess.Popen] = []
        self.logs: list = []
        self.urls: list[str] = []

    def redis(self):
        import redis

        return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=self.redis_db, socket_timeout=5)

    def psql(self, statement: str) -> None:
        subprocess.run(  # noqa: S603
            ["psql", f"{POSTGRES}/postgres", "-q", "-c", statement],  # noqa: S607
            check=True,
            capture_output=True,
        )

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
        self.psql(f"CREATE DATABASE {self.database}")
        self.manage("migrate", "--noinput", "-v", "0")
        # Demo accounts and the 2008 statement open for comment; seed_demo runs only with debug on.
        self.manage("seed_demo", "-v", "0", DJANGO_DEBUG="1")
        self.manage("collectstatic", "--noinput", "-v", "0")
        for name in ("a", "b"):
            port = _free_port()
            log = open(self.tmp_path / f"gunicorn-{name}.log", "wb")  # noqa: SIM115 - closed in stop()
            self.logs.append(log)
            self.servers.append(
                subprocess.Popen(  # noqa: S603
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "spp_portal.wsgi",
                        "--workers",
                        "2",
                        "--bind",
                        f"127.0.0.1:{port}",
                    ],
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            self.urls.append(f"http://127.0.0.1:{port}")
        for url, server in zip(self.urls, self.servers, strict=True):
            self._wait(url, server)

    def _wait(self, url: str, server: subprocess.Popen) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert server.poll() is None, f"gunicorn stopped; see {self.tmp_path}"
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"gunicorn at {url} did not answer within 30 s; see {self.tmp_path}")

    def stop(self) -> None:
        for server in self.servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
        for server in self.servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=5)
        for log in self.logs:
            log.close()
        try:
            self.redis().flushdb()
        finally:
            self.psql(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("scale-out"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


# --- A browser: cookies shared by both servers (same host), no redirects followed --------------


class Browser(live_servers.Browser):
    """The shared test browser, behind the load balancer: it forwards the client's address too."""

    def __init__(self, forwarded_for: str = ""):
        super().__init__()
        # What the load balancer would forward for this browser: "<anything the client wrote>, <its address>".
        self.forwarded_for = forwarded_for

    def request(self, url: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, str, dict]:
        if self.forwarded_for:
            headers = {"X-Forwarded-For": self.forwarded_for, **(headers or {})}
        return super().request(url, data, headers)


def _tracking_number(headers: dict) -> str:
    return re.search(r"/receipt/([^/]+)/", headers["Location"]).group(1)


# --- The behaviour -------------------------------------------------------------------------------


def test_a_session_made_on_one_server_is_valid_on_the_other(cluster):
    a, b = cluster.urls
    browser = Browser()
    status, _page, _headers = browser.sign_in(a, "stakeholder@example.com", PASSWORD)
    assert status == 302, "signing in on server A did not redirect"
    status, page, _headers = browser.request(f"{b}/en/dialogue/mine/")
    assert status == 200, f"server B did not know the session made on server A ({status})"
    assert "Dana Stakeholder" in html.unescape(page) or "stakeholder@example.com" in page


def test_the_comment_rate_limit_counts_submissions_on_both_servers(cluster):
    a, b = cluster.urls
    browser = Browser()
    assert browser.sign_in(b, "stakeholder@example.com", PASSWORD)[0] == 302
    servers = [a, b, a]
    for number, server in enumerate(servers, start=1):
        status, _page, headers = browser.comment(server, f"Scale-out comment {number}: wait times at the border.")
        assert status == 302, f"submission {number} on {server} was refused ({status})"
        assert "/receipt/" in headers["Location"]
    status, page, _headers = browser.comment(b, "Scale-out comment 4: one more than the limit.")
    assert status == 429
    assert f"You have submitted {COMMENT_LIMIT} comments" in html.unescape(page)


def test_failed_sign_ins_on_both_servers_count_towards_one_limit(cluster):
    """allauth refuses a sign-in after 5 failures for one address, wherever they happened."""
    a, b = cluster.urls
    browser = Browser()
    for attempt in range(5):
        status, page, _headers = browser.sign_in([a, b][attempt % 2], "publisher@example.com", "wrong-password-1")
        assert status == 200 and "Too many failed login attempts" not in page
    status, page, _headers = browser.sign_in(b, "publisher@example.com", PASSWORD)
    assert status == 200, "the right password was accepted after five failures on two servers"
    assert "Too many failed login attempts" in page


def test_a_forged_x_forwarded_for_neither_dodges_the_sign_in_limit_nor_locks_out_a_neighbour(cluster):
    """
    Through the load balancer (TRUSTED_PROXY_COUNT=1), an attacker claiming a new address before its
    own each time is refused after 10 failed sign-ins a minute, on both servers; a reader behind the
    same balancer still signs in (before: everyone shared the balancer's address and was locked out).
    """
    a, b = cluster.urls
    for attempt in range(10):
        attacker = Browser(forwarded_for=f"198.51.100.{attempt}, 203.0.113.66")
        status, page, _headers = attacker.sign_in([a, b][attempt % 2], f"victim{attempt}@example.org", "wrong-1")
        assert status == 200 and "Too many failed login attempts" not in page
    attacker = Browser(forwarded_for="192.0.2.10, 203.0.113.66")  # now claiming the neighbour's address
    status, page, _headers = attacker.sign_in(b, "victim-last@example.org", "wrong-1")
    assert "Too many failed login attempts" in page, "the eleventh attempt was not refused"
    neighbour = Browser(forwarded_for="192.0.2.10")
    status, _page, _headers = neighbour.sign_in(a, "stakeholder@example.com", PASSWORD)
    assert status == 302, "a reader behind the same balancer was locked out by someone else's failures"


def test_the_search_rate_limit_counts_searches_on_both_servers(cluster):
    a, b = cluster.urls
    reader = Browser(forwarded_for="198.51.100.77")
    for server in [a, b, a]:
        assert reader.request(f"{server}/en/search/?q=border")[0] == 200
    status, page, headers = reader.request(f"{b}/en/search/?q=border")
    assert status == 429 and int(headers["Retry-After"]) >= 1
    assert "Too many attempts" in page
    assert Browser(forwarded_for="198.51.100.78").request(f"{b}/en/search/?q=border")[0] == 200


def test_the_api_limits_count_requests_on_both_servers_with_and_without_a_key(cluster):
    a, b = cluster.urls
    url = "/api/v1/statements/"
    reader = Browser(forwarded_for="198.51.100.90")
    remaining = []
    for number in range(API_ANONYMOUS_LIMIT):
        status, _body, headers = reader.request([a, b][number % 2] + url)
        assert status == 200, f"anonymous API request {number + 1} was refused ({status})"
        remaining.append(int(headers["RateLimit-Remaining"]))
    assert remaining == list(range(API_ANONYMOUS_LIMIT - 1, -1, -1)), "the two servers did not count as one"
    status, _body, headers = reader.request(b + url)
    assert status == 429 and headers["Content-Type"] == "application/problem+json"
    assert int(headers["Retry-After"]) >= 1 and headers["RateLimit-Limit"] == str(API_ANONYMOUS_LIMIT)

    # The same address with a key: the key's own, higher limit, also counted across both servers.
    token = cluster.shell(
        "from django.contrib.auth import get_user_model; from publicapi.models import ApiKey;"
        "owner = get_user_model().objects.get(email='stakeholder@example.com');"
        "print(ApiKey.generate(owner=owner, name='scale-out')[1])"
    )
    for number in range(API_KEY_LIMIT):
        status, _body, headers = reader.request([b, a][number % 2] + url, headers={"X-API-Key": token})
        assert status == 200, f"request {number + 1} with a key was refused ({status})"
    status, _body, headers = reader.request(a + url, headers={"Authorization": f"Bearer {token}"})
    assert status == 429 and headers["RateLimit-Limit"] == str(API_KEY_LIMIT)

    cluster.shell(
        "from django.utils import timezone; from publicapi.models import ApiKey;"
        "print(ApiKey.objects.filter(name='scale-out').update(revoked_at=timezone.now()))"
    )
    fresh = Browser(forwarded_for="198.51.100.91")
    assert fresh.request(b + url, headers={"X-API-Key": token})[0] == 401, "a revoked key was accepted"


def test_a_comment_approved_on_one_server_is_shown_at_once_by_the_other(cluster):
    a, b = cluster.urls
    author = Browser()
    assert author.sign_in(a, "stakeholder@example.com", PASSWORD)[0] == 302
    # Submitted by another account: the stakeholder may have reached the rate limit above.
    text = f"Approved across servers {secrets.token_hex(4)}"
    tracking = cluster.shell(
        "from django.contrib.auth import get_user_model; from dialogue.services import comment_submit;"
        "from priorities.models import Statement;"
        "author = get_user_model().objects.get(email='publisher@example.com');"
        "statement = Statement.objects.get(slug='2008-02-28-joint-statement-los-cabos');"
        f"print(comment_submit(author=author, statement=statement, body={text!r}, language='en').tracking_number)"
    )

    reader = Browser()  # anonymous: served from the page cache
    for _warm in range(2):
        status, page, _headers = reader.request(b + STATEMENT)
        assert status == 200 and text not in page
    assert cluster.redis().keys("*public-pages:page:*"), "server B cached nothing: the check below would prove nothing"

    moderator = Browser()
    session = cluster.shell("from tests.test_scale_out import moderator_session; moderator_session()")
    moderator.cookies.set_cookie(_cookie("sessionid", session))
    token = moderator.form_token(f"{a}/en/moderation/")
    status, _page, _headers = moderator.request(
        f"{a}/en/moderation/comments/{tracking}/approve/", {"csrfmiddlewaretoken": token, "seen": fingerprint(text)}
    )
    assert status == 302, f"approving on server A failed ({status})"

    status, page, _headers = reader.request(b + STATEMENT)
    assert status == 200
    assert text in page, "server B still served its cached page without the comment approved on server A"


def _cookie(name: str, value: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None, True, None, None, {}
    )


def moderator_session() -> None:
    """Run in `manage.py shell` against the cluster: a signed-in moderator with an authenticator (MFA)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth import get_user_model
    from django.test import Client

    moderator = get_user_model().objects.get(email="moderator@example.com")
    if not Authenticator.objects.filter(user=moderator, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(moderator, generate_totp_secret())
    client = Client()
    client.force_login(moderator)
    print(client.cookies["sessionid"].value)
