"""
A database that scales out for reads (issue 17): a real PostgreSQL primary and streaming replica.

The test builds both with PostgreSQL's own tools (initdb, pg_basebackup -R) on private ports in a
temporary folder, serves the portal from one gunicorn (2 workers) with DATABASE_URL on the
primary and DATABASE_REPLICA_URL on the replica, and reads the request log, where each request
that read the database says which one ("database": "replica" or "default"):

- an anonymous statement page is read from the replica;
- a stakeholder's comment is on their receipt and their statement page at once (read your writes);
- while the replica stops replaying, an approval is public at once, read from the primary, and
  once the replica has replayed it, the public pages are read from the replica again;
- the replica stopped: the portal still serves, from the primary;
- the primary restarted: the requests after it are served, on new connections.

It needs the PostgreSQL server binaries (Debian's postgresql package: /usr/lib/postgresql/*/bin);
without them it is skipped with the reason, except in CI (CI=true), where it must run. As root the
servers run as the postgres user (PostgreSQL refuses to run as root).
"""

import glob
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .live_servers import Browser, free_port, moderator_session_code, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
STATEMENT = "/en/statements/2008-02-28-joint-statement-los-cabos/"
pytestmark = [
    # Its own PostgreSQL database or cluster, whatever the suite's: CI runs it once (.ci/run).
    pytest.mark.own_postgres,
    pytest.mark.skipif(
        not BINARIES and os.environ.get("CI") != "true",
        reason="the replica test needs PostgreSQL's server binaries (initdb, pg_basebackup): "
        "apt-get install postgresql",
    ),
]


class Replication:
    """A primary and its streaming replica, each its own PostgreSQL server on a private port."""

    def __init__(self):
        self.bin = Path(BINARIES[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="spp-replica-"))
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self.ports = {"primary": free_port(), "replica": free_port()}

    def run(self, tool: str, *args: str) -> None:
        done = subprocess.run(  # noqa: S603
            [*self.as_postgres, str(self.bin / tool), *args], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{tool} {' '.join(args)}:\n{done.stdout}\n{done.stderr}"

    def url(self, server: str, database: str = "portal") -> str:
        return f"postgres://postgres@127.0.0.1:{self.ports[server]}/{database}"

    def start(self) -> None:
        primary, replica = self.folder / "primary", self.folder / "replica"
        self.run("initdb", "-D", str(primary), "-U", "postgres", "-A", "trust", "--no-sync")
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.ports['primary']}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.folder}'\nwal_level = replica\nmax_wal_senders = 4\n"
                "fsync = off\n"
            )
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        self.pg_ctl("primary", "start")
        self.psql("primary", "postgres", "CREATE DATABASE portal")
        # --checkpoint=fast: by default the backup waits for a spread checkpoint, 93 s of an idle primary.
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.ports["primary"]), "-U", "postgres",
                 "-D", str(replica), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast")  # fmt: skip
        with open(replica / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.ports['replica']}\nhot_standby = on\n")
        self.pg_ctl("replica", "start")

    def pg_ctl(self, server: str, action: str) -> None:
        self.run("pg_ctl", "-D", str(self.folder / server), "-l", str(self.folder / f"{server}.log"),
                 "-w", "-t", "60", "-m", "fast", action)  # fmt: skip

    def psql(self, server: str, database: str, sql: str) -> str:
        done = subprocess.run(  # noqa: S603
            ["psql", self.url(server, database), "-At", "-c", sql],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def stop(self) -> None:
        for server in ("replica", "primary"):
            subprocess.run(  # noqa: S603
                [*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.folder / server), "-m", "immediate",
                 "stop"], capture_output=True, timeout=60,
            )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


class Portal:
    """One gunicorn (2 workers) on the primary and the replica; its request log, one JSON line a request."""

    def __init__(self, replication: Replication, folder: Path):
        self.replication = replication
        self.log_path = folder / "gunicorn.log"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
        self.env.update(
            DATABASE_URL=replication.url("primary"),
            DATABASE_REPLICA_URL=replication.url("replica"),
            DJANGO_DEBUG="0",
            DJANGO_HTTPS="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_CACHE_DIR=str(folder / "cache"),
            DJANGO_LOG_FORMAT="json",
            DJANGO_LOG_LEVEL="INFO",
            DJANGO_SETTINGS_MODULE="spp_portal.settings",
            REPLICA_READ_YOUR_WRITES_SECONDS="30",
            REPLICA_RETRY_SECONDS="60",
        )
        self.env.pop("REDIS_URL", None)
        self.server = None

    def manage(self, *args: str, **extra: str) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args], cwd=ROOT, env={**self.env, **extra},
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self) -> None:
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("seed_demo", "-v", "0", DJANGO_DEBUG="1")
        self.manage("collectstatic", "--noinput", "-v", "0")
        port = free_port()
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "spp_portal.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{port}"
        wait_until_healthy(self.url, self.server, self.log_path)

    def read_from(self, browser: Browser, path: str) -> tuple[int, str, str | None]:
        """GET a page; (status, page, the database its request read from, None if it read none)."""
        request_id = secrets.token_hex(16)
        status, page, _headers = browser.request(self.url + path, headers={"X-Request-ID": request_id})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the log line is written as the response leaves
            for line in self.log_path.read_text().splitlines():
                if request_id in line and line.startswith("{"):
                    entry = json.loads(line)
                    if entry.get("request_id") == request_id and "status" in entry:
                        return status, page, entry.get("database")
            time.sleep(0.05)
        raise AssertionError(f"no log line for {path}")

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(timeout=30)
        if self.server:
            self.log.close()


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    replication = Replication()
    portal = Portal(replication, tmp_path_factory.mktemp("replica"))
    try:
        replication.start()
        portal.start()
        yield portal
    finally:
        portal.stop()
        replication.stop()


def _until(condition, seconds=30.0):
    """Poll a real server until `condition()` holds (replication takes milliseconds, not a fixed time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


def test_public_pages_are_read_from_the_replica(portal):
    reader = Browser()
    status, page, database = portal.read_from(reader, "/en/search/?q=border")
    assert status == 200 and database == "replica"
    status, page, database = portal.read_from(reader, STATEMENT)
    assert status == 200 and "Take part" in page
    assert database in {"replica", None}  # None: served from the page cache, no database read at all


def test_the_author_sees_their_comment_at_once_and_the_public_once_it_is_approved(portal):
    author = Browser()
    assert author.sign_in(portal.url, "stakeholder@example.com", "dialogue-demo-2008")[0] == 302
    text = f"Read your writes through a replica {secrets.token_hex(4)}."
    status, _page, headers = author.comment(portal.url, text)
    assert status == 302, "the comment was submitted"
    receipt = re.search(r"/receipt/[^/]+/", headers["Location"]).group(0)
    status, page, database = portal.read_from(author, f"/en/dialogue{receipt}")
    assert status == 200 and text in page and database == "default"
    status, page, database = portal.read_from(author, STATEMENT)
    assert text in page and database == "default", "a browser that just wrote reads from the primary"

    # The replica stops replaying: the approval is public at once anyway, read from the primary.
    portal.replication.psql("replica", "portal", "SELECT pg_wal_replay_pause()")
    try:
        moderator = Browser()
        moderator.cookies.set_cookie(_cookie("sessionid", portal.manage("shell", "-c", moderator_session_code())))
        tracking = receipt.strip("/").rsplit("/", 1)[1]
        seen = re.search(rf'value="([0-9a-f]{{64}})"[^>]*>Approve {tracking}', moderator.request(
            portal.url + "/en/moderation/")[1]).group(1)  # fmt: skip
        token = moderator.form_token(portal.url + "/en/moderation/")
        status, _page, _headers = moderator.request(
            f"{portal.url}/en/moderation/comments/{tracking}/approve/", {"csrfmiddlewaretoken": token, "seen": seen}
        )
        assert status == 302
        reader = Browser()
        status, page, database = portal.read_from(reader, f"{STATEMENT}?order=newest")
        assert text in page and database == "default", "the lagging replica is not read"
    finally:
        portal.replication.psql("replica", "portal", "SELECT pg_wal_replay_resume()")
    # Once the replica has replayed the approval, the public reads come from it again.
    _until(lambda: portal.read_from(Browser(), f"/en/search/?q={tracking}")[2] == "replica")
    assert text in portal.read_from(Browser(), f"{STATEMENT}?order=newest")[1]


def test_the_portal_still_serves_when_the_replica_stops(portal):
    portal.replication.pg_ctl("replica", "stop")
    status, _page, database = portal.read_from(Browser(), "/en/search/?q=energy")
    assert status == 200 and database == "default"
    status, _page, _database = portal.read_from(Browser(), "/en/statements/")
    assert status == 200


def test_the_portal_still_serves_after_the_primary_restarts(portal):
    """Each worker's kept connection is closed by the restart; the first request after it reconnects."""

    def signed_in_search(word: str):  # a sign-in writes; the browser then reads from the primary too
        browser = Browser()
        assert browser.sign_in(portal.url, "stakeholder@example.com", "dialogue-demo-2008")[0] == 302
        return portal.read_from(browser, f"/en/search/?q={word}")

    assert signed_in_search("trade")[0] == 200
    portal.replication.pg_ctl("primary", "restart")
    for word in ("energy", "border", "security"):  # both workers, more than once
        status, _page, database = signed_in_search(word)
        assert (status, database) == (200, "default")


def _cookie(name: str, value: str):
    import http.cookiejar

    return http.cookiejar.Cookie(
        0, name, value.strip().splitlines()[-1], None, False, "127.0.0.1", False, False, "/", True, False, None,
        True, None, None, {},
    )  # fmt: skip
