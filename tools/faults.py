"""
`make faults`: the portal under gunicorn, its dependencies taken away one at a time, and what users see.

Not a test: a demonstration run by hand, whose table the README shows (Operations). It

1. starts what production runs, on free ports of 127.0.0.1: a PostgreSQL database of its own (on the
   server at 127.0.0.1:5432, reached through a proxy this tool can cut or wedge), a private
   redis-server it can stop (cache, sessions, rate limits, and the Celery broker), gunicorn with
   production settings, a Celery worker with its beat sweep, and an SMTP server (aiosmtpd) it can
   make refuse or hang (tools/fault_servers.py);
2. for each fault: sets it, does what users do over HTTP (read a page, sign in, comment, sign up,
   probe /healthz) and times each answer, then restores the service and checks what was lost:
   every comment and account accepted is in the database, and every email in the outbox is
   delivered, exactly once (by Message-ID);
3. prints one table: fault, what users see, what is logged (warnings and errors, by message),
   what is lost.

    make faults                      # about two minutes
    make faults FAULTS_ARGS="--keep" # leave the logs in var/faults/ (they are always kept there)
"""

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tools.fault_servers import SmtpServer, TcpProxy, free_port

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "faults"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
STATEMENT = "/en/statements/2008-02-28-joint-statement-los-cabos/"
STAKEHOLDER, PASSWORD = "stakeholder@example.com", "dialogue-demo-2008"  # seed_demo's development account
WAIT = 120  # seconds the services get to catch up after a fault is lifted


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A visitor: cookies kept, redirects not followed, every answer timed."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, float, str, dict]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=60) as response:  # noqa: S310
                return response.status, time.perf_counter() - started, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, time.perf_counter() - started, error.read().decode(), dict(error.headers)
        except OSError as error:  # the server closed the connection: what a killed worker looks like
            return 0, time.perf_counter() - started, str(error), {}

    def post_form(self, path: str, data: dict) -> tuple[int, float, str, dict]:
        status, seconds, page, headers = self.request(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if token is None:  # the form itself could not be shown: that is what the user saw
            return status, seconds, page, headers
        status, more, page, headers = self.request(path, {"csrfmiddlewaretoken": token.group(1), **data})
        return status, seconds + more, page, headers


@dataclass
class Row:
    fault: str
    seen: list[str] = field(default_factory=list)
    logged: list[str] = field(default_factory=list)
    lost: str = ""


class Rig:
    def __init__(self):
        shutil.rmtree(WORK, ignore_errors=True)
        WORK.mkdir(parents=True)
        self.database = f"spp_faults_{os.getpid()}"
        self.db_proxy = TcpProxy(5432)
        self.redis_port = free_port()
        self.smtp = SmtpServer()
        self.processes: dict[str, subprocess.Popen] = {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
        self.env.update(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{self.db_proxy.port}/{self.database}",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            CELERY_BROKER_URL=f"redis://127.0.0.1:{self.redis_port}/1",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(self.smtp.port),
            EMAIL_USE_TLS="0",
            OUTBOX_RETRY_SECONDS="2",
            OUTBOX_RETRY_MAX_SECONDS="4",
            OUTBOX_SWEEP_SECONDS="2",
            COMMENT_RATE_LIMIT_COUNT="50",
            PUBLIC_PAGE_CACHE_SECONDS="600",
            DJANGO_DEBUG="0",
            DJANGO_HTTPS="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_LOG_LEVEL="INFO",
            DJANGO_SETTINGS_MODULE="spp_portal.settings",
            PORTAL_URL="http://127.0.0.1",
        )

    # --- Set-up and tear-down -----------------------------------------------------------------

    def start(self) -> None:
        self.db_proxy.set("forwarding")
        self.smtp.set("answering")
        self.start_redis()
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", self.database], check=True)  # noqa: S603,S607
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("seed_demo", "-v", "0", DJANGO_DEBUG="1")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.spawn(
            "gunicorn", "-m", "gunicorn", "spp_portal.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{self.port}"
        )
        self.spawn(
            "worker",
            *("-m", "celery", "-A", "spp_portal", "worker", "--beat", "--schedule", str(WORK / "beat-schedule")),
            *("--concurrency", "2", "--without-gossip", "--without-mingle", "--without-heartbeat"),
        )
        deadline = time.monotonic() + 60
        while Browser(self.url).request("/healthz")[0] != 200:
            if time.monotonic() > deadline:
                sys.exit(f"gunicorn did not become healthy; see {WORK}")
            time.sleep(0.3)

    def start_redis(self) -> None:
        self.processes["redis"] = subprocess.Popen(  # noqa: S603
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],  # noqa: S607
            stdout=open(WORK / "redis.log", "ab"),  # noqa: SIM115 - the process owns it
            stderr=subprocess.STDOUT,
        )
        for _try in range(50):
            try:
                socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit("redis-server did not start")

    def stop_redis(self) -> None:
        process = self.processes.pop("redis")
        process.terminate()
        process.wait(timeout=10)

    def spawn(self, name: str, *args: str) -> None:
        self.processes[name] = subprocess.Popen(  # noqa: S603
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            stdout=open(WORK / f"{name}.log", "ab"),  # noqa: SIM115 - the process owns it
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def manage(self, *args: str, **extra: str) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args], cwd=ROOT, env={**self.env, **extra}, capture_output=True, text=True
        )
        if done.returncode:
            sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def stop(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is None:
                if name == "redis":
                    process.terminate()
                else:
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.db_proxy.close()
        self.smtp.close()
        subprocess.run(  # noqa: S603
            ["psql", f"{POSTGRES}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"],  # noqa: S607
            check=False,
            capture_output=True,
        )

    # --- Reading what happened ------------------------------------------------------------------

    def log_offsets(self) -> dict[str, int]:
        return {name: (WORK / f"{name}.log").stat().st_size for name in ("gunicorn", "worker")}

    def logged_since(self, offsets: dict[str, int]) -> list[str]:
        """Warnings and errors written since `offsets`, counted by logger and message (times stripped)."""
        counts: Counter = Counter()
        for name, offset in offsets.items():
            with open(WORK / f"{name}.log", "rb") as log:
                log.seek(offset)
                for raw in log.read().decode(errors="replace").splitlines():
                    if not raw.startswith("{"):
                        if "Traceback" in raw or "CRITICAL" in raw or "WORKER TIMEOUT" in raw:
                            counts[f"{name}: {raw.strip()[:80]}"] += 1
                        continue
                    line = json.loads(raw)
                    if line["level"] in {"WARNING", "ERROR", "CRITICAL"}:
                        counts[f"{line['level']} {line['logger']}: {_gist(line['message'])}"] += 1
        return [f"{text} x{n}" for text, n in counts.most_common()] or ["nothing at WARNING or above"]

    def wait_healthy(self) -> None:
        """After a fault is lifted: every app process finds its dependencies again (and says so)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            status, _seconds, body, _headers = Browser(self.url).request("/healthz")
            if status == 200 and json.loads(body)["status"] == "ok":
                return
            time.sleep(0.5)

    def outbox(self) -> list[tuple]:
        with psycopg.connect(f"{POSTGRES}/{self.database}") as connection:
            return connection.execute(
                """SELECT id, status, headers->>'Message-ID' FROM outbox_message ORDER BY id"""
            ).fetchall()

    def exists(self, sql: str, *params) -> bool:
        with psycopg.connect(f"{POSTGRES}/{self.database}") as connection:
            return connection.execute(sql, params).fetchone() is not None

    def lost(self, written: list[tuple[str, str, tuple]]) -> str:
        """Wait for the outbox to drain, then check every accepted write and every email."""
        deadline = time.monotonic() + WAIT
        while any(status != "sent" for _id, status, _mid in self.outbox()):
            if time.monotonic() > deadline:
                waiting = sum(status != "sent" for _id, status, _mid in self.outbox())
                return f"{waiting} email(s) still waiting after {WAIT} s"
            time.sleep(0.5)
        missing = [what for what, sql, params in written if not self.exists(sql, *params)]
        ids = Counter(self.smtp.message_ids())
        rows = self.outbox()
        undelivered = [mid for _id, _status, mid in rows if ids[mid] == 0]
        twice = [mid for mid, n in ids.items() if n > 1]
        problems = [f"{what} missing" for what in missing]
        problems += [f"{len(undelivered)} email(s) never delivered"] if undelivered else []
        problems += [f"{len(twice)} email(s) delivered twice"] if twice else []
        return "; ".join(problems) or f"nothing ({len(rows)} emails so far, each delivered once)"


def _gist(message: str) -> str:
    """One line of a log message, without what changes from line to line (times, task ids, ports)."""
    line = message.strip().splitlines()[0] if message.strip() else ""
    line = re.sub(r"\d{4}-\d\d-\d\dT[\d:.+]+", "…", line)
    line = re.sub(r"\[[0-9a-f-]{36}\]", "", line)
    line = re.sub(r"(port |127\.0\.0\.1:)\d+", r"\1…", line)
    line = line.split(" (")[0] if not line.startswith("Task ") else line
    return line if len(line) <= 110 else line[:107] + "..."


def seen(label: str, answer: tuple) -> str:
    status, seconds, _page, _headers = answer
    return f"{label} {status or 'no answer'} in {seconds:.2f} s"


def health(rig: Rig) -> str:
    status, seconds, body, _headers = Browser(rig.url).request("/healthz")
    try:
        checks = json.loads(body)["checks"]
        states = ", ".join(f"{name} {check['state']}" for name, check in checks.items() if check["state"] != "ok")
    except (ValueError, KeyError):
        states = "?"
    return f"/healthz {status} ({states or 'all ok'}) in {seconds:.2f} s"


def signed_in(rig: Rig) -> Browser:
    author = Browser(rig.url)
    if author.post_form("/en/accounts/login/", {"login": STAKEHOLDER, "password": PASSWORD})[0] != 302:
        sys.exit("the demo stakeholder could not sign in before the fault")
    return author


def user_actions(rig: Rig, number: int, author: Browser) -> tuple[list[str], list[tuple]]:
    """
    What visitors do during the fault: read a page in the page cache and one that is not, sign in,
    comment (as a stakeholder who signed in before the fault), sign up, and what /healthz says.
    """
    reader = Browser(rig.url)
    answers = [seen("read (cached page)", reader.request(STATEMENT))]
    answers.append(seen("read (uncached page)", reader.request(f"/en/statements/?year={2000 + number}")))
    visitor = Browser(rig.url)
    answers.append(
        seen("sign in", visitor.post_form("/en/accounts/login/", {"login": STAKEHOLDER, "password": PASSWORD}))
    )
    text = f"Fault table comment {number}: the border crossing at Windsor needs more staff."
    commented = author.post_form(
        "/en/dialogue/statements/2008-02-28-joint-statement-los-cabos/comment/",
        {"body": text, "language": "en", "about": ""},
    )
    answers.append(seen("comment", commented))
    written = []
    if commented[0] == 302:
        written.append(("comment", "SELECT 1 FROM dialogue_comment WHERE body = %s", (text,)))
    email = f"fault{number}@example.org"
    signed_up = Browser(rig.url).post_form(
        "/en/accounts/signup/",
        {
            "email": email,
            "password1": "Trilateral-dialogue-2008",
            "password2": "Trilateral-dialogue-2008",
            "display_name": f"Fault Table {number}",
            "country": "CA",
            "sector": "academia",
            "organisation": "",
            "preferred_language": "en",
            "accept_terms": "on",
        },
    )
    answers.append(seen("sign up", signed_up))
    if signed_up[0] == 302:
        written.append(("account", "SELECT 1 FROM auth_user WHERE email = %s", (email,)))
    answers.append(health(rig))
    return answers, written


FAULTS = [
    # (name, how to set it, how to lift it)
    ("none (baseline)", lambda rig: None, lambda rig: None),
    ("Redis stopped (cache, sessions, limits, broker)", lambda rig: rig.stop_redis(), lambda rig: rig.start_redis()),
    (
        "database unreachable (closed port)",
        lambda rig: rig.db_proxy.set("refusing"),
        lambda rig: rig.db_proxy.set("forwarding"),
    ),
    (
        "database hung (accepts, never answers)",
        lambda rig: rig.db_proxy.set("hanging"),
        lambda rig: rig.db_proxy.set("forwarding"),
    ),
    ("SMTP refusing", lambda rig: rig.smtp.set("refusing"), lambda rig: rig.smtp.set("answering")),
    (
        "SMTP hanging (accepts, never answers)",
        lambda rig: rig.smtp.set("hanging"),
        lambda rig: rig.smtp.set("answering"),
    ),
]


def main() -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    rig = Rig()
    rows = []
    try:
        rig.start()
        for number, (name, set_fault, lift_fault) in enumerate(FAULTS):
            print(f"... {name}", file=sys.stderr)
            author = signed_in(rig)
            for _warm in range(2):  # the statement page is in the page cache when the fault starts
                Browser(rig.url).request(STATEMENT)
            offsets = rig.log_offsets()
            set_fault(rig)
            row = Row(name)
            row.seen, written = user_actions(rig, number, author)
            time.sleep(3)  # let the worker and the background senders meet the fault too
            lift_fault(rig)
            rig.wait_healthy()
            row.lost = rig.lost(written)
            row.logged = rig.logged_since(offsets)
            rows.append(row)
    finally:
        rig.stop()
    print_table(rows)
    return 0


def print_table(rows: list[Row]) -> None:
    print("Fault table (make faults): gunicorn 2 workers, PostgreSQL, Redis, Celery worker, SMTP; 127.0.0.1")
    for row in rows:
        print()
        print(f"## {row.fault}")
        print(f"  users see:  {row.seen[0]}")
        for line in row.seen[1:]:
            print(f"              {line}")
        print(f"  logged:     {row.logged[0]}")
        for line in row.logged[1:6]:
            print(f"              {line}")
        print(f"  lost:       {row.lost}")


if __name__ == "__main__":
    sys.exit(main())
